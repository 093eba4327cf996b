"""Incremental runs: a new run that takes over from a previous run of the same program what the changes
since cannot have touched, stratum by stratum, and evaluates the rest.

Why this is exact (facts and provenance byte for byte those of a full run): a stratum reads lower strata
and evidence only as complete sets (`RunTables.source` version 'all'), so which facts it derives, and for
each the round *relative to the stratum's first round* and the rule, depend only on those input sets, the
rules and the assessment date where a rule reads it. So:

- a stratum whose inputs are the same sets as in the previous run derives the same facts with the same
  relative rounds and rules: they are copied, shifted to the round this run's stratum starts in;
- in a recursive stratum whose inputs changed, the rounds before the first one in which a derivation can
  read a changed row (added or removed: `first_difference`) are the same in both runs: they are copied, and
  the ordinary semi-naive fixpoint resumes from that round (`seminaive.stratum_fixpoint`), which is what a
  full run does from there, the facts below being the same;
- any other stratum is evaluated whole;
- but a stratum whose inputs only gained rows, each read positively (`propagate.not_propagable`), is
  taken over whole and the gained rows propagated through it (`propagate.py`): only derivations that use a
  changed row are evaluated. A stratum that could not be propagated says why in `Reuse.not_updated`.

A re-evaluated stratum's facts are compared with the previous run's to tell the strata above which rows
changed (and whether it only gained some); a propagated stratum knows the facts it gained. Retractions, validity windows that end and a change of the assessment date are changed rows like
any other, so deletions (and negation, and the recursive sums of the OFAC rule) are as sound as insertions.

A full run is made instead, with the reason, when the previous run cannot be taken over: another program,
another law in force (`program_on` differs between the two assessment dates), a run without provenance.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Callable

from ..syntax.ast import Aggregate, Atom, Declaration, Disjunction, Negation, NegatedConjunction, Var, body_atoms
from ..syntax.program import Program
from ..store.facts import of_run
from . import ddl
from .in_force import program_on
from .plan import Stratum
from .relations import ident, table_name
from .propagate import GROWN, Propagation, evidence_sources, grown_facts, not_propagable
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
    recent: Callable[[Declaration], tuple[str, list]] | None = None  # args of the records loaded since
    spans: tuple[tuple[int, int], ...] = ()  # each stratum's (first round, rounds), as the run recorded them

    def told(self) -> frozenset[str]:
        """The predicates whose change is known without comparing records: their evidence is copied into the
        run only for the strata evaluated."""
        return self.unchanged | self.changed


@dataclass(frozen=True)
class Reuse:
    """How a run was made: incremental from `previous` (strata and facts taken over), or full (`reason`)."""

    previous: str | None = None
    reason: str | None = None
    strata: int = 0
    strata_reused: int = 0
    facts_reused: int = 0
    strata_resumed: int = 0
    strata_propagated: int = 0
    not_updated: tuple[str, ...] = ()  # why each stratum whose inputs changed was not updated by its changes

    @property
    def incremental(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict:
        """The run's mode for --json."""
        if not self.incremental:
            return {"mode": "full", "reason": self.reason}
        return {"mode": "incremental", "previous": self.previous, "strata": self.strata,
                "strata_reused": self.strata_reused, "strata_resumed": self.strata_resumed,
                "strata_propagated": self.strata_propagated, "facts_reused": self.facts_reused,
                "not_updated": list(self.not_updated)}

    def text(self) -> str:
        """One line for the run's output."""
        if not self.incremental:
            return f"full run: {self.reason}"
        evaluated = self.strata - self.strata_reused - self.strata_resumed - self.strata_propagated
        why = "".join(f"; {e}" for e in self.not_updated)
        return (f"incremental run from {self.previous}: {self.strata_reused} of {self.strata} strata taken over, "
                f"{self.strata_propagated} updated by their changes, {self.strata_resumed} resumed part-way, "
                f"{evaluated} evaluated ({self.facts_reused} facts taken over){why}")


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


Changes = dict[str, str | None]  # changed predicate -> the temp table of its changed rows (None: not known)
Grown = dict[str, str]  # predicate that only gained rows -> the temp table of the rows it gained


