"""Insertions propagated through one stratum (incremental runs, issue 15): when the stratum's inputs only
gained rows since the previous run, its new facts, rounds and rules are found from the derivations that
use a gained row, instead of evaluating the stratum again.

Why this gives a full run's facts, rounds and rules. In a full run a fact's round is the first round in
which some rule derives it from facts of earlier rounds (stated facts are round 0; a rule that reads no
fact of its own stratum is applied only in the stratum's first round, and so derives only there), and its
rule is the first rule, in the stratum's order, that derives it in that round. When inputs only gain rows
and every one of them is read positively (at the top of a body, or inside an aggregate of the recursion,
which the checker holds monotone: `stratification.py`), every old derivation still holds and no fact is
lost: rounds can only fall, facts only be added. Rounds are settled in order; in round k:

- a derivation in round k that uses no changed row (a gained input row, or a fact of this stratum whose
  round fell or that is new) was one of the previous run's in round k, shifted: it gives the fact the
  same round k and a rule no later than before;
- every derivation that uses a changed row is found by reading that row's atom from the changed rows
  (one statement per atom, as a semi-naive delta variant reads its delta; an aggregate then recomputes
  only the groups a changed row touches, over the facts of rounds before k) and every other atom in full.

So a fact derived in round k by the second kind takes round k if its round was higher or it is new, and
the first of the two rules when its round was k; any other fact keeps its round and rule. The stratum
ends at the first round in which it holds no fact (a fact of a later round rests on one of the round
before), as a full run stops at the first round that adds nothing.

Aggregates read by a statement whose changed row lies inside them are recomputed only for the groups
that row touches (`sqlgen`'s delta filter), and every statement reads its changed rows first (`lead_delta`:
they are few, the facts and evidence they join many).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..syntax.ast import Aggregate, Atom, Rule, atom_vars, body_atoms
from ..store.facts import at_step
from . import ddl
from .guards import check_finite, execute
from .plan import Stratum
from .relations import Source, arg_columns, named_params, table_name
from .seminaive import _Run
from .sqlgen import Query, RuleCompiler, head_select

GROWN = "grow"  # grow_<pred>: the rows a predicate gained since the previous run (arguments)
CHANGED = "chg"  # chg_<pred>: facts of the stratum being propagated that are new or whose round fell
CANDIDATE = "cand"  # cand_<pred>: the heads derived in the current round from a changed row, with the rule
RULE_POS = '"rule_pos"'  # each rule's key and its position in the stratum


def not_propagable(stratum: Stratum, changed: dict[str, str | None], grown: dict[str, str]) -> str | None:
    """Why the changes to this stratum's inputs cannot be propagated as insertions (None when they can):
    an input lost rows or its changed rows are not known, or is read under `not`, in an aggregate outside
    the recursion, or with its records' metadata."""
    inputs = {p for p in changed if any(a.predicate == p for r in stratum.rules for a, _, _ in body_atoms(r.body))}
    for p in sorted(inputs):
        if p not in grown:
            return f"{p} lost rows or its changed rows are not known"
    for rule in stratum.rules:
        for lit in rule.body:
            for atom, negated, _ in body_atoms((lit,)):
                if atom.predicate not in inputs:
                    continue
                if negated:
                    return f"{atom.predicate} is read under not in rule {rule.id}"
                if atom.meta:
                    return f"rule {rule.id} reads the metadata of {atom.predicate}"
                if not isinstance(lit, Atom) and not (isinstance(lit, Aggregate) and _recursive(lit, stratum)):
                    return f"rule {rule.id} reads {atom.predicate} in an aggregate outside the recursion"
    return None


def _recursive(agg: Aggregate, stratum: Stratum) -> bool:
    return any(a.predicate in stratum.members for a, _, _ in body_atoms(agg.body))


@dataclass(frozen=True)
class _Statement:
    rule: Rule
    position: int
    sql: str
    params: dict


