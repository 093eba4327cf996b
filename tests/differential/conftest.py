"""Options for the differential tests.

The number of generated programs comes from (first that is set):
  pytest --diff-examples=N     (only when pytest is pointed at tests/differential, see README.md)
  WARRANT_DIFF_EXAMPLES=N      (environment variable; works however pytest is started)
  500                          (the CI default)
"""

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

DEFAULT_EXAMPLES = 500


def pytest_addoption(parser):
    parser.addoption("--diff-examples", type=int, default=None,
                     help="number of random programs for the differential tests (default: $WARRANT_DIFF_EXAMPLES or 500)")


def pytest_configure(config):
    n = None
    try:
        n = config.getoption("--diff-examples")
    except ValueError:
        pass
    if n:
        os.environ["WARRANT_DIFF_EXAMPLES"] = str(n)
