"""The case file: one SQLite database (WAL) holding sources, rulebooks, evidence, loads and runs (or a
PostgreSQL database, given as a postgresql:// URL: engine/store/backend_pg.py)."""

from __future__ import annotations

import contextlib
import math
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from ..diagnostics import WarrantError, error
from ..eval.functions import register as register_functions
from .backend import POSTGRES, dialect, is_postgres_url, shown_url
from .cores import spare_core
from .errors import store_error

if TYPE_CHECKING:
    import sqlite_utils

PAGE_SIZE = 16384  # fewer, larger pages: bulk loads and scans are faster, lookups no slower
SCHEMA_VERSION = 5  # 2: a partial index on retractions, an index per later argument; 3: no _key column;
# 4: number and percent columns are INTEGER (whole numbers exact), no longer REAL; 5: runs share facts
# (store/facts.py), a version-4 file upgraded when opened (store/upgrade.py)
EVIDENCE_PREFIX = "ev_"
SQL_TYPE_NAMES = {str: "TEXT", float: "REAL", int: "INTEGER"}
BUSY_TIMEOUT_VARIABLE = "WARRANT_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT = 120.0  # seconds a command waits for another one that is writing the case file

_BASE_TABLES: dict[str, tuple[dict, str]] = {
    "meta": ({"key": str, "value": str}, "key"),
    "sources": ({"id": str, "name": str, "kind": str, "jurisdiction": str, "reliability": str,
                 "classification": str, "releasability": str, "caveats": str}, "id"),
    "rulebooks": ({"id": str, "version": str, "sha256": str, "path": str, "text": str,
                   "registered_at": str}, "sha256"),
    "loads": ({"id": int, "started_at": str, "finished_at": str, "facts_dir": str, "files": str,
               "rows_added": int, "rows_duplicate": int}, "id"),
    "runs": ({"id": str, "rulebook_sha256": str, "as_of": str, "started_at": str, "finished_at": str,
              "status": str, "counts": str}, "id"),
}


