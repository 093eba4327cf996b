"""Case files of schema version 4 read on: their fact tables take the columns of shared runs (store/facts.py).

Version 5 gave each row of `fact_<pred>` the step of its lineage that stored it (`_born`) and the one that
superseded it (`_died`), keyed by (lineage, arguments, step), and added `run_lineage`. A stored run of a
version-4 file is a lineage of its own, step 0: its rows are born at 0 and never end, and it reads as before.
The upgrade happens once, when a version-4 file is opened, in one write transaction.
"""

from __future__ import annotations

from .backend import POSTGRES, dialect
from .facts import LINEAGE, LINEAGE_TABLE, hint_planner
from .schema import quote

UPGRADES_FROM = "4"
_OWN = ("run_id", "_round", "_rule")


def needed(conn, tables: set[str]) -> bool:
    """Whether the case is one this module upgrades (version 4)."""
    if "meta" not in tables:
        return False
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return row is not None and row[0] == UPGRADES_FROM


def upgrade(conn, tables: set[str], version: int) -> None:
    """Upgrade a version-4 case to `version` (inside the caller's write transaction): every fact table gains
    `_born` (0) and `_died` (NULL) and its key the step; every stored run becomes step 0 of its own lineage."""
    from ..audit.immutable import protect  # the rebuilt tables get their append-only triggers again

    conn.execute(LINEAGE_TABLE)
    for table in sorted(t for t in tables if t.startswith("fact_")):
        (_postgres if dialect(conn) == POSTGRES else _sqlite)(conn, table)
    if "runs" in tables:
        conn.execute(f"INSERT INTO {LINEAGE} (run_id, lineage, seq) SELECT id, id, 0 FROM runs ORDER BY id")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
    protect(conn)


def _sqlite(conn, table: str) -> None:
    columns = [(row[1], row[2]) for row in conn.execute(f"PRAGMA table_info({quote(table)})")]
    args = [quote(name) for name, _ in columns if name not in _OWN]
    typed = ", ".join(f"{quote(name)} {kind}".rstrip() for name, kind in columns)
    new = quote(table + "__v5")
    body = f"{typed}, _born INTEGER NOT NULL, _died INTEGER"
    if args:
        conn.execute(f"CREATE TABLE {new} ({body}, PRIMARY KEY (run_id, {', '.join(args)}, _born)) WITHOUT ROWID")
    else:
        conn.execute(f"CREATE TABLE {new} ({body})")
    names = ", ".join(quote(name) for name, _ in columns)
    conn.execute(f"INSERT INTO {new} ({names}, _born, _died) SELECT {names}, 0, NULL FROM {quote(table)}")
    conn.execute(f"DROP TABLE {quote(table)}")  # with its triggers and indexes
    conn.execute(f"ALTER TABLE {new} RENAME TO {quote(table)}")
    if not args:
        conn.execute(f'CREATE INDEX {quote(table + "__key")} ON {quote(table)} (run_id, _born)')
    hint_planner(conn, table, len(args))


def _postgres(conn, table: str) -> None:
    columns = [r[0] for r in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? ORDER BY ordinal_position", [table])]
    args = [quote(name) for name in columns if name not in _OWN]
    conn.execute(f"ALTER TABLE {quote(table)} ADD COLUMN _born INTEGER NOT NULL DEFAULT 0, ADD COLUMN _died INTEGER")
    key = conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = ?::regclass AND contype = 'p'",
                       [quote(table)]).fetchone()
    if key:
        conn.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(key[0])}, "
                     f"ADD PRIMARY KEY (run_id, {', '.join(args)}, _born)")


__all__ = ["UPGRADES_FROM", "needed", "upgrade"]
