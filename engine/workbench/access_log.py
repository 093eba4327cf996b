"""The workbench's access log: each page view's reads, appended to the case file's audit log as the CLI's
reads are (`view.why`, `view.whynot`, ...), with the principal, what was asked and what was withheld.

The case data stays read-only: the workbench reads through a `mode=ro` connection (READ ONLY transactions
on PostgreSQL), and the entries of a
request are appended after it, outside any read transaction, through a connection of their own that waits
for other writers as long as the busy timeout (`audit.log.append`, nothing else). A case file that cannot be
appended to (read-only media, no write permission) is said once, and the workbench keeps serving: its
views then go unrecorded, and the audit page says so.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from pathlib import Path
from typing import Callable, Iterator

from ..audit import log as audit
from ..diagnostics import WarrantError
from ..store.backend import is_postgres_url, shown_url
from ..store.schema import Store, busy_timeout, write_transaction


def _database_errors() -> tuple[type[BaseException], ...]:
    """What a database that will not take the entries raises: sqlite3's errors, psycopg's when it is loaded
    (a case on PostgreSQL), and the engine's own (S005 busy, S009 unreachable, A003 refused)."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error, WarrantError) + ((psycopg.Error,) if psycopg is not None else ())


class AccessLog:
    """The audit entries of the current request, and the connection that appends them."""

    def __init__(self, path: str | Path, actor: str, say: Callable[[str], None] | None = None):
        self.path, self.actor, self.say = path if is_postgres_url(path) else Path(path), actor, say
        self.pending: list[tuple[str, str | None, dict]] = []
        self.problem: str | None = None
        self._writer: Store | None = None
        self._quiet = 0

    def add(self, action: str, entity: str | None, details: dict) -> None:
        """Keep an entry for the end of the request (none while `quiet`)."""
        if not self._quiet:
            self.pending.append((action, entity, details))

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        """Reads inside are not recorded one by one: the page records one entry for them all."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    def flush(self) -> None:
        """Append the request's entries in one transaction; a case file that cannot take them is said once
        (`problem`), and its entries are dropped."""
        entries, self.pending = self.pending, []
        if not entries or self.problem is not None:
            return
        try:
            writer = self._open()
            with write_transaction(writer):
                for action, entity, details in entries:
                    audit.append(writer.conn, action, entity, details, self.actor)
        except _database_errors() as exc:
            self._fail(f"cannot append to the audit log of {self._shown()} ({exc}): page views are not recorded")

    def check(self) -> None:
        """Find out at start whether the audit log can be appended to (takes the write lock and lets it go)."""
        try:
            writer = self._open()
            with write_transaction(writer):
                pass
        except _database_errors() as exc:
            self._fail(f"the case file {self._shown()} cannot be written ({exc}): page views are not recorded "
                       "in its audit log")

    def _shown(self) -> str:
        return shown_url(self.path) if is_postgres_url(self.path) else str(self.path)

    def _open(self) -> Store:
        if self._writer is None and is_postgres_url(self.path):
            from ..store.backend_pg import PgStore, connect

            self._writer = PgStore(self._shown(), connect(self.path))
        if self._writer is None:
            uri = f"{self.path.absolute().as_uri()}?mode=rw"
            conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout(), check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA synchronous = NORMAL")  # as open_store: durable at the next checkpoint (WAL)
            self._writer = Store(str(self.path), conn)
        return self._writer

    def _fail(self, message: str) -> None:
        self.problem = message
        if self.say is not None:
            self.say(f"warning: {message}")
        self.close()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.conn.close()
            self._writer = None
