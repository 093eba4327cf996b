"""Compile rules exactly as a run would and let SQLite prepare them against an empty in-memory schema:
what the database refuses (a parser stack overflow, an expression tree too deep) is found before a run."""

from __future__ import annotations

import sqlite3
from typing import Iterable

from ..syntax.ast import Declaration, Rule
from ..syntax.program import Program
from .functions import register as register_functions
from .plan import make_plan
from .relations import META_COLUMNS, RunTables, ident
from .run import make_derived_tables, snapshot_evidence
from .seminaive import compile_rule, delta_variants


def _empty_evidence(decl: Declaration, as_of: str | None) -> tuple[str, list]:
    """An empty SELECT with the columns the in-force query of `decl` has."""
    names = [ident(c.name) for c in decl.columns] + [f'"{m}"' for m in META_COLUMNS.values()]
    return "SELECT " + ", ".join(f"NULL AS {n}" for n in names) + " WHERE 0", []


def refused(program: Program, rules: Iterable[Rule]) -> dict[str, str]:
    """SQLite's message for each of `rules` (by id) whose run statements it cannot prepare. The program must
    have passed every other check."""
    wanted = {id(r) for r in rules}
    if not wanted:
        return {}
    conn = register_functions(sqlite3.connect(":memory:"))
    try:
        snapshot_evidence(conn, program, _empty_evidence, None)
        make_derived_tables(conn, program)
        tables = RunTables({d.name: d for d in program.declarations})
        constants = {c.name: c for c in program.constants}
        out = {}
        for stratum in make_plan(program):
            for rule in (r for r in stratum.rules if id(r) in wanted):
                statements = [compile_rule(rule, stratum, tables, constants, None)]
                if stratum.reads_own(rule):
                    statements += delta_variants(rule, stratum, tables, constants)
                for st in statements:
                    try:
                        conn.execute("EXPLAIN " + st.sql, dict(st.params, k=1, as_of="2000-01-01"))
                    except sqlite3.Error as exc:
                        out[rule.id] = str(exc)
                        break
        return out
    finally:
        conn.close()
