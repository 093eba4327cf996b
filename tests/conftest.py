"""Hypothesis runs derandomized by default, so that CI sees the same examples every time; set
HYPOTHESIS_PROFILE=explore to draw new ones (and, with a larger --hypothesis-seed range, to hunt bugs).
The tests keep lark's grammar cache and the checked-rulebook cache in a folder of their own."""

import atexit
import os
import shutil
import tempfile

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# the parsed grammar and checked rulebooks are cached in the user's cache folder: the tests use their own
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="warrant-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)


# PostgreSQL: scripts/test.sh starts a throwaway cluster and exports its URL (scripts/postgres.sh); each test
# that asks for `postgres_url` gets a fresh database of its own on it, dropped afterwards. Without a cluster
# those tests are skipped, the reason said once in the report's header.
POSTGRES_VARIABLE = "WARRANT_TEST_POSTGRES"


def _postgres_skip_reason() -> str | None:
    url = os.environ.get(POSTGRES_VARIABLE, "")
    if url and url != "off":
        return None
    return os.environ.get(f"{POSTGRES_VARIABLE}_SKIP") or (
        f"no PostgreSQL server: {POSTGRES_VARIABLE} is not set (scripts/test.sh starts one)")


def pytest_configure(config):
    config.addinivalue_line("markers", "postgres: needs the test PostgreSQL server (the postgres_url fixture)")


def pytest_report_header(config):
    reason = _postgres_skip_reason()
    return f"postgresql: tests skipped: {reason}" if reason else "postgresql: a fresh database per test"


@pytest.fixture
def postgres_url(request):
    """The URL of a new, empty PostgreSQL database on the test server, dropped after the test."""
    if (reason := _postgres_skip_reason()) is not None:
        pytest.skip(reason)
    import secrets
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    server = os.environ[POSTGRES_VARIABLE]
    name = f"warrant_test_{secrets.token_hex(6)}"
    from engine.store.backend_pg import create_database_sql

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(create_database_sql(name, conn.info.server_version))
    parts = urlsplit(server)
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