class Propagation:
    """One stratum's propagation: its statements, compiled once, and the round-by-round settling. With
    `in_place`, the stratum's facts are not in r_<pred> but shared with the run this one continues: they are
    read from fact_<pred> as this run's step sees them, and a fact that takes another round or rule is stored
    anew at this step, superseding the old row (store/facts.py); nothing is copied."""

    def __init__(self, run: _Run, stratum: Stratum, constants, grown: dict[str, str], evidence: dict[str, Source],
                 evidence_params: dict, in_place: bool = False):
        self.run, self.stratum, self.conn, self.tables = run, stratum, run.conn, run.tables
        self.grown, self.evidence, self.in_place = grown, evidence, in_place
        self.step = {k: run.tables.params[k] for k in ("lineage", "step")} if in_place else {}
        self.positions = {r.key: i for i, r in enumerate(stratum.rules)}
        self.last = 0  # the last round of the previous facts (see settle)
        self.left: set[int] = set()  # rounds some previous fact left (for a lower one)
        self.arrived: set[int] = set()  # rounds that facts took (new, or from a higher round)
        self.added = 0  # new facts so far
        self._make_tables()
        self.first, self.later = [], []
        for i, rule in enumerate(stratum.rules):
            for atom, negated, _ in body_atoms(rule.body):
                if negated or (atom.predicate not in grown and atom.predicate not in stratum.members):
                    continue
                st = self._compile(rule, i, atom, constants, evidence_params)
                if atom.predicate in grown:
                    self.first.append(st)
                if stratum.reads_own(rule):
                    self.later.append(st)

    def _make_tables(self) -> None:
        conn, clustered = self.conn, ddl.clustered(self.conn)
        for p in self.stratum.predicates:
            decl = self.tables.decls[p]
            key = ", ".join(list(arg_columns(decl)) or ['"_unit"'])
            typed = [ddl.column(conn, c.name, c.type) for c in decl.columns] or [f'"_unit"{ddl.typed(conn, int)}']
            for prefix, extra in ((CHANGED, "_round INTEGER, _rule TEXT"), (CANDIDATE, "_pos INTEGER"), (GROWN, None)):
                conn.execute(f"DROP TABLE IF EXISTS {ddl.temp_table(conn, table_name(prefix, p))}")
                columns = ", ".join(typed + ([extra] if extra else []))
                conn.execute(f"CREATE TEMP TABLE {table_name(prefix, p)} ({columns}, PRIMARY KEY ({key})){clustered}")
        conn.execute(f"DROP TABLE IF EXISTS {ddl.temp_table(conn, RULE_POS)}")
        conn.execute(f"CREATE TEMP TABLE {RULE_POS} (key TEXT PRIMARY KEY, pos INTEGER UNIQUE){clustered}")
        conn.executemany(f"INSERT INTO {RULE_POS} VALUES (?, ?)", sorted(self.positions.items()))

    def _pick(self, atom: Atom, is_delta: bool, with_meta: bool) -> Source:
        decl = self.tables.decls[atom.predicate]
        cols = arg_columns(decl) or ('"_unit"',)
        if atom.predicate in self.stratum.members:
            # `+`: the round must not lead the plan (most facts are older): the changed rows do
            if is_delta:
                return Source(table_name(CHANGED, atom.predicate), cols, "+{a}._round < :k")
            table, seen = self._facts(atom.predicate, "{a}")
            return Source(table, cols, seen + "+{a}._round < :k")
        if is_delta:
            return Source(self.grown[atom.predicate], cols)
        if atom.predicate in self.evidence:
            return self.evidence[atom.predicate]
        return self.tables.source(atom.predicate, "all", with_meta)

    def _compile(self, rule: Rule, position: int, delta: Atom, constants, evidence_params: dict) -> _Statement:
        compiler = RuleCompiler(self.tables.decls, constants, self._pick, delta, lead_delta=True)
        q = compiler.body(rule.body, Query(), {v.name for v in atom_vars(rule.head)})
        decl = self.tables.decls[rule.head.predicate]
        cols = ", ".join(list(arg_columns(decl)) or ['"_unit"'])
        select = head_select(rule, q, compiler) or ["0"]
        sql = (f"INSERT OR IGNORE INTO {table_name(CANDIDATE, rule.head.predicate)} ({cols}, _pos) "
               f"{q.sql(select + [':pos'], distinct=not decl.columns)}")
        return _Statement(rule, position, sql, dict(self.tables.params, **compiler.params, **evidence_params,
                                                    pos=position))

    def _facts(self, p: str, alias: str) -> tuple[str, str]:
        """The table holding the stratum's facts of `p`, and the condition (ending in AND, or empty) that
        picks this run's from it."""
        if self.in_place:
            return table_name("fact", p), at_step(alias) + " AND "
        return table_name("r", p), ""

    def settle(self, start: int, last: int, max_rounds: int, budget: int) -> int | None:
        """Settle the rounds from the stratum's first (`start`) on; returns the round the next stratum starts
        in (the facts it added: `added`). Every previous fact of the stratum must be in r_<pred>, at its round in this run,
        the last of them in round `last` (each round from `start` to `last` holds some). Past `max_rounds` or
        the run's fact limit it stops early: the caller then evaluates the stratum. None, as soon as the rows
        gained and the facts changed are more than `budget`: every round joins all of them, and evaluating
        the stratum costs less."""
        k, self.last = start, last
        changes = sum(self.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in self.grown.values())
        while True:
            if changes > budget:
                return None
            statements = self.first if k == start else self.later
            for st in statements:
                params = dict(st.params, k=k, as_of=self.run.as_of)
                if self.run.trace:
                    self.run.trace(st.sql, params)
                execute(self.conn, st.rule, st.sql, params)
            new, moved = self._merge(k)
            self.added, changes = self.added + new, changes + moved
            if not self.stratum.recursive or not self._holds(k):
                return k + 1
            if k >= max_rounds or (self.run.max_facts and self.run.facts > self.run.max_facts):
                return k + 2  # past a limit: the caller evaluates the stratum, to stop as a full run does
            k += 1

    def _holds(self, k: int) -> bool:
        """Whether round k (settled) holds a fact, told without an index by round: facts arrived in it, or
        it held previous facts and not all of them left (looked up only then)."""
        if k in self.arrived:
            return True
        if k > self.last:
            return False
        return k not in self.left or any(
            self.conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table} AS f WHERE {seen}_round = :k)",
                              dict(self.step, k=k)).fetchone()[0]
            for table, seen in (self._facts(p, "f") for p in self.stratum.predicates))

    # a candidate's fact as held so far, looked up by a subquery per candidate (a join would have SQLite
    # scan the facts first to build a Bloom filter, for a few candidates)
    _OLD = "(SELECT o._round FROM {r} AS o WHERE {on})"
    _TAKES = ('FROM {cand} AS c CROSS JOIN "rule_pos" AS rp WHERE rp.pos = c._pos AND '
              '(COALESCE(' + _OLD + ', :k + 1) > :k OR (' + _OLD + ' = :k AND '
              '(SELECT op.pos FROM {r} AS o CROSS JOIN "rule_pos" AS op WHERE {on} AND op.key = o._rule) > c._pos))')

    def _store(self, p: str, r: str, on: str, names: str, picked: str, params: dict) -> None:
        """Round k's candidates of `p` that are new, or come earlier (by round, then rule), into r_<pred>."""
        takes = self._TAKES.format(cand=table_name(CANDIDATE, p), r=r, on=on)
        insert, replace = ddl.replacing(self.conn, names.split(", "), ["_round", "_rule"])
        self.conn.execute(f"{insert} {r} ({names}, _round, _rule) SELECT {picked}, :k, rp.key {takes}{replace}", params)

    def _store_in_place(self, p: str, r: str, on: str, names: str, picked: str, params: dict) -> None:
        """`_store` for shared facts: those candidates are stored at this step, and the rows they replace, stored
        at an earlier step, end at this one. A fact changes at most once in a propagation (its round falls to
        the round being settled, after which no candidate can come earlier), so no row of this step ends."""
        cand = table_name(CANDIDATE, p)
        takes = self._TAKES.format(cand=cand, r=r, on=on)
        stored = self.conn.execute(f"INSERT INTO {r} (run_id, {names}, _round, _rule, _born, _died) "
                                   f"SELECT :lineage, {picked}, :k, rp.key, :step, NULL {takes}", params).rowcount
        if not stored:
            return
        same = " AND ".join(f"n.{c} = c.{c}" for c in names.split(", "))
        self.conn.execute(f"UPDATE {r} SET _died = :step WHERE run_id = :lineage AND ({names}) IN "
                          f"(SELECT {picked} FROM {cand} AS c WHERE EXISTS (SELECT 1 FROM {r} AS n "
                          f"WHERE n.run_id = :lineage AND {same} AND n._born = :step)) "
                          "AND _born < :step AND _died IS NULL", params)

    def _merge(self, k: int) -> tuple[int, int]:
        """Fold round k's candidates into r_<pred>: new facts and facts whose round falls to k take round k
        and the candidate's rule (also noted as changed, and new ones as grown); facts of round k take the
        candidate's rule when it comes first. Returns (the facts added, the facts that took round k)."""
        new, moved, rules, new_of = 0, 0, [], {}
        params = dict(self.step, k=k)
        for p in self.stratum.predicates:
            cand, (r, seen) = table_name(CANDIDATE, p), self._facts(p, "o")
            cols = list(arg_columns(self.tables.decls[p])) or ['"_unit"']
            on = seen + " AND ".join(f"o.{c} = c.{c}" for c in cols)
            names = ", ".join(cols)
            picked = ", ".join(f"c.{c}" for c in cols)
            fresh = self.conn.execute(
                f"INSERT INTO {table_name(GROWN, p)} ({names}) SELECT {picked} FROM {cand} AS c "
                f"WHERE NOT EXISTS (SELECT 1 FROM {r} AS o WHERE {on})", params).rowcount
            old = self._OLD.format(r=r, on=on)
            self.left |= {row[0] for row in self.conn.execute(
                f"SELECT DISTINCT _old FROM (SELECT {old} AS _old FROM {cand} AS c) AS x WHERE _old > :k", params)}
            insert, replace = ddl.replacing(self.conn, cols, ["_round", "_rule"])
            took = self.conn.execute(
                f"{insert} {table_name(CHANGED, p)} ({names}, _round, _rule) SELECT {picked}, :k, rp.key "
                f'FROM {cand} AS c CROSS JOIN "rule_pos" AS rp WHERE rp.pos = c._pos AND COALESCE({old}, :k + 1) > :k'
                f"{replace}", params).rowcount
            if took:
                moved += took
                self.arrived.add(k)
                ddl.analyze(self.conn, table_name(CHANGED, p))  # the next round reads it first: few rows, not hundreds
            (self._store_in_place if self.in_place else self._store)(p, r, on, names, picked, params)
            if fresh:
                new += fresh
                new_of[p] = fresh
                rules += [rule for rule in self.stratum.rules if rule.head.predicate == p]
            self.conn.execute(f"DELETE FROM {cand}")
        self.run.facts += new
        if self.in_place:
            for p in self.stratum.predicates:
                self.tables.shared[p] += new_of.get(p, 0)
        if rules:
            check_finite(self.conn, self.tables, rules, k, CHANGED)
        return new, moved


def evidence_sources(decls, names: set[str], current) -> tuple[dict[str, Source], dict]:
    """Each evidence predicate of `names` (not copied into the run) read in place: its in-force SELECT
    (`current(decl)`) as a subquery, with its parameters named (so that lookups by argument use the evidence
    table's indexes)."""
    sources, params = {}, {}
    for name in sorted(n for n in names if decls[n].is_evidence):
        sql, ps = current(decls[name])
        named, values = named_params(sql, ps, f"ev_{name}_")
        sources[name] = Source(f"({named})", arg_columns(decls[name]))
        params.update(values)
    return sources, params


def grown_facts(conn: sqlite3.Connection, stratum: Stratum) -> dict[str, str]:
    """The tables of the facts each of the stratum's predicates gained, for those that gained any."""
    return {p: table_name(GROWN, p) for p in stratum.predicates
            if conn.execute(f"SELECT EXISTS (SELECT 1 FROM {table_name(GROWN, p)})").fetchone()[0]}


__all__ = ["GROWN", "Propagation", "evidence_sources", "grown_facts", "not_propagable"]
