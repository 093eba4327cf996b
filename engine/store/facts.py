"""Which rows of a fact table are the facts of a run: runs share the facts they did not change (issue 15).

A full run begins a lineage, named by its run id, as its step 0. An incremental run that takes over the
latest run of a lineage continues it, one step later, and stores only what it changed. Each row of
`fact_<pred>` carries its lineage (the column `run_id`), the step that stored it (`_born`) and the step
that superseded it (`_died`, NULL while none has). The run at step s of lineage L holds the rows of L with
`_born <= s` and `_died` NULL or above s; `run_lineage` names each run's lineage and step.

A finished run's facts never change: fact tables and `run_lineage` are append-only, but for one UPDATE, which
sets `_died` of a row (NULL before) to the step of the run in progress on that lineage, the one step that
has no `runs` row yet (`audit/immutable.py`); every step before it sees the row as it did.

Every reader of a run's facts selects them with `of_run`: the run's lineage and step are read by scalar
subqueries, computed once per statement, so lookups by lineage and arguments use the table's key.
"""

from __future__ import annotations

LINEAGE = "run_lineage"
LINEAGE_TABLE = (f"CREATE TABLE IF NOT EXISTS {LINEAGE} (run_id TEXT PRIMARY KEY, lineage TEXT NOT NULL, "
                 "seq INTEGER NOT NULL, UNIQUE (lineage, seq))")
VERSION_COLUMNS = ("_born", "_died")


def of_run(alias: str = "", param: str = ":run_id", schema: str | None = None) -> str:
    """The condition selecting, from a fact table (named `alias` in the statement, if given), the facts of the
    run whose id is the SQL parameter `param`, by the `run_lineage` of `schema` (the first one found if None)."""
    a = f"{alias}." if alias else ""
    table = f"{schema}.{LINEAGE}" if schema else LINEAGE
    step = f"(SELECT seq FROM {table} WHERE run_id = {param})"
    return (f"{a}run_id = (SELECT lineage FROM {table} WHERE run_id = {param}) AND {a}_born <= {step} "
            f"AND ({a}_died IS NULL OR {a}_died > {step})")


def run_rows(run_id: str, alias: str = "", schema: str | None = None) -> tuple[str, list]:
    """`of_run` with `?` placeholders, and their parameters: (condition, params)."""
    return of_run(alias, "?", schema), [run_id] * 3


def at_step(alias: str = "") -> str:
    """`of_run` for a lineage and step given as the parameters :lineage and :step (the run being made, whose
    facts are written and read in the same statements)."""
    a = f"{alias}." if alias else ""
    return f"{a}run_id = :lineage AND {a}_born <= :step AND ({a}_died IS NULL OR {a}_died > :step)"


# a fact table's rows, and those of one lineage (then one per argument tuple): a lineage as large as SQLite
# takes a table without statistics to be, the table far larger, so that joining it to a few rows does not
# seem to pay for a Bloom filter (built by reading the lineage whole)
PLANNER_HINT = "1000000000000000 1000000"


def hint_planner(conn, table: str, arity: int) -> None:
    """Tell SQLite's planner (sqlite_stat1) that a lineage holds many rows of a fact table and its arguments
    pick one: without statistics, it takes `run_id = ?` to leave about ten rows, and would read a lineage whole
    as the outer loop of a join instead of looking facts up by their arguments (the run's own statements, which
    read shared facts where a run without sharing read its small working table). SQLite only; none needed
    for a table without arguments."""
    if not arity:
        return
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
        conn.execute(f"ANALYZE {LINEAGE}")  # makes sqlite_stat1 (run_lineage is small)
    stat = " ".join([PLANNER_HINT] + ["1"] * (arity + 1))
    conn.execute("DELETE FROM sqlite_stat1 WHERE tbl = ?", [table])
    conn.execute("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?, ?, ?)", [table, table, stat])
    conn.execute("ANALYZE sqlite_schema")  # read again by the planner


def lineage_of(conn, run_id: str) -> tuple[str, int] | None:
    """(lineage, step) of a stored run; None for a run not recorded (none)."""
    row = conn.execute(f"SELECT lineage, seq FROM {LINEAGE} WHERE run_id = ?", [run_id]).fetchone()
    return (row[0], row[1]) if row else None


def is_latest(conn, run_id: str) -> bool:
    """Whether `run_id` is the last step of its lineage (only then may a run continue it)."""
    found = lineage_of(conn, run_id)
    if found is None:
        return False
    later = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {LINEAGE} WHERE lineage = ? AND seq > ?)", list(found))
    return not later.fetchone()[0]


def begin(conn, run_id: str, continues: str | None = None) -> tuple[str, int]:
    """Record the run being made: a new lineage (step 0), or the step after `continues`, which must be the
    last step of its lineage. Returns (lineage, step)."""
    conn.execute(LINEAGE_TABLE)
    lineage, step = (run_id, 0) if continues is None else lineage_of(conn, continues)
    step = step + 1 if continues is not None else 0
    conn.execute(f"INSERT INTO {LINEAGE} (run_id, lineage, seq) VALUES (?, ?, ?)", [run_id, lineage, step])
    return lineage, step


__all__ = ["LINEAGE", "LINEAGE_TABLE", "VERSION_COLUMNS", "at_step", "begin", "hint_planner", "is_latest", "lineage_of", "of_run", "run_rows"]
