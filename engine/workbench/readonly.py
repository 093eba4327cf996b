"""A case file opened read-only: SQLite's `mode=ro` opens the file for reading only, so nothing the workbench
does can write (a transaction the API opens around a read takes no write lock there, so writers are not held up).

The views a `Case` records in the audit log (`view.why`, `view.whynot`) are not recorded here: a read-only
connection cannot append to the log, and the workbench promises to leave the case file as it found it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..api import Case
from ..eval.functions import register as register_functions
from ..store.errors import store_error
from ..store.schema import Store, busy_timeout

BASE_TABLES = {"meta", "sources", "rulebooks", "loads", "runs"}


class ReadOnlyCase(Case):
    """A `Case` over a read-only connection: every read works, nothing is written, views are not audited."""

    def audit(self, action: str, entity: str | None, details: dict) -> None:
        """Nothing: a read-only case file keeps no record of views (see the module's docstring)."""


def open_read_only(path: str | Path) -> ReadOnlyCase:
    """Open an existing case file for reading only (S004 when it is missing, S003 when it is not a case file).
    The connection may be used from any thread; the caller serialises its use."""
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
    return ReadOnlyCase(Store(str(path), conn), actor="workbench")