def _difference(conn: sqlite3.Connection, name: str, a: str, a_params: list, b: str,
                b_params: list) -> tuple[str | None, bool]:
    """Rows in one of two SELECTs and not the other, into the temp table d_<name> (None when none), and
    whether every one of them is a row of `a` (then also in grow_<name>: what `a` gained)."""
    grown, lost, table = table_name(GROWN, name), table_name("lost", name), table_name("d", name)
    for t in (grown, lost, table):
        conn.execute(f"DROP TABLE IF EXISTS {ddl.temp_table(conn, t)}")
    conn.execute(f"CREATE TEMP TABLE {grown} AS SELECT * FROM ({a} EXCEPT {b}) AS _rows", a_params + b_params)
    conn.execute(f"CREATE TEMP TABLE {lost} AS SELECT * FROM ({b} EXCEPT {a}) AS _rows", b_params + a_params)
    conn.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {grown} UNION ALL SELECT * FROM {lost}")
    ddl.analyze(conn, grown, table)
    only_grown = not conn.execute(f"SELECT EXISTS (SELECT 1 FROM {lost})").fetchone()[0]
    return (table if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0] else None), only_grown


def changed_evidence(conn: sqlite3.Connection, program: Program, previous: Previous, with_meta: set[str],
                     current: Callable[[Declaration], tuple[str, list]]) -> tuple[Changes, Grown]:
    """The evidence predicates whose rows in force (and records, where a rule reads their metadata) differ
    from the previous run's: this run's snapshot (e_/m_ tables) against the previous clocks' selection, or
    as the loads since tell (`previous.changed`, their rows from `previous.recent`, each looked up in this
    run's selection (`current`) and the previous one's). Also, of those, the ones that only gained rows."""
    out: Changes = {}
    grown: Grown = {}
    for decl in program.declarations:
        if not decl.is_evidence or decl.name in previous.unchanged:
            continue
        if decl.name in previous.changed:
            out[decl.name] = _recent(conn, decl, previous)
            if out[decl.name] and _gained(conn, decl, out[decl.name], current(decl),
                                          previous.evidence_sql(decl, previous.as_of)):
                grown[decl.name] = table_name(GROWN, decl.name)
            continue
        old_sql, old_params = previous.evidence_sql(decl, previous.as_of)
        if not decl.columns:
            if _sets_differ(conn, f"SELECT 0 FROM {table_name('e', decl.name)}", [],
                            f"SELECT DISTINCT 0 FROM ({old_sql}) AS _old", old_params):
                out[decl.name] = None
            continue
        cols = ", ".join(_cols(decl))
        rows, only_grown = _difference(conn, decl.name, f"SELECT {cols} FROM {table_name('e', decl.name)}", [],
                                       f"SELECT {cols} FROM ({old_sql}) AS _old", old_params)
        if rows and decl.name in with_meta:
            out[decl.name] = None  # its records changed too: which rows a rule reading them sees is not known
        elif rows:
            out[decl.name] = rows
            if only_grown:
                grown[decl.name] = table_name(GROWN, decl.name)
        elif decl.name in with_meta and _sets_differ(conn, f"SELECT * FROM {table_name('m', decl.name)}", [],
                                                     f"SELECT * FROM ({old_sql}) AS _old", old_params):
            out[decl.name] = None
    return out, grown


def _gained(conn: sqlite3.Connection, decl: Declaration, rows: str, now: tuple[str, list],
            before: tuple[str, list]) -> bool:
    """Whether none of `rows` (arguments of records loaded since) left the selection in force: then the
    rows among them that entered it go to grow_<name>."""
    cols = _cols(decl)
    match = lambda alias: " AND ".join(f"{alias}.{c} = d.{c}" for c in cols)  # noqa: E731
    is_now = f"EXISTS (SELECT 1 FROM ({now[0]}) AS n WHERE {match('n')})"
    was = f"EXISTS (SELECT 1 FROM ({before[0]}) AS o WHERE {match('o')})"
    lost = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {rows} AS d WHERE NOT {is_now} AND {was})",
                        now[1] + before[1]).fetchone()[0]
    if lost:
        return False
    grown = table_name(GROWN, decl.name)
    conn.execute(f"DROP TABLE IF EXISTS {ddl.temp_table(conn, grown)}")
    conn.execute(f"CREATE TEMP TABLE {grown} AS SELECT {', '.join(f'd.{c}' for c in cols)} FROM {rows} AS d "
                 f"WHERE {is_now} AND NOT {was}", now[1] + before[1])
    ddl.analyze(conn, grown)
    return True


