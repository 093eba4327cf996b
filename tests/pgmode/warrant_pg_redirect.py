"""The suite on PostgreSQL: with WARRANT_TEST_DATABASE=postgresql, every case file a test names is opened as a
database of its own on the test server (WARRANT_TEST_POSTGRES) instead, in the test process and in every
`warrant` or Python process it starts (sitecustomize.py in this folder, on their PYTHONPATH).

A path maps to a database named from a hash of its absolute form, so two opens of one path (a command, then a
second process, then the test's own check) meet the same case. A missing database behaves as a missing file: made
when the open may create, S004 otherwise. Paths a case file cannot have (a folder, a missing folder) keep
SQLite's own errors. Tests that are about the SQLite file itself are marked `sqlite_only` and are not redirected.

The engine is patched where a case location enters it (store/schema.open_store, the workbench's read-only open
and its access log), once each module is imported, so modules importing those names get the patched ones."""

import contextlib
import hashlib
import os
import sys
from pathlib import Path

VARIABLE = "WARRANT_TEST_DATABASE"
OFF = "WARRANT_TEST_DATABASE_OFF"  # set (by the sqlite_only marker) while a test must keep its case files
RUN = "WARRANT_TEST_DATABASE_RUN"  # names this test session's databases (two sessions may share a server)
PREFIX = "warrant_case_"


def active() -> bool:
    """Whether case files are redirected to PostgreSQL in this process now."""
    return os.environ.get(VARIABLE) == "postgresql" and not os.environ.get(OFF) and bool(server())


def server() -> str:
    url = os.environ.get("WARRANT_TEST_POSTGRES", "")
    return "" if url == "off" else url


def database_name(path) -> str:
    """The database a case file path stands for."""
    digest = hashlib.sha256(os.path.abspath(os.fspath(path)).encode()).hexdigest()[:24]
    return f"{prefix()}{digest}"


def prefix() -> str:
    """What every database of this test session's (and worker's) case files begins with."""
    return f"{PREFIX}{os.environ.get(RUN, 'main')}_{os.environ.get('PYTEST_XDIST_WORKER', 'w')}_"


def url_for(name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit
    return urlunsplit(urlsplit(server())._replace(path=f"/{name}"))


def _exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def location(path, create: bool):
    """The URL standing for the case file `path` (its database made when `create`), or `path` itself when it is
    not redirected: redirection is off, it is already a URL, or it cannot be a case file."""
    from engine.store.backend import is_postgres_url

    if not active() or is_postgres_url(path):
        return path
    target = Path(path)
    if target.is_dir() or not target.parent.is_dir():
        return path
    import psycopg
    from engine.store.backend_pg import create_database_sql
    from engine.store.errors import store_error

    name = database_name(path)
    with psycopg.connect(server(), autocommit=True) as conn:
        if not _exists(conn, name):
            if not create:
                raise store_error("S004", f"no such case file: {path}")
            try:
                conn.execute(create_database_sql(name, conn.info.server_version))
            except psycopg.errors.DuplicateDatabase:
                pass  # another process made it first
    return url_for(name)


def drop_all() -> None:
    """Drop every redirected case database of this worker, then the roles its principals made (roles belong
    to the whole server and would meet the next module's principals of the same name)."""
    import psycopg

    with psycopg.connect(server(), autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                                            [prefix()])]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        roles = [r[0] for r in conn.execute("SELECT rolname FROM pg_roles WHERE NOT rolsuper "
                                            "AND NOT starts_with(rolname, 'pg_') ORDER BY rolname")]
        for role in roles:
            try:
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
            except psycopg.Error:  # still granted something in a database a test keeps (postgres_url)
                pass


def _as_named(store, path, url):
    """The store opened at `url` for the case file `path`, named as the case file when redirected (so messages
    read as on SQLite); whatever reconnects by that name is redirected again, to the same database."""
    return store if url is path else type(store)(str(path), store.conn)


def copy_case(source, target) -> None:
    """Copy the case file `source` to the new path `target` (SQLite: the file, after folding its write-ahead log
    in; redirected: its database, as a template of the new one, its other sessions ended first)."""
    import shutil
    import sqlite3

    if not active():
        with contextlib.closing(sqlite3.connect(source)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(source, target)
        return
    import psycopg

    src, dst = database_name(source), database_name(target)
    with psycopg.connect(server(), autocommit=True) as conn:
        if not _exists(conn, src):
            raise FileNotFoundError(f"no case at {source} (database {src})")
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                     "AND pid <> pg_backend_pid()", [src])
        conn.execute(f'CREATE DATABASE "{dst}" TEMPLATE "{src}"')


def _patch_schema(module) -> None:
    original = module.open_store

    def open_store(path, create: bool = True):
        url = location(path, create)
        return _as_named(original(url, create), path, url)

    open_store.__doc__, open_store.__wrapped__ = original.__doc__, original
    module.open_store = open_store


def _patch_readonly(module) -> None:
    original = module.open_read_only

    def open_read_only(path, log, as_principal=None):
        url = location(path, False)
        case = original(url, log, as_principal)
        case.store = _as_named(case.store, path, url)
        return case

    open_read_only.__wrapped__ = original
    module.open_read_only = open_read_only


def _patch_access_log(module) -> None:
    original = module.AccessLog.__init__

    def __init__(self, path, actor, say=None):
        try:
            path = location(path, False)
        except Exception:  # no such case: the read-only open has said so already
            pass
        original(self, path, actor, say)

    module.AccessLog.__init__ = __init__


def _patch_replay(module) -> None:
    original = module.scratch

    def scratch(case_path):
        return original(location(case_path, False))

    scratch.__wrapped__ = original
    module.scratch = scratch


PATCHES = {"engine.store.schema": _patch_schema, "engine.audit.replay": _patch_replay, "engine.workbench.readonly": _patch_readonly,
           "engine.workbench.access_log": _patch_access_log}


class _Finder:
    """Patches each module of PATCHES right after it is executed (a meta path finder; importlib.abc is not
    imported, since it would load tempfile and more into every process and change what start-up tests count)."""

    def find_spec(self, name, path=None, target=None):
        if name not in PATCHES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                spec.loader = _Loader(spec.loader, PATCHES[name])
                return spec
        return None


class _Loader:
    def __init__(self, loader, patch):
        self.loader, self.patch = loader, patch

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.patch(module)

    def __getattr__(self, name):  # get_source, is_package, ... as the wrapped loader answers them
        return getattr(self.loader, name)


def install() -> None:
    """Patch the engine's case-opening functions (now for modules already imported, on import for the rest)."""
    if any(isinstance(f, _Finder) for f in sys.meta_path):
        return
    for name, patch in PATCHES.items():
        if name in sys.modules:
            patch(sys.modules[name])
    sys.meta_path.insert(0, _Finder())
