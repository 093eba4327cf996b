"""Comparing stored runs: the facts two runs derived, row by row, round and rule included (replay: replay.py)."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Iterator

from ..eval.relations import ident, table_name
from ..store.backend import has_table
from ..syntax.program import Program
from ..store.facts import run_rows


@dataclass(frozen=True)
class FactsDiff:
    """Rows (args..., round, rule) only in run A, only in run B, per derived predicate; `differing` names
    the predicates whose rows differ in any way (a replay lists at most `replay.LIST_LIMIT` rows of each)."""

    only_a: dict[str, list[tuple]]
    only_b: dict[str, list[tuple]]
    differing: tuple[str, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.differing and not any(self.only_a.values()) and not any(self.only_b.values())


def _rows(conn: sqlite3.Connection, decl, run_id: str) -> Iterator[tuple]:
    cols = [ident(c.name) for c in decl.columns] + ["_round", "_rule"]
    if not has_table(conn, f"fact_{decl.name}"):
        return
    run, params = run_rows(run_id)
    sql = f"SELECT {', '.join(cols)} FROM {table_name('fact', decl.name)} WHERE {run} ORDER BY {', '.join(cols)}"
    for row in conn.execute(sql, params):
        yield tuple(row)


def compare_facts(conn: sqlite3.Connection, program: Program, run_a: str, run_b: str) -> FactsDiff:
    """Every derived fact of two runs, with its round and rule, compared exactly."""
    only_a, only_b = {}, {}
    for decl in sorted((d for d in program.declarations if not d.is_evidence), key=lambda d: d.name):
        a, b = list(_rows(conn, decl, run_a)), list(_rows(conn, decl, run_b))
        sa, sb = set(a), set(b)
        only_a[decl.name] = [r for r in a if r not in sb]
        only_b[decl.name] = [r for r in b if r not in sa]
    return FactsDiff(only_a, only_b)


def facts_digest(conn: sqlite3.Connection, program: Program, run_id: str) -> str:
    """SHA-256 over every derived fact of a run (args, round, rule) in canonical order."""
    h = hashlib.sha256()
    for decl in sorted((d for d in program.declarations if not d.is_evidence), key=lambda d: d.name):
        for row in _rows(conn, decl, run_id):
            h.update(repr((decl.name,) + row).encode())
    return h.hexdigest()