def _recent(conn: sqlite3.Connection, decl: Declaration, previous: Previous) -> str | None:
    """The temp table of the rows of the records loaded since the previous run, or None when not known."""
    if previous.recent is None or not decl.columns:
        return None
    sql, params = previous.recent(decl)
    table = table_name("d", decl.name)
    cols = ", ".join(_cols(decl))
    # materialized: else SQLite reads the whole table in the order of an index that gives DISTINCT for free
    conn.execute(f"CREATE TEMP TABLE {table} AS WITH recent AS MATERIALIZED ({sql}) SELECT DISTINCT {cols} FROM recent",
                 params)
    ddl.analyze(conn, table)
    return table


def _sets_differ(conn: sqlite3.Connection, a: str, a_params: list, b: str, b_params: list) -> bool:
    return bool(conn.execute(f"SELECT EXISTS ({a} EXCEPT {b})", a_params + b_params).fetchone()[0]
                or conn.execute(f"SELECT EXISTS ({b} EXCEPT {a})", b_params + a_params).fetchone()[0])


def _derived_changes(conn: sqlite3.Connection, decl: Declaration, previous: str) -> tuple[bool, str | None, bool]:
    """Whether this run's r_<pred> holds other facts than the previous run's (arguments only), the temp
    table of the facts in one and not the other, and whether this run only gained facts (grow_<pred>)."""
    fact = table_name("fact", decl.name)
    if not decl.columns:
        new = conn.execute(f"SELECT COUNT(*) > 0 FROM {table_name('r', decl.name)}").fetchone()[0]
        old = conn.execute(f"SELECT EXISTS (SELECT 1 FROM {fact} WHERE {of_run()})", {"run_id": previous}).fetchone()[0]
        return bool(new) != bool(old), None, False
    cols = ", ".join(_cols(decl))
    rows, only_grown = _difference(conn, decl.name, f"SELECT {cols} FROM {table_name('r', decl.name)}", [],
                                   f"SELECT {cols} FROM {fact} WHERE {of_run(param='?')}", [previous] * 3)
    return rows is not None, rows, only_grown


def stratum_spans(conn: sqlite3.Connection, plan: tuple[Stratum, ...], decls: dict[str, Declaration],
                  run_id: str) -> list[tuple[int, int]] | None:
    """(first round, number of rounds) of each stratum in a stored run, rebuilt from its facts' rounds as
    `seminaive.fixpoint` numbers them; None when the run kept no rounds (a run without provenance)."""
    spans, k = [], 1
    for stratum in plan:
        highest = None
        for p in stratum.predicates:
            row = conn.execute(f"SELECT MAX(_round), COUNT(*), COUNT(_round) FROM {table_name('fact', p)} "
                               f"WHERE {of_run()} AND (_round > 0 OR _round IS NULL)", {"run_id": run_id}).fetchone()
            if row[1] != row[2]:
                return None
            if row[0] is not None:
                highest = row[0] if highest is None else max(highest, row[0])
        length = 1 if highest is None or not stratum.recursive else highest - k + 2
        spans.append((k, length))
        k += length
    return spans


def _copy(conn: sqlite3.Connection, decl: Declaration, previous: str, shift: int, below: int) -> int:
    """Copy the previous run's derived facts of rounds below `below` into r_<pred>, `shift` rounds later."""
    cols = _cols(decl) or ["_unit"]
    select = ", ".join(_cols(decl) or ["0"])
    cur = conn.execute(f"INSERT OR IGNORE INTO {table_name('r', decl.name)} ({', '.join(cols)}, _round, _rule) "
                       f"SELECT {select}, _round + :shift, _rule FROM {table_name('fact', decl.name)} "
                       f"WHERE {of_run()} AND _round > 0 AND _round < :below",
                       {"shift": shift, "run_id": previous, "below": below})
    return cur.rowcount


def _reads(stratum: Stratum) -> set[str]:
    return {a.predicate for r in stratum.rules for a, _, _ in body_atoms(r.body)}


def _reads_as_of(stratum: Stratum, tables, constants) -> bool:
    statements = [compile_rule(r, stratum, tables, constants, None) for r in stratum.rules]
    statements += [v for r in stratum.rules if stratum.reads_own(r) for v in delta_variants(r, stratum, tables, constants)]
    return any(":as_of" in st.sql for st in statements)


