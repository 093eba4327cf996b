"""Hypothesis runs derandomized by default, so that CI sees the same examples every time; set
HYPOTHESIS_PROFILE=explore to draw new ones (and, with a larger --hypothesis-seed range, to hunt bugs)."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
