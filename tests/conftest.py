"""Hypothesis runs derandomized by default, so that CI sees the same examples every time; set
HYPOTHESIS_PROFILE=explore to draw new ones (and, with a larger --hypothesis-seed range, to hunt bugs).
The tests keep lark's grammar cache and the checked-rulebook cache in a folder of their own."""

import atexit
import contextlib
import os
import shutil
import sys
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
    config.addinivalue_line("markers", "sqlite_only(reason): about the SQLite case file itself; on the suite's "
                                       "PostgreSQL pass its case files stay SQLite files")


def pytest_report_header(config):
    reason = _postgres_skip_reason()
    lines = [f"postgresql: tests skipped: {reason}" if reason else "postgresql: a fresh database per test"]
    if os.environ.get(redirect.VARIABLE) == "postgresql":
        lines.append("case files: PostgreSQL databases (WARRANT_TEST_DATABASE=postgresql), except sqlite_only tests"
                     if redirect.active() else f"case files: {redirect.VARIABLE}=postgresql needs a server: {reason}")
    return lines


# The whole suite on PostgreSQL (scripts/test.sh's second pass): WARRANT_TEST_DATABASE=postgresql makes every case
# file a test opens a PostgreSQL database of its own (tests/pgmode), in this process and in those it starts.
_PGMODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pgmode")
sys.path.insert(0, _PGMODE)
import warrant_pg_redirect as redirect  # noqa: E402

sys.path.remove(_PGMODE)
if os.environ.get(redirect.VARIABLE) == "postgresql":
    if not redirect.server():
        raise pytest.UsageError(f"{redirect.VARIABLE}=postgresql needs a PostgreSQL server: {_postgres_skip_reason()}")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [_PGMODE, os.environ.get("PYTHONPATH")]))
    os.environ.setdefault(redirect.RUN, str(os.getpid()))
    redirect.install()


@pytest.fixture(autouse=True)
def _sqlite_only(request):
    """On the PostgreSQL pass, a sqlite_only test keeps its case files (and so do the processes it starts), as
    does a test with `postgres_url`: it compares a case file with PostgreSQL already."""
    kept = request.node.get_closest_marker("sqlite_only") is not None or "postgres_url" in request.fixturenames
    if os.environ.get(redirect.VARIABLE) != "postgresql" or not kept:
        yield
        return
    os.environ[redirect.OFF] = "1"
    try:
        yield
    finally:
        os.environ.pop(redirect.OFF, None)


@contextlib.contextmanager
def _files_kept():
    previous = os.environ.get(redirect.OFF)
    os.environ[redirect.OFF] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(redirect.OFF, None)


@pytest.fixture(scope="session")
def case_files_kept():
    """case_files_kept(): a context in which case files stay SQLite files on the PostgreSQL pass too (for a
    fixture that builds a case file to compare with a database of its own, as a postgres_url test does)."""
    return _files_kept


@pytest.fixture(scope="session")
def copy_case():
    """copy_case(source, target): copy the case file `source` to `target` (a new path), whole; on the PostgreSQL
    pass, the database standing for `source` into a new one for `target`."""
    return redirect.copy_case


@pytest.fixture(autouse=True, scope="module")
def _case_databases():
    """On the PostgreSQL pass, a module's case databases (and the roles they made) are dropped after it: a
    module-scoped fixture's case lives as long as the module."""
    yield
    if redirect.active():
        redirect.drop_all()


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
