"""Tables whose rows must never change once written: runs, their clocks and facts, evidence, loads, checkpoints.

Triggers refuse UPDATE and DELETE; anyone going around them edits the file by hand, which
the audit chain and replay are there to reveal."""

from __future__ import annotations

import re
import sqlite3

from ..store.backend import POSTGRES, dialect

_PROTECTED = re.compile(r"^(runs|run_rulebooks|run_clocks|run_lineage|loads|rulebooks|audit_checkpoints"
                        r"|fact_[a-z][a-z0-9_]*|ev_[a-z][a-z0-9_]*)$")


APPEND_ONLY_FUNCTION = (  # PostgreSQL: the trigger function, made with the case; its argument is the message
    "CREATE OR REPLACE FUNCTION warrant_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'raise_exception'; END $$")


def protect(conn: sqlite3.Connection) -> None:
    """Add append-only triggers to every protected table of the case file that lacks them."""
    if dialect(conn) == POSTGRES:
        return _protect_postgres(conn)
    rows = conn.execute("SELECT type, name FROM sqlite_master WHERE type IN ('table', 'trigger')").fetchall()
    triggers = {name for kind, name in rows if kind == "trigger"}
    for table in sorted(name for kind, name in rows if kind == "table" and _PROTECTED.match(name)):
        for op in ("UPDATE", "DELETE"):
            if f"{table}_no_{op.lower()}" in triggers:
                continue
            when = _ends_a_row(conn, table) if op == "UPDATE" and table.startswith("fact_") else ""
            conn.execute(
                f'CREATE TRIGGER IF NOT EXISTS "{table}_no_{op.lower()}" BEFORE {op} ON "{table}" {when}'
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: records are never changed or removed'); END"
            )


def _ends_a_row(conn: sqlite3.Connection, table: str) -> str:
    """The WHEN of a fact table's UPDATE trigger: refused, unless it only sets the row's `_died` (NULL before)
    to the step of the run in progress on the row's lineage, the one without a `runs` row (store/facts.py):
    no finished run's facts change."""
    columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{table}")') if row[1] != "_died"]
    same = "".join(f' AND NEW."{c}" IS OLD."{c}"' for c in columns)
    making = ("SELECT l.seq FROM run_lineage AS l WHERE l.lineage = OLD.run_id "
              "AND NOT EXISTS (SELECT 1 FROM runs AS r WHERE r.id = l.run_id)")
    return f"WHEN NOT COALESCE(OLD._died IS NULL AND NEW._died = ({making}){same}, 0) "


def append_only_trigger(table: str, message: str) -> str:
    """PostgreSQL: the trigger refusing UPDATE, DELETE and TRUNCATE of `table` with `message`."""
    text = message.replace("'", "''")
    return (f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "{table}" '
            f"FOR EACH STATEMENT EXECUTE FUNCTION warrant_append_only('{text}')")


def _protect_postgres(conn) -> None:
    """Triggers on the protected tables this role may alter (its own: a writer's role leaves the owner's alone,
    which the case protects when it is made), then the case's grants and policies on them."""
    tables = [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND pg_has_role(tableowner, 'USAGE') "
        "AND tablename NOT IN "
        "(SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname = c.relname || '_append_only') ORDER BY tablename")]
    for table in filter(_PROTECTED.match, tables):
        conn.execute(append_only_trigger(table, f"{table} is append-only: records are never changed or removed"))
    from ..access.roles_pg import secure

    secure(conn)  # the case's roles get their grants and policies on the tables this role made
