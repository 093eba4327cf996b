"""A case file opened read-only, as one principal: SQLite's `mode=ro` opens the file for reading only (a
case on PostgreSQL: a session whose transactions are READ ONLY), so no read the workbench makes can change it (a transaction the API opens around a read takes no write lock
there, so writers are not held up).

The reads a `Case` records in the audit log (`view.why`, `view.whynot`, ...) go to the workbench's access
log (access_log.py), which appends them through a connection of its own: the audit log is the one thing
the workbench writes. A withheld node's commitment needs a salt; one the case file does not hold yet is
made for this workbench session only (kept in memory, never written), so the proof a page shows is
redacted exactly as the CLI redacts it, and only `warrant export` makes commitments `verify-proof --db`
can open later.
"""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from ..access.reader import Reader, Withholding
from ..api import Case
from ..eval.functions import register as register_functions
from ..store.backend import POSTGRES, dialect, has_table, is_postgres_url
from ..store.errors import store_error
from ..store.schema import Store, busy_timeout
from .access_log import AccessLog

BASE_TABLES = {"meta", "sources", "rulebooks", "loads", "runs"}


class SessionSalts(Reader):
    """A reader whose commitment salts are the case file's where it has them, else made for this session."""

    def __init__(self, conn, principal, scheme, session: dict[str, bytes]):
        super().__init__(conn, principal, scheme)
        self.session = session

    def salt(self, key: str) -> bytes:
        """The case file's salt for `key`, else this session's (never written)."""
        if dialect(self.conn) == POSTGRES and not has_table(self.conn, "commitment_salts"):
            row = None  # (asked first there: a failed statement would end the transaction)
        else:
            try:
                row = self.conn.execute("SELECT salt FROM commitment_salts WHERE key = ?", [key]).fetchone()
            except sqlite3.OperationalError:  # no salts table yet
                row = None
        if row is not None:
            return bytes(row[0])
        return self.session.setdefault(key, secrets.token_bytes(16))


class ReadOnlyCase(Case):
    """A `Case` over a read-only connection, acting as one principal: every read works and shows what the
    principal may see, nothing is written but the access log's entries."""

    def __init__(self, store: Store, log: AccessLog, as_principal: str | None = None):
        super().__init__(store, log.actor, as_principal)
        self.log = log
        self._salts: dict[str, bytes] = {}
        self._readers: dict[tuple, tuple] = {}  # evidence read: (last load batch, Withholding)

    def audit(self, action: str, entity: str | None, details: dict) -> None:
        """Keep the entry, naming the acting principal, for the access log to append after the request."""
        self.log.add(action, entity, {**details, "principal": self.principal.name})

    def reader(self, program) -> Withholding:
        """What the acting principal may not see of the evidence `program` reads (as `Case.reader`), kept
        until evidence is loaded again (the principal and the records' markings stay as they are)."""
        from ..store.asof import last_batch

        batch = last_batch(self.conn)
        key = tuple(sorted((d.name, tuple(c.name for c in d.columns)) for d in program.declarations if d.is_evidence))
        if self._readers.get(key, (None,))[0] != batch:
            self._readers[key] = (batch, Withholding(SessionSalts(self.conn, self.principal, self.scheme, self._salts),
                                                     program))
        return self._readers[key][1]


def open_read_only(path: str | Path, log: AccessLog, as_principal: str | None = None) -> ReadOnlyCase:
    """Open an existing case file for reading only, as `as_principal` (default: the owner; A001 for a name
    the case file does not know); S004 when it is missing, S003 when it is not a case file. The connection
    may be used from any thread; the caller serialises its use. A postgresql:// URL opens a case there."""
    if is_postgres_url(path):
        return _read_only_case(_open_postgres(path), log, as_principal)
    target = Path(path)
    if not target.is_file():
        raise store_error("S004" if not target.exists() else "S003", f"no such case file: {path}"
                          if not target.exists() else f"{path} is a folder, not a case file")
    uri = f"{target.absolute().as_uri()}?mode=ro"
    try:
        conn = register_functions(sqlite3.connect(uri, uri=True, timeout=busy_timeout(), check_same_thread=False))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise store_error("S003", f"cannot open {path} as a case file: {exc}") from None
    if not BASE_TABLES <= tables:
        conn.close()
        raise store_error("S003", f"{path} is not a case file: it has no {', '.join(sorted(BASE_TABLES - tables))} table")
    return _read_only_case(Store(str(path), conn), log, as_principal)


def _read_only_case(store: Store, log: AccessLog, as_principal: str | None) -> ReadOnlyCase:
    case = ReadOnlyCase(store, log, as_principal)
    try:
        case.principal
    except Exception:
        store.conn.close()
        raise
    return case


class _ReadingConnection:
    """A PgConnection whose transactions only read: the API's BEGIN IMMEDIATE around a read is a plain BEGIN
    (no write lock, so no writer waits for the workbench nor it for them), and the session refuses writes."""

    def __init__(self, conn):
        self._conn = conn
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")

    def execute(self, sql: str, params=()):
        return self._conn.execute("BEGIN" if sql == "BEGIN IMMEDIATE" else sql, params)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def _open_postgres(url: str) -> Store:
    from ..store.backend_pg import PgStore, open_case

    store = open_case(url, create=False)
    return PgStore(store.path, _ReadingConnection(store.conn))