@dataclass(frozen=True)
class Store:
    """An open case file: its SQLite connection `conn`, and `db`, a sqlite-utils Database over it (made when
    first used: commands that only read a run never load sqlite-utils). Later stages add their own tables."""

    path: str
    conn: sqlite3.Connection

    @cached_property
    def db(self) -> "sqlite_utils.Database":
        import sqlite_utils

        # no sqlite-utils plugins: whatever else is installed must not change how a case file reads
        return sqlite_utils.Database(self.conn, execute_plugins=False)

    def close(self) -> None:
        """Make every committed action durable (a checkpoint syncs the log to disk), then close."""
        with contextlib.suppress(sqlite3.Error):  # a read-only file, or one busy elsewhere: nothing to lose
            self.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_store(path: str | Path, create: bool = True) -> Store:
    """Open the case file at `path`, in WAL mode, with the base tables; a missing file is made when `create`,
    and is the error S004 otherwise (nothing is made). A command that finds the case file locked by another
    one's write waits for it up to `busy_timeout()` seconds. A postgresql:// URL opens the case in that
    database instead (backend_pg.open_case)."""
    if is_postgres_url(path):
        from .backend_pg import open_case
        return open_case(path, create)
    timeout, target = busy_timeout(), Path(path)
    if target.is_dir():
        raise store_error("S003", f"{path} is a folder, not a case file")
    if not create and not target.exists():
        raise store_error("S004", f"no such case file: {path}")
    if not target.parent.is_dir():
        raise store_error("S003", f"cannot make the case file {path}: no folder {target.parent}")
    uri = f"{target.absolute().as_uri()}?mode={'rwc' if create else 'rw'}"  # never made by a read, even in a race
    try:
        conn = register_functions(sqlite3.connect(uri, uri=True, timeout=timeout))
    except sqlite3.Error as exc:
        raise store_error("S003", f"cannot open {path} as a case file: {exc}") from None
    store = Store(str(path), conn)
    try:
        conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils sets it: REPLACE fires delete triggers
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # for a new case file; an existing one keeps its own
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
            with conn:
                conn.execute("PRAGMA journal_mode = wal")
        # a commit is atomic and consistent without waiting for the disk; it is durable at the next
        # checkpoint (every few MiB, and when the case file is closed), as SQLite advises for WAL
        conn.execute("PRAGMA synchronous = NORMAL")
        # SQLite may sort on helper threads (index builds after a bulk load, large ORDER BYs) if a core is idle
        conn.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1) if spare_core() else 0}")
        tables = set(table_names(conn))
        upgrade_if_old(store, tables)
        check_version(conn, tables, path)
        if not set(_BASE_TABLES) <= tables:  # no write (no lock) on an existing case file
            with write_transaction(store):
                create_base_tables(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if is_busy(exc):
            raise
        raise store_error("S003", f"{path} is not a case file: {exc}") from None
    return store


def table_names(conn: sqlite3.Connection) -> list[str]:
    """The names of the case file's tables, in the order SQLite lists them (as sqlite-utils gives them);
    on PostgreSQL, the case's tables by name."""
    if dialect(conn) == POSTGRES:
        from .backend_pg import table_names as postgres_tables
        return postgres_tables(conn)
    return [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def table_columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """(name, declared type in capitals) of each column of `table`, in order; [] when there is no such table."""
    if dialect(conn) == POSTGRES:
        return [(name, kind.upper()) for name, kind in conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? ORDER BY ordinal_position", [table])]
    return [(row[1], row[2].upper()) for row in conn.execute(f"PRAGMA table_info({quote(table)})")]


def busy_timeout() -> float:
    """How many seconds a command waits for a case file another command is writing: WARRANT_BUSY_TIMEOUT,
    else 120. A value that is not a number of seconds is the error S005."""
    text = os.environ.get(BUSY_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(text) if text.isascii() else -1.0
    except ValueError:
        seconds = -1.0
    if not (math.isfinite(seconds) and seconds >= 0):
        raise WarrantError(error("S005", f"{BUSY_TIMEOUT_VARIABLE}={text!r} is not a number of seconds", None,
                                 f"set {BUSY_TIMEOUT_VARIABLE} to how long to wait for a busy case file, e.g. 300"))
    return min(seconds, 1e6)


def is_busy(exc: BaseException) -> bool:
    """Whether `exc` is SQLite saying the case file is locked by another connection."""
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(exc, sqlite3.OperationalError) and code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY,
                                                                                              sqlite3.SQLITE_LOCKED)


def busy_error(path: str) -> WarrantError:
    """The error S005 of a command that waited for a busy case file in vain."""
    shown = shown_url(path) if is_postgres_url(path) else path
    return store_error("S005", f"the case file {shown} is busy: another command kept it locked for longer than "
                               f"the {busy_timeout():g} s this one waits")


@contextlib.contextmanager
def write_transaction(db: "Store | sqlite_utils.Database") -> Iterator["Store | sqlite_utils.Database"]:
    """All-or-nothing block on `db.conn` (a Store or a sqlite-utils Database): BEGIN IMMEDIATE ... COMMIT, or
    ROLLBACK if the block raises.

    Inside an open transaction it nests as a savepoint (undone alone on error; kept only if the outer
    transaction commits). sqlite-utils writes inside it nest as savepoints too."""
    if db.conn.in_transaction:
        with _savepoint(db):
            yield db
        return
    _begin_immediate(db)
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


def _begin_immediate(db: "Store | sqlite_utils.Database") -> None:
    """Take the write lock at once (a transaction that read first could not get it later without failing),
    waiting for another writer as long as the busy timeout, also when SQLite gives up before it."""
    started = time.monotonic()
    while True:
        try:
            db.conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            waited = time.monotonic() - started
            if not is_busy(exc) or waited * 1000 >= db.conn.execute("PRAGMA busy_timeout").fetchone()[0]:
                raise
            time.sleep(min(0.1, 0.005 + waited / 10))


@contextlib.contextmanager
def _savepoint(db: "Store | sqlite_utils.Database") -> Iterator[None]:
    name = f"warrant_{secrets.token_hex(8)}"
    db.conn.execute(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            db.conn.execute(f"RELEASE SAVEPOINT {name}")
        raise
    db.conn.execute(f"RELEASE SAVEPOINT {name}")


def upgrade_if_old(store: Store, tables: set[str]) -> None:
    """Upgrade a case of an earlier schema version that store/upgrade.py reads on, under the write lock."""
    from . import upgrade

    if upgrade.needed(store.conn, tables):
        with write_transaction(store):
            if upgrade.needed(store.conn, tables):  # not done meanwhile by another command
                upgrade.upgrade(store.conn, tables, SCHEMA_VERSION)


def check_version(conn: sqlite3.Connection, tables: set[str], path) -> None:
    if "meta" not in tables:
        return
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or row[0] != str(SCHEMA_VERSION):
        found = row[0] if row else "none"
        raise store_error("S003", f"{path} has schema version {found}; this engine reads version {SCHEMA_VERSION}")


def create_base_tables(conn: sqlite3.Connection, types: dict[type, str] = SQL_TYPE_NAMES) -> None:
    """The tables every case has (meta, sources, rulebooks, loads, runs), with columns of `types`."""
    for name, (columns, pk) in _BASE_TABLES.items():
        conn.execute(create_table_sql(name, columns, pk=pk, if_not_exists=True, types=types))
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                 [str(SCHEMA_VERSION)])


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def create_table_sql(name: str, columns: dict[str, type], pk: str | None = None,
                     references: dict[str, tuple[str, str]] | None = None, if_not_exists: bool = False,
                     types: dict[type, str] = SQL_TYPE_NAMES) -> str:
    """CREATE TABLE for `columns` (name -> str, int or float, typed by `types` as sqlite-utils types them, or
    an SQL type name as it is), with `pk` as
    its primary key and `references` (column -> (table, column)) as foreign keys. One statement: sqlite-utils'
    `Table.create` looks the schema up several times around each table it makes."""
    parts = []
    for column, kind in columns.items():
        part = f"{quote(column)} {types.get(kind, kind)}"
        if column == pk:
            part += " PRIMARY KEY"
        if references and column in references:
            table, target = references[column]
            part += f" REFERENCES {quote(table)}({quote(target)})"
        parts.append(part)
    exists = "IF NOT EXISTS " if if_not_exists else ""
    return f"CREATE TABLE {exists}{quote(name)} ({', '.join(parts)})"