def incremental_fixpoint(conn: sqlite3.Connection, program: Program, plan: tuple[Stratum, ...], tables, constants,
                         day: str, previous: Previous, with_meta: set[str], snapshot: Callable[[set[str]], None],
                         current: Callable[[Declaration], tuple[str, list]], max_rounds: int = 100_000,
                         trace: Trace | None = None, max_facts: int | None = None,
                         spans_out: list[tuple[int, int]] | None = None, shares: bool = False) -> tuple[int, Reuse]:
    """`seminaive.fixpoint` over this run's tables, taking over from `previous` every stratum whose inputs
    did not change, and propagating into a stratum the rows its inputs gained (see the module's docstring).
    Returns the rounds used and what was reused; a Reuse with a reason when the previous run could not be
    used at all (then nothing has been evaluated yet). The evidence of `previous.told()` has not been copied
    yet: `snapshot(names)` copies it, for the strata evaluated; `current(decl)` is its in-force SELECT.
    Each stratum's (first round, rounds) in this run is appended to `spans_out`. With `shares` (this run
    continues the lineage of `previous`, `tables.share` was called), a stratum taken over whole or propagated,
    in the rounds it had, is not copied: its facts stay where they are, shared (`tables.shared`)."""
    spans = (list(previous.spans) if len(previous.spans) == len(plan) else
             stratum_spans(conn, plan, tables.decls, previous.run_id))
    if spans is None:
        return 0, full(f"{previous.run_id} kept no provenance")
    changed, grown = changed_evidence(conn, program, previous, with_meta, current)
    previous_day, deferred = previous.as_of[:10], set(previous.told())
    day_stale = [day != previous_day and _reads_as_of(s, tables, constants) for s in plan]
    run = _Run(conn, tables, day, trace, max_facts)
    before = _counts(conn, previous.run_id) if shares else {}
    k, counts, not_updated = 1, {"reused": 0, "resumed": 0, "facts": 0, "propagated": 0}, []
    starts = []
    for i, (stratum, (old_start, length)) in enumerate(zip(plan, spans)):
        starts.append(k)
        whole = day_stale[i]
        sharing = shares and k == old_start and all(tables.decls[p].columns for p in stratum.predicates)
        if set(changed) & _reads(stratum) and not whole:
            why = not_propagable(stratum, changed, grown)
            taken = why or _propagate(run, stratum, constants, grown, previous.run_id, k - old_start, k, length,
                                      max_rounds, evidence_sources(tables.decls, _reads(stratum) & deferred, current),
                                      before if sharing else None)
            if not isinstance(taken, str):
                k, copied = taken
                counts["propagated"] += 1
                counts["facts"] += copied
                for p, table in grown_facts(conn, stratum).items():
                    changed[p] = grown[p] = table
                continue
            why, whole = taken, whole or not why  # a propagation given up: evaluated whole
            not_updated.append(f"{'/'.join(stratum.predicates)} not updated by its changes: {why}")
        resume = 1 if whole else _resume_at(conn, stratum, tables.decls, changed, previous.run_id, old_start, length)
        span = min(resume, length)
        if stratum.recursive and span > 1 and k + span - 1 > max_rounds:
            resume = 1  # a full run stops within the copied rounds: evaluate, to stop as it does
        if resume > 1:
            copied = (_share(run, stratum, before) if sharing and resume > length else
                      _take_over(run, stratum, previous.run_id, k - old_start, old_start + resume - 1, resume > length))
            if max_facts and run.facts > max_facts:  # a full run would have stopped here: evaluate, to stop as it does
                _forget(run, stratum, copied)
                resume = 1
            else:
                counts["facts"] += copied
        if resume > length:
            counts["reused"] += 1
            k += length
            continue
        counts["resumed"] += resume > 1
        if _reads(stratum) & deferred:
            snapshot(_reads(stratum) & deferred)
            deferred -= _reads(stratum)
        k = stratum_fixpoint(run, stratum, constants, k + resume - 1, max_rounds)
        # only a stratum that may still take over, resume or propagate needs to know what changed here
        wanted = set().union(*(_reads(s) for j, s in enumerate(plan[i + 1:], start=i + 1) if not day_stale[j]))
        _note_changes(conn, [tables.decls[p] for p in stratum.predicates if p in wanted], previous.run_id, changed,
                      grown)
    if spans_out is not None:
        spans_out += [(start, end - start) for start, end in zip(starts, starts[1:] + [k])]
    return k - 1, Reuse(previous.run_id, None, len(plan), counts["reused"], counts["facts"], counts["resumed"],
                        counts["propagated"], tuple(not_updated))


_ALL_ROUNDS = 2 ** 62


