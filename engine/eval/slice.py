"""Relevance slicing: evaluate only the strata a question about one predicate needs.

A point question (`why`, `whynot`, `query` of one predicate) needs the predicates that predicate depends
on, through any rule, negation or aggregate. The slice evaluates their strata in the full plan's order,
and keeps each fact's round what a full run gives it: rounds are numbered across strata, a stratum that
is not recursive always takes exactly one round, so a skipped one advances the round counter by one; a
recursive stratum takes as many rounds as its data needs, so one that comes before a needed stratum is
evaluated too (with what it depends on). The facts of every predicate in the slice, with their rounds
and rules, are then those of a full run, and so is every proof built from them.
"""

from __future__ import annotations

import sqlite3

from ..check.depgraph import edges
from ..syntax.ast import body_atoms
from ..syntax.program import Program
from .demand import Demand, in_place, restrict
from .plan import Stratum
from .relations import RunTables
from .seminaive import Trace, _Run, stratum_fixpoint


def _depends(program: Program) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for e in edges(program):
        graph.setdefault(e.head, set()).add(e.body)
    return graph


def _closure(graph: dict[str, set[str]], start: set[str]) -> set[str]:
    seen, todo = set(start), list(start)
    while todo:
        for body in graph.get(todo.pop(), ()):
            if body not in seen:
                seen.add(body)
                todo.append(body)
    return seen


def needed(program: Program, plan: tuple[Stratum, ...], predicate: str) -> frozenset[str]:
    """The predicates (evidence and derived) a slice for `predicate` evaluates or reads: what it depends
    on, plus every recursive stratum evaluated before one of those (and what that depends on)."""
    graph = _depends(program)
    need = _closure(graph, {predicate})
    while True:
        used = [i for i, s in enumerate(plan) if s.members & need]
        last = max(used, default=-1)
        extra = {p for s in plan[:last] if s.recursive and not s.members & need for p in s.predicates}
        if not extra:
            return frozenset(need)
        need = _closure(graph, need | extra)


def read_in_place(plan: tuple[Stratum, ...], need: frozenset[str], demand: Demand, decls: dict) -> frozenset[str]:
    """The evidence predicates a slice for `demand` reads in place instead of copying (demand.in_place):
    those only its last stratum, the demanded one, reads."""
    last = max((i for i, s in enumerate(plan) if s.members & need), default=-1)
    if last < 0 or demand.predicate not in plan[last].members:
        return frozenset()
    elsewhere = {atom.predicate for s in plan[:last] if s.members & need
                 for rule in s.rules for atom, _, _ in body_atoms(rule.body)}
    return in_place(plan[last], demand, decls, elsewhere)


def sliced_fixpoint(conn: sqlite3.Connection, plan: tuple[Stratum, ...], need: frozenset[str], tables: RunTables,
                    constants, as_of: str, max_rounds: int = 100_000, trace: Trace | None = None,
                    max_facts: int | None = None, demand: Demand | None = None) -> int:
    """`seminaive.fixpoint` over the strata that meet `need` (from `needed`), the others skipped with the
    round each takes in a full run; returns the rounds a full run has used by the end of the last
    needed stratum. With `demand` (an atom of the last stratum's predicate), that stratum derives only
    what the atom needs (demand.py); its facts that remain are the full run's."""
    run = _Run(conn, tables, as_of, trace, max_facts)
    last = max((i for i, s in enumerate(plan) if s.members & need), default=-1)
    k = 1
    for i, stratum in enumerate(plan[:last + 1]):
        restriction = None
        if i == last and demand is not None and demand.predicate in stratum.members:
            restriction = restrict(conn, stratum, demand, tables)
        if stratum.members & need:
            k = stratum_fixpoint(run, stratum, constants, k, max_rounds, restriction)
        elif stratum.recursive:  # `needed` includes these: its rounds depend on its data
            raise ValueError(f"a slice cannot skip the recursive stratum {', '.join(stratum.predicates)}")
        else:
            k += 1
    return k - 1


__all__ = ["needed", "read_in_place", "sliced_fixpoint"]
