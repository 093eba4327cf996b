#!/usr/bin/env bash
# Run the whole test suite (sets everything up first). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
# The report test opens pages in a real browser: install headless Chromium when we may.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Chromium for the browser test (apt-get install chromium)..." >&2
  (apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install Chromium; the browser test will be skipped" >&2
fi
# The PostgreSQL tests run on a throwaway cluster, stopped and removed when the tests end, pass or fail.
source scripts/postgres.sh
trap postgres_stop EXIT
trap 'exit 130' INT TERM
postgres_start
status=0
.venv/bin/python -m pytest "$@" || status=$?
# The same suite again with every case file a PostgreSQL database of its own on that server (tests/pgmode);
# the property tests draw fewer examples there, each one a database or more.
if [ -n "${WARRANT_TEST_POSTGRES:-}" ] && [ "${WARRANT_TEST_POSTGRES}" != off ]; then
  echo "--- the suite again, case files on PostgreSQL (WARRANT_TEST_DATABASE=postgresql) ---" >&2
  WARRANT_TEST_DATABASE=postgresql WARRANT_DIFF_EXAMPLES="${WARRANT_PG_DIFF_EXAMPLES:-40}" \
    WARRANT_FUZZ_EXAMPLES="${WARRANT_PG_FUZZ_EXAMPLES:-8}" .venv/bin/python -m pytest "$@" || status=$?
else
  echo "--- the suite on PostgreSQL skipped: ${WARRANT_TEST_POSTGRES_SKIP:-WARRANT_TEST_POSTGRES=off} ---" >&2
fi
exit "$status"
