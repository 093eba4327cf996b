"""Comparing stored runs: the facts two runs derived, row by row, round and rule included."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from ..eval.relations import ident, table_name
from ..syntax.program import Program


@dataclass(frozen=True)
class FactsDiff:
    """Rows (args..., round, rule) only in run A, only in run B, per derived predicate."""

    only_a: dict[str, list[tuple]]
    only_b: dict[str, list[tuple]]

    @property
    def identical(self) -> bool:
        return not any(self.only_a.values()) and not any(self.only_b.values())


def _rows(conn: sqlite3.Connection, decl, run_id: str) -> list[tuple]:
    cols = [ident(c.name) for c in decl.columns] + ["_round", "_rule"]
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [f"fact_{decl.name}"]).fetchone()
    if not exists:
        return []
    sql = f"SELECT {', '.join(cols)} FROM {table_name('fact', decl.name)} WHERE run_id = ? ORDER BY {', '.join(cols)}"
    return [tuple(r) for r in conn.execute(sql, [run_id])]


def compare_facts(conn: sqlite3.Connection, program: Program, run_a: str, run_b: str) -> FactsDiff:
    """Every derived fact of two runs, with its round and rule, compared exactly."""
    only_a, only_b = {}, {}
    for decl in sorted((d for d in program.declarations if not d.is_evidence), key=lambda d: d.name):
        a, b = _rows(conn, decl, run_a), _rows(conn, decl, run_b)
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


@dataclass(frozen=True)
class ReplayReport:
    run_id: str
    identical: bool
    facts_sha256: str
    diff: FactsDiff
    proofs_compared: int = 0
    proofs_differing: tuple[str, ...] = ()


def move_run_aside(conn, program: Program, run_id: str) -> str:
    """Inside a savepoint: rename a stored run's facts so the same id can be evaluated again."""
    aside = f"{run_id}~stored"
    tables = ["runs", "run_rulebooks"] + [f"fact_{d.name}" for d in program.declarations if not d.is_evidence]
    for table in tables:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone():
            continue
        conn.execute(f'DROP TRIGGER IF EXISTS "{table}_no_update"')
        column = "id" if table == "runs" else "run_id"
        conn.execute(f'UPDATE "{table}" SET {column} = ? WHERE {column} = ?', [aside, run_id])
    return aside
