"""Incremental runs: a new run that takes over from a previous run of the same program the strata whose
inputs did not change, and evaluates the others afresh.

Why this is exact (facts and provenance byte for byte those of a full run): a stratum reads lower strata
and evidence only as complete sets (`RunTables.source` version 'all'), so which facts it derives, and for
each the round *relative to the stratum's first round* and the rule, depend only on those input sets, the
rules and the assessment date where a rule reads it. A stratum whose inputs are the same sets as in the
previous run therefore derives the same facts with the same relative rounds and rules: they are copied,
shifted to the round this run's stratum starts in. Every other stratum is evaluated by the ordinary
semi-naive fixpoint (`seminaive.stratum_fixpoint`), and its result compared with the previous run's to tell
the strata above whether their input changed. Retractions, validity windows that end and a change of the
assessment date are changes of evidence sets like any other, so deletions are as sound as insertions.

A full run is made instead, with the reason, when the previous run cannot be taken over: another program,
another law in force (`program_on` differs between the two assessment dates), a run without provenance.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable

from ..syntax.ast import Declaration, body_atoms
from ..syntax.program import Program
from .in_force import program_on
from .plan import Stratum
from .relations import ident, table_name
from .seminaive import Trace, _Run, compile_rule, delta_variants, stratum_fixpoint

EvidenceSQL = Callable[[Declaration, str | None], tuple[str, list]]


@dataclass(frozen=True)
class Previous:
    """The run to take over: its id, its as-of (as stored), how its evidence in force is selected, and the
    evidence predicates known not to have changed since, and known to have (by the loads since: either is
    taken as said; any other is compared record by record). Taking an unchanged predicate as changed only
    costs time: its strata are evaluated again."""

    run_id: str
    as_of: str
    evidence_sql: EvidenceSQL
    unchanged: frozenset[str] = frozenset()
    changed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reuse:
    """How a run was made: incremental from `previous` (strata and facts taken over), or full (`reason`)."""

    previous: str | None = None
    reason: str | None = None
    strata: int = 0
    strata_reused: int = 0
    facts_reused: int = 0

    @property
    def incremental(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict:
        """The run's mode for --json."""
        if not self.incremental:
            return {"mode": "full", "reason": self.reason}
        return {"mode": "incremental", "previous": self.previous, "strata": self.strata,
                "strata_reused": self.strata_reused, "facts_reused": self.facts_reused}

    def text(self) -> str:
        """One line for the run's output."""
        if not self.incremental:
            return f"full run: {self.reason}"
        return (f"incremental run from {self.previous}: {self.strata_reused} of {self.strata} strata taken over "
                f"({self.facts_reused} facts), {self.strata - self.strata_reused} evaluated")


def full(reason: str) -> Reuse:
    """A full run, and why."""
    return Reuse(reason=reason)


def why_not_incremental(program: Program, previous_day: str, day: str) -> str | None:
    """Why the previous run (assessed on `previous_day`) cannot be taken over on `day`; None when it can."""
    if previous_day == day:
        return None
    before, now = program_on(program, previous_day), program_on(program, day)
    if before.rules != now.rules or before.constants != now.constants:
        return f"the law in force on {day} differs from that on {previous_day} (dated rules or thresholds)"
    return None


def _cols(decl: Declaration) -> list[str]:
    return [ident(c.name) for c in decl.columns]


def changed_evidence(conn: sqlite3.Connection, program: Program, previous: Previous, with_meta: set[str]) -> set[str]:
    """The evidence predicates whose rows in force (and records, where a rule reads their metadata) differ
    from the previous run's: this run's snapshot (e_/m_ tables) against the previous clocks' selection."""
    out = set(previous.changed)
    for decl in program.declarations:
        if not decl.is_evidence or decl.name in previous.unchanged or decl.name in previous.changed:
            continue
        old_sql, old_params = previous.evidence_sql(decl, previous.as_of)
        if decl.columns:
            cols = ", ".join(_cols(decl))
            new, old = f"SELECT {cols} FROM {table_name('e', decl.name)}", f"SELECT {cols} FROM ({old_sql})"
        else:
            new, old = f"SELECT 0 FROM {table_name('e', decl.name)}", f"SELECT DISTINCT 0 FROM ({old_sql})"
        if _sets_differ(conn, new, [], old, old_params):
            out.add(decl.name)
        elif decl.name in with_meta and _sets_differ(conn, f"SELECT * FROM {table_name('m', decl.name)}", [],
                                                     f"SELECT * FROM ({old_sql})", old_params):
            out.add(decl.name)
    return out


def _sets_differ(conn: sqlite3.Connection, a: str, a_params: list, b: str, b_params: list) -> bool:
    return bool(conn.execute(f"SELECT EXISTS ({a} EXCEPT {b})", a_params + b_params).fetchone()[0]
                or conn.execute(f"SELECT EXISTS ({b} EXCEPT {a})", b_params + a_params).fetchone()[0])


