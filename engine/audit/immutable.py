"""Tables whose rows must never change once written: runs, their clocks and facts, evidence, loads, checkpoints.

Triggers refuse UPDATE and DELETE; anyone going around them edits the file by hand, which
the audit chain and replay are there to reveal."""

from __future__ import annotations

import re
import sqlite3

_PROTECTED = re.compile(r"^(runs|run_rulebooks|run_clocks|loads|rulebooks|audit_checkpoints"
                        r"|fact_[a-z][a-z0-9_]*|ev_[a-z][a-z0-9_]*)$")


def protect(conn: sqlite3.Connection) -> None:
    """Add append-only triggers to every protected table of the case file that lacks them."""
    rows = conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')").fetchall()
    triggers = {name for kind, name in rows if kind == "trigger"}
    for table in sorted(name for kind, name in rows if kind == "table" and _PROTECTED.match(name)):
        for op in ("UPDATE", "DELETE"):
            if f"{table}_no_{op.lower()}" in triggers:
                continue
            conn.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{op.lower()}" BEFORE {op} ON "{table}" '
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: records are never changed or removed'); END"
            )