def _take_over(run: _Run, stratum: Stratum, previous: str, shift: int, below: int, whole: bool) -> int:
    """Copy the stratum's previous facts of rounds below `below` into the run, `shift` rounds later; returns
    how many. A stratum taken over whole is never read by round: it is filled without its round index."""
    if whole:
        for p in stratum.predicates:
            run.conn.execute(ddl.round_index(run.conn, p, create=False))
    copied = sum(_copy(run.conn, run.tables.decls[p], previous, shift, below) for p in stratum.predicates)
    run.facts += copied
    return copied


def _counts(conn: sqlite3.Connection, run_id: str) -> dict[str, int]:
    """The facts of each derived predicate in a stored run (stated ones included), as the run recorded them."""
    row = conn.execute("SELECT counts FROM runs WHERE id = ?", [run_id]).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def _share(run: _Run, stratum: Stratum, before: dict[str, int]) -> int:
    """Take the stratum's previous facts over without copying them: they are shared (read where they are
    stored); returns how many derived facts that is (the stated ones are in the run's tables already)."""
    shared = 0
    for p in stratum.predicates:
        stated = run.conn.execute(f"SELECT COUNT(*) FROM {table_name('r', p)}").fetchone()[0]
        run.tables.shared[p] = before.get(p, 0)
        shared += before.get(p, 0) - stated
    run.facts += shared
    return shared


def _note_changes(conn: sqlite3.Connection, decls: list[Declaration], previous: str, changed: Changes,
                  grown: Grown) -> None:
    """Record which facts of these evaluated predicates differ from the previous run's (and which only
    gained facts), for the strata above."""
    for decl in decls:
        differs, rows, only_grown = _derived_changes(conn, decl, previous)
        if differs:
            changed[decl.name] = rows
            if only_grown:
                grown[decl.name] = table_name(GROWN, decl.name)


LIMIT_REACHED = "a limit of the run was reached (evaluated, to stop as a full run does)"