def _derived_differ(conn: sqlite3.Connection, decl: Declaration, previous: str) -> bool:
    """Whether this run's r_<pred> holds other facts than the previous run's (arguments only)."""
    fact = table_name("fact", decl.name)
    if not decl.columns:
        new = conn.execute(f"SELECT COUNT(*) > 0 FROM {table_name('r', decl.name)}").fetchone()[0]
        old = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {fact} WHERE run_id = ?)", [previous]).fetchone()[0]
        return bool(new) != bool(old)
    cols = ", ".join(_cols(decl))
    return _sets_differ(conn, f"SELECT {cols} FROM {table_name('r', decl.name)}", [],
                        f"SELECT {cols} FROM {fact} WHERE run_id = ?", [previous])


def stratum_spans(conn: sqlite3.Connection, plan: tuple[Stratum, ...], decls: dict[str, Declaration],
                  run_id: str) -> list[tuple[int, int]] | None:
    """(first round, number of rounds) of each stratum in a stored run, rebuilt from its facts' rounds as
    `seminaive.fixpoint` numbers them; None when the run kept no rounds (a run without provenance)."""
    spans, k = [], 1
    for stratum in plan:
        highest = None
        for p in stratum.predicates:
            row = conn.execute(f"SELECT MAX(_round), COUNT(*), COUNT(_round) FROM {table_name('fact', p)} "
                               "WHERE run_id = ? AND (_round > 0 OR _round IS NULL)", [run_id]).fetchone()
            if row[1] != row[2]:
                return None
            if row[0] is not None:
                highest = row[0] if highest is None else max(highest, row[0])
        length = 1 if highest is None or not stratum.recursive else highest - k + 2
        spans.append((k, length))
        k += length
    return spans


def _copy(conn: sqlite3.Connection, decl: Declaration, previous: str, shift: int) -> int:
    cols = _cols(decl) or ["_unit"]
    select = ", ".join(_cols(decl) or ["0"])
    cur = conn.execute(f"INSERT OR IGNORE INTO {table_name('r', decl.name)} ({', '.join(cols)}, _round, _rule) "
                       f"SELECT {select}, _round + ?, _rule FROM {table_name('fact', decl.name)} "
                       "WHERE run_id = ? AND _round > 0", [shift, previous])
    return cur.rowcount


def _reads(stratum: Stratum) -> set[str]:
    return {a.predicate for r in stratum.rules for a, _, _ in body_atoms(r.body)}


def _reads_as_of(stratum: Stratum, tables, constants) -> bool:
    statements = [compile_rule(r, stratum, tables, constants, None) for r in stratum.rules]
    statements += [v for r in stratum.rules if stratum.reads_own(r) for v in delta_variants(r, stratum, tables, constants)]
    return any(":as_of" in st.sql for st in statements)


def incremental_fixpoint(conn: sqlite3.Connection, program: Program, plan: tuple[Stratum, ...], tables, constants,
                         day: str, previous: Previous, with_meta: set[str], snapshot: Callable[[set[str]], None],
                         max_rounds: int = 100_000, trace: Trace | None = None,
                         max_facts: int | None = None) -> tuple[int, Reuse]:
    """`seminaive.fixpoint` over this run's tables, taking over from `previous` every stratum whose inputs
    did not change (see the module's docstring). Returns the rounds used and what was reused; a Reuse with a
    reason when the previous run could not be used at all (then nothing has been evaluated yet). The evidence
    of `previous.unchanged` has not been copied yet: `snapshot(names)` copies it, for the strata evaluated."""
    spans = stratum_spans(conn, plan, tables.decls, previous.run_id)
    if spans is None:
        return 0, full(f"{previous.run_id} kept no provenance")
    changed = changed_evidence(conn, program, previous, with_meta)
    previous_day, deferred = previous.as_of[:10], set(previous.unchanged)
    new_day = day != previous_day
    stale = [bool(_reads(s) & changed) or (new_day and _reads_as_of(s, tables, constants)) for s in plan]
    run = _Run(conn, tables, day, trace, max_facts)
    k, reused, facts = 1, 0, 0
    for i, (stratum, (old_start, length)) in enumerate(zip(plan, spans)):
        stale[i] = stale[i] or bool(_reads(stratum) & changed)
        if not stale[i] and not (stratum.recursive and length > 1 and k + length - 1 > max_rounds):
            copied = sum(_copy(conn, tables.decls[p], previous.run_id, k - old_start) for p in stratum.predicates)
            run.facts += copied
            if not (max_facts and run.facts > max_facts):
                reused, facts, k = reused + 1, facts + copied, k + length
                continue
            for p in stratum.predicates:  # a full run would have stopped here too: evaluate, to stop as it does
                conn.execute(f"DELETE FROM {table_name('r', p)} WHERE _round > 0")
            run.facts -= copied
        if _reads(stratum) & deferred:
            snapshot(_reads(stratum) & deferred)
            deferred -= _reads(stratum)
        k = stratum_fixpoint(run, stratum, constants, k, max_rounds)
        # only a stratum that could still be taken over needs to know whether these facts changed
        wanted = set().union(*(_reads(s) for j, s in enumerate(plan[i + 1:], start=i + 1) if not stale[j]))
        changed |= {p for p in stratum.predicates if p in wanted and _derived_differ(conn, tables.decls[p], previous.run_id)}
    return k - 1, Reuse(previous.run_id, None, len(plan), reused, facts)
