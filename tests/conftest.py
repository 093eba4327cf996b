"""Hypothesis runs derandomized by default, so that CI sees the same examples every time; set
HYPOTHESIS_PROFILE=explore to draw new ones (and, with a larger --hypothesis-seed range, to hunt bugs).
The tests keep lark's grammar cache and the checked-rulebook cache in a folder of their own."""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# the parsed grammar and checked rulebooks are cached in the user's cache folder: the tests use their own
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="warrant-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)