def _propagate(run: _Run, stratum: Stratum, constants, grown: Grown, previous: str, shift: int, k: int,
               length: int, max_rounds: int, evidence, before: dict[str, int] | None = None) -> tuple[int, int] | str:
    """Take the stratum's previous facts over (`shift` rounds later; `length` rounds before) and propagate what
    its inputs gained (propagate.py): (the round the next stratum starts in, the facts taken over); or, with
    nothing of the stratum left, why not: a limit of the run was reached (the caller evaluates the stratum,
    to fail as a full run does), or the change reached more than a twentieth of its facts (evaluating costs
    less: every round of a propagation joins every changed row; measured on the OFAC benchmark, break-even
    was at about 200 new holdings of blocked owners for 8,910 facts). With `before` (the previous run's
    counts), the facts are shared, not copied, and propagated in place; a propagation given up is undone."""
    in_place = before is not None
    if in_place:  # undone if the propagation is given up
        run.conn.execute("SAVEPOINT warrant_propagate")
        copied = _share(run, stratum, before)
    else:
        copied = _take_over(run, stratum, previous, shift, _ALL_ROUNDS, True)  # a propagation reads no fact by round
    budget, why, added = max(100, copied // 20), LIMIT_REACHED, 0
    if not (run.max_facts and run.facts > run.max_facts):
        inputs = {p: t for p, t in grown.items() if p in _reads(stratum)}
        propagation = Propagation(run, stratum, constants, inputs, *evidence, in_place=in_place)
        nxt = propagation.settle(k, k + length - 2, max_rounds, budget)
        added = propagation.added
        if nxt is None:
            why = f"the change reached more than {budget} rows and facts (evaluating costs less)"
        elif nxt - 1 <= max_rounds and not (run.max_facts and run.facts > run.max_facts):
            if in_place:
                run.conn.execute("RELEASE warrant_propagate")
            return nxt, copied
    if in_place:
        run.conn.execute("ROLLBACK TO warrant_propagate")
        run.conn.execute("RELEASE warrant_propagate")
    _forget(run, stratum, copied + added)
    return why


def _forget(run: _Run, stratum: Stratum, facts: int) -> None:
    """Drop the derived facts of the stratum from the run's tables (its stated facts stay), which are then
    indexed by round again, to be evaluated."""
    for p in stratum.predicates:
        run.tables.shared.pop(p, None)
        run.conn.execute(f"DELETE FROM {table_name('r', p)} WHERE _round > 0")
        run.conn.execute(ddl.round_index(run.conn, p, create=False))
        run.conn.execute(ddl.round_index(run.conn, p))
    run.facts -= facts


def _resume_at(conn: sqlite3.Connection, stratum: Stratum, decls, changed: Changes, previous: str, start: int,
               length: int) -> int:
    """The round (within the stratum) from which to evaluate it: 1 for all of it, past `length` (its rounds in
    the previous run, the last adding nothing) to take all of it over; rounds before it are taken over."""
    inputs = {p: rows for p, rows in changed.items() if p in _reads(stratum)}
    if not inputs:
        return length + 1
    if not stratum.recursive:
        return 1
    first = first_difference(conn, stratum, decls, inputs, previous, start)
    return length + 1 if first is None else min(first, length + 1)


def _scopes(body: tuple) -> list[tuple[list[Atom], list[Atom]]]:
    """Per conjunction of a body (the body itself, and each aggregate's body): (its positive atoms, whose
    shared variables are the same variables, and every other atom under it: negated, in a disjunction)."""
    own: list[Atom] = []
    other: list[Atom] = []
    nested = []
    for lit in body:
        if isinstance(lit, Atom):
            own.append(lit)
        elif isinstance(lit, Aggregate):
            nested += _scopes(lit.body)
        elif isinstance(lit, (Negation, Disjunction, NegatedConjunction)):
            other += [a for a, _, _ in body_atoms((lit,))]
    return [(own, other)] + nested


def _shared(a: Atom, b: Atom) -> list[tuple[int, int]]:
    """Argument positions (in a, in b) that hold the same variable."""
    return [(i, j) for i, x in enumerate(a.args) if isinstance(x, Var)
            for j, y in enumerate(b.args) if isinstance(y, Var) and x.name == y.name]


def _earliest(conn: sqlite3.Connection, b: Atom, decls, delta: str | None, a: Atom | None, previous: str,
              start: int) -> int | None:
    """The lowest round, counted within the stratum (stated facts 0), of a previous fact of `b`'s predicate
    (that agrees with some changed row of `delta` on the variables `a` and `b` share, when given)."""
    b_cols = _cols(decls[b.predicate])
    local = f"CASE WHEN b._round = 0 THEN 0 ELSE b._round - {int(start)} + 1 END"
    sql = f"SELECT MIN({local}) FROM {table_name('fact', b.predicate)} AS b WHERE {of_run('b')}"
    pairs = _shared(a, b) if a is not None and delta else []
    if pairs:
        a_cols = _cols(decls[a.predicate])
        on = " AND ".join(f"d.{a_cols[i]} = b.{b_cols[j]}" for i, j in pairs)
        # probed once per previous fact: indexed, else each probe reads every changed row
        keys = sorted({a_cols[i] for i, _ in pairs})
        bare = [name.strip('"') for name in [delta] + keys]  # validated identifiers, quoted
        index = ddl.temp_index(conn, "__".join(bare))
        conn.execute(f'CREATE INDEX IF NOT EXISTS {index} ON {delta} ({", ".join(keys)})')
        sql += f" AND EXISTS (SELECT 1 FROM {delta} AS d WHERE {on})"
    return conn.execute(sql, {"run_id": previous}).fetchone()[0]


def first_difference(conn: sqlite3.Connection, stratum: Stratum, decls, deltas: dict[str, str | None],
                     previous: str, start: int) -> int | None:
    """A lower bound on the first round (within the stratum) in which this run can derive anything else than the
    previous run did, or with another rule; None when no round can differ. `deltas` maps each changed input
    predicate to a table of its changed rows (added or removed), or None when they are not known.

    Rounds below the first difference are equal in both runs, so a derivation that differs in that round
    reads a changed row and same-stratum facts of lower rounds that the previous run held too: so the round is
    above every such fact's round. A fact that shares a variable with the changed row in the same conjunction
    must agree with some changed row; other facts are bounded by their predicate's lowest round."""
    bound: int | None = None
    for rule in stratum.rules:
        for own, other in _scopes(rule.body):
            for a in own + other:
                if a.predicate not in deltas:
                    continue
                mine = [b for b, neg, _ in body_atoms(rule.body) if not neg and b.predicate in stratum.members]
                if not mine:
                    return 1
                rounds = [_earliest(conn, b, decls, deltas[a.predicate], a if _together(a, b, own) else None,
                                    previous, start) for b in mine]
                if any(r is None for r in rounds):
                    continue  # no such derivation from the previous facts: not a first difference
                here = 1 + max(rounds)
                bound = here if bound is None else min(bound, here)
    return bound


def _together(a: Atom, b: Atom, scope: list[Atom]) -> bool:
    return any(x is a for x in scope) and any(x is b for x in scope)
