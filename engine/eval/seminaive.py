"""The semi-naive fixpoint, stratum by stratum.

Invariants (each derived table r_<p> holds rows with `_round`):
- round k reads only rows with _round < k ("full") and the delta, rows with _round = k - 1;
- a row inserted in round k therefore rests on rows of strictly earlier rounds: every
  fact has a well-founded derivation of height `_round`, from which proofs are rebuilt;
- a stratum ends when a round adds nothing; rounds are numbered across strata.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable

from ..syntax.ast import Atom, Rule, atom_vars, body_atoms
from .demand import Restriction
from .guards import check_finite, execute
from .limits import fact_limit_error
from .plan import Stratum
from .relations import RunTables, ident, table_name
from .sqlgen import Query, RuleCompiler, head_select


class RoundLimitError(Exception):
    """The fixpoint did not close within the round limit; names the rules still producing."""

    def __init__(self, limit: int, rules: list[str]):
        self.limit, self.rules = limit, rules
        super().__init__(
            f"evaluation stopped after {limit} rounds: rule(s) {', '.join(rules)} kept deriving new facts "
            "(arithmetic inside recursion that never stops growing?); raise --max-rounds if the data is just deep"
        )


@dataclass(frozen=True)
class Statement:
    rule: Rule
    sql: str
    params: dict


def compile_rule(rule: Rule, stratum: Stratum, tables: RunTables, constants, delta_atom: Atom | None,
                 demand: Restriction | None = None) -> Statement:
    """The INSERT that applies `rule` once, reading `delta_atom` (if any) as the delta; with `demand`, only
    for the heads it demands (demand.py)."""
    own = stratum.members

    def pick(atom: Atom, is_delta: bool, with_meta: bool):
        version = ("delta" if is_delta else "full") if atom.predicate in own else "all"
        return tables.source(atom.predicate, version, with_meta)

    compiler = RuleCompiler(tables.decls, constants, pick, delta_atom, demanded=demand.values(rule) if demand else None)
    head_vars = {v.name for v in atom_vars(rule.head)}
    q = compiler.body(rule.body, Query(), head_vars)
    select = head_select(rule, q, compiler)
    if demand and (kept := demand.head_filter(rule.head.predicate, select, leads=delta_atom is None)):
        q.where.append(kept)
    decl = tables.decls[rule.head.predicate]
    cols = ", ".join([ident(c.name) for c in decl.columns] + ["_round", "_rule"])
    body = q.sql(select + [":k", ":rule"], distinct=not decl.columns)
    sql = f"INSERT OR IGNORE INTO {table_name('r', rule.head.predicate)} ({cols}) {body}"
    return Statement(rule, sql, dict(tables.params, **compiler.params, rule=rule.key if tables.provenance else None))


def delta_variants(rule: Rule, stratum: Stratum, tables, constants, demand: Restriction | None = None) -> list[Statement]:
    """One statement per positive occurrence of a same-stratum predicate, read as the delta."""
    return [
        compile_rule(rule, stratum, tables, constants, atom, demand)
        for atom, negated, _ in body_atoms(rule.body)
        if not negated and atom.predicate in stratum.members
    ]


Trace = Callable[[str, dict], None]


class _Run:
    """One fixpoint's applications: counts the facts derived against `max_facts`, and checks each round's."""

    def __init__(self, conn: sqlite3.Connection, tables: RunTables, as_of: str, trace: Trace | None,
                 max_facts: int | None):
        self.conn, self.tables, self.as_of, self.trace, self.max_facts = conn, tables, as_of, trace, max_facts
        self.facts = 0

    def apply(self, statements: list[Statement], k: int) -> dict[str, int]:
        """Apply each statement once in round k; rows added by rule id. Stops at the fact limit, and on a
        value no fact may hold."""
        added: dict[str, int] = {}
        for st in statements:
            params = dict(st.params, k=k, as_of=self.as_of)
            if self.trace:
                self.trace(st.sql, params)
            n = execute(self.conn, st.rule, st.sql, params)
            if n > 0:
                added[st.rule.id] = added.get(st.rule.id, 0) + n
                self.facts += n
                if self.max_facts and self.facts > self.max_facts:
                    raise fact_limit_error(self.max_facts, st.rule.id)
        check_finite(self.conn, self.tables, [st.rule for st in statements if st.rule.id in added], k)
        return added


def fixpoint(conn: sqlite3.Connection, plan: tuple[Stratum, ...], tables: RunTables, constants, as_of: str,
             max_rounds: int = 100_000, trace: Trace | None = None, max_facts: int | None = None,
             spans: list[tuple[int, int]] | None = None) -> int:
    """Evaluate every stratum to its least fixpoint; returns the number of rounds used, and appends to `spans`
    each stratum's (first round, rounds). Raises RoundLimitError, LimitError (more than `max_facts` derived)
    or RuleError (guards.py)."""
    run = _Run(conn, tables, as_of, trace, max_facts)
    k = 1
    for stratum in plan:
        start, k = k, stratum_fixpoint(run, stratum, constants, k, max_rounds)
        if spans is not None:
            spans.append((start, k - start))
    return k - 1


def stratum_fixpoint(run: _Run, stratum: Stratum, constants, k: int, max_rounds: int,
                     demand: Restriction | None = None) -> int:
    """Evaluate one stratum to its least fixpoint from round `k` (with `demand`, only what it demands);
    returns the round the next stratum starts in."""
    tables = run.tables
    first = [compile_rule(r, stratum, tables, constants, None, demand) for r in stratum.rules]
    added = run.apply(first, k)
    if stratum.recursive:
        variants = [v for r in stratum.rules if stratum.reads_own(r)
                    for v in delta_variants(r, stratum, tables, constants, demand)]
        while added:
            k += 1
            if k > max_rounds:
                raise RoundLimitError(max_rounds, sorted(added))
            added = run.apply(variants, k)
    return k + 1
