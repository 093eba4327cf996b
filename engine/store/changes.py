"""What an incremental run needs to know from the case file: the previous run of the same rulebooks, and
which evidence predicates cannot have changed since it (so that their records need not be compared)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from functools import lru_cache
from pathlib import Path

from ..syntax.program import Program
from .asof import Clocks
from .backend import POSTGRES, dialect, has_table
from .evidence import quote, table_name


@lru_cache(maxsize=None)
def evaluator() -> str:
    """A fingerprint of the code a run's facts come from: the parser, checker and evaluator (with SQLite's
    and Python's versions: `check.cache.fingerprint`) and the in-force selection of evidence. A run made by
    other code is never taken over."""
    from ..check.cache import fingerprint

    return hashlib.sha256(fingerprint().encode() + Path(__file__).with_name("asof.py").read_bytes()).hexdigest()


def previous_run(conn: sqlite3.Connection, program: Program) -> tuple[str, str] | None:
    """The latest complete run of exactly these rulebooks (the same ids and hashes, in the same order), as
    (run id, as-of as stored); None when there is none."""
    if not has_table(conn, "run_rulebooks"):  # no run yet
        return None
    row = conn.execute("SELECT id, as_of FROM runs WHERE rulebook_sha256 = ? AND status = 'complete' "
                       "ORDER BY id DESC LIMIT 1", [program.sha256]).fetchone()
    if row is None:
        return None
    books = conn.execute("SELECT rulebook_id, sha256 FROM run_rulebooks WHERE run_id = ? ORDER BY position",
                         [row[0]]).fetchall()
    return (row[0], row[1]) if [tuple(b) for b in books] == [(rb.id, rb.sha256) for rb in program.rulebooks] else None


def load_changes(conn: sqlite3.Connection, program: Program, before: Clocks,
                 now: Clocks) -> tuple[frozenset[str], frozenset[str]]:
    """(evidence predicates whose records in force are certainly the same under `now` as under `before`,
    those a later load touched). The first when: the same assessment date, every record of the loads
    `before` saw recorded by its known-at (so a later known-at sees the same ones), and no later load seen
    by `now` names the predicate. Both empty when this cannot be told (the incremental run then compares
    the records in force of every predicate)."""
    nothing: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
    if before.day != now.day or before.loaded_through is None or now.loaded_through is None:
        return nothing
    if before.known_at is not None:
        if now.known_at is None or now.known_at < before.known_at:
            return nothing
        latest = conn.execute("SELECT MAX(finished_at) FROM loads WHERE id <= ?", [before.loaded_through]).fetchone()[0]
        if latest is not None and latest > before.known_at:
            return nothing
    elif now.known_at is not None:
        return nothing
    touched: set[str] = set()
    for (files,) in conn.execute("SELECT files FROM loads WHERE id > ? AND id <= ?",
                                 [before.loaded_through, now.loaded_through]):
        touched |= {f["predicate"] for f in json.loads(files)}
    evidence = {d.name for d in program.declarations if d.is_evidence}
    return frozenset(evidence - touched), frozenset(evidence & touched)


def loaded_since(conn: sqlite3.Connection, before: Clocks, now: Clocks):
    """For an evidence declaration: a SELECT of the arguments of its records (asserted or retracted) that came in
    the loads `now` sees and `before` did not. Meaningful where `load_changes` says which predicates changed.
    On a case file they are found by rowid (`_first_rowid`), on PostgreSQL through the index of the batches
    (`evidence.batch_index`)."""
    def recent(decl) -> tuple[str, list]:
        cols = ", ".join(quote(c.name) for c in decl.columns)
        batches = [before.loaded_through, now.loaded_through]
        if dialect(conn) == POSTGRES:
            return f"SELECT {cols} FROM {quote(table_name(decl.name))} WHERE _batch > ? AND _batch <= ?", batches
        start = _first_rowid(conn, decl.name, before.loaded_through, now.loaded_through)
        return (f"SELECT {cols} FROM {quote(table_name(decl.name))} WHERE rowid >= ? AND _batch > ? AND _batch <= ?",
                [start, *batches])
    return recent


def _first_rowid(conn: sqlite3.Connection, name: str, after: int, through: int) -> int:
    """A rowid at or below every record of the predicate loaded in batches after..through, found by reading the
    table backwards: records are appended, so a later batch's records come after an earlier one's. The loads
    say how many records each batch added; only when the records read back account for all of them is a
    bound returned, else 0 (the whole table is read)."""
    expected = 0
    for (files,) in conn.execute("SELECT files FROM loads WHERE id > ? AND id <= ?", [after, through]):
        expected += sum(f.get("added", 0) for f in json.loads(files) if f["predicate"] == name)
    found, lowest = 0, None
    for rowid, batch in conn.execute(f"SELECT rowid, _batch FROM {quote(table_name(name))} ORDER BY rowid DESC"):
        if batch is not None and batch <= after:
            return (lowest if lowest is not None else rowid + 1) if found == expected else 0
        if batch is not None and batch <= through:
            found, lowest = found + 1, rowid
    return 0
