"""Semantics of evaluation, each a small rulebook, its facts and the expected result.

The evidence lives in a fake in-memory table (no engine/store): see `run`.
"""

from __future__ import annotations

import random
import sqlite3
import textwrap

import pytest

from engine.store.facts import run_rows
from engine.eval import EvalError, evaluate
from engine.eval.relations import ident
from engine.source import SourceFile
from engine.syntax.parser import parse_text
from engine.syntax.program import Program

NOW = "2024-06-30T12:00:00.000000Z"
META = ("_hash", "_source", "_source_kind", "_reliability", "_credibility")


def program(text: str) -> Program:
    rb = parse_text(SourceFile("semantics.rules", textwrap.dedent(text)))
    return Program(rb, (rb,))


def fill(conn, prog: Program, facts: dict[str, list[tuple]]) -> None:
    for d in prog.declarations:
        if d.is_evidence:
            cols = [ident(c.name) for c in d.columns]
            conn.execute(f'CREATE TABLE IF NOT EXISTS "ev_{d.name}" ({", ".join(cols + list(META))})')
    for pred, rows in facts.items():
        for i, r in enumerate(rows):
            conn.execute(f'INSERT INTO "ev_{pred}" VALUES ({",".join("?" * (len(r) + len(META)))})',
                         list(r) + [f"h-{pred}-{r}", "s1", "registry", "B", 2])


def evidence_sql(decl, as_of):
    return f'SELECT * FROM "ev_{decl.name}"', []


def run(prog: Program, facts: dict[str, list[tuple]], *, as_of: str = "2024-06-30", conn=None, **kw):
    conn = conn or sqlite3.connect(":memory:", isolation_level=None)
    fill(conn, prog, facts)
    result = evaluate(conn, prog, evidence_sql, as_of=as_of, now=NOW, **kw)
    return conn, result


def facts_of(conn, prog: Program, pred: str, run_id: str, with_round: bool = False) -> set[tuple]:
    decl = prog.declaration(pred)
    cols = ", ".join([ident(c.name) for c in decl.columns] + (["_round"] if with_round else []))
    run, params = run_rows(run_id)
    return set(conn.execute(f'SELECT {cols} FROM "fact_{pred}" WHERE {run}', params))


def table_exists(conn, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


# ---------------------------------------------------------------- OFAC 50 Percent Rule

OFAC = program('''\
    rulebook ofac "OFAC 50 percent rule" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, pct: percent) "a direct stake"
    conclusion blocked(party: entity) "blocked"
    threshold ownership_threshold = 50%

    rule ofac.sdn "listed" cites "31 CFR 587.201":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".

    rule ofac.50 "owned 50% or more by blocked persons" cites "OFAC FAQ 401":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= ownership_threshold.
      because "{E} is {Total}% owned by blocked persons".
    ''')


def blocked(facts, **kw) -> set[str]:
    conn, result = run(OFAC, facts, **kw)
    return {p for (p,) in facts_of(conn, OFAC, "blocked", result.run_id)}


def test_faq_399_two_blocked_owners_25_each():
    assert blocked({"listed": [("X", "SDN"), ("Y", "SDN")],
                    "owns": [("X", "A", 25), ("Y", "A", 25)]}) == {"X", "Y", "A"}


def test_faq_401_example_1_chain_is_not_multiplied():
    conn, result = run(OFAC, {"listed": [("X", "SDN")], "owns": [("X", "A", 50), ("A", "B", 50)]})
    assert facts_of(conn, OFAC, "blocked", result.run_id, with_round=True) == {("X", 1), ("A", 2), ("B", 3)}


def test_faq_401_example_2_two_blocked_intermediaries():
    assert blocked({"listed": [("X", "SDN")],
                    "owns": [("X", "A", 50), ("X", "B", 50), ("A", "C", 25), ("B", "C", 25)]}) == {"X", "A", "B", "C"}


def test_faq_401_example_3_direct_plus_indirect():
    assert blocked({"listed": [("X", "SDN")],
                    "owns": [("X", "A", 50), ("X", "B", 10), ("A", "B", 40)]}) == {"X", "A", "B"}


def test_non_blocked_intermediate_passes_nothing_on():
    assert blocked({"listed": [("X", "SDN")], "owns": [("X", "A", 40), ("A", "B", 100)]}) == {"X"}


def test_non_sdn_listing_does_not_block():
    assert blocked({"listed": [("X", "EU")], "owns": [("X", "A", 100)]}) == set()


def test_percent_comparison_just_below_and_at_threshold():
    assert blocked({"listed": [("X", "SDN")], "owns": [("X", "A", 49.99), ("X", "B", 50), ("X", "C", 50.01)]}) \
        == {"X", "B", "C"}


def test_cross_holding_cycle_fed_by_blocked_owner_terminates():
    conn, result = run(OFAC, {"listed": [("X", "SDN")], "owns": [("X", "C", 50), ("C", "D", 60), ("D", "C", 60)]})
    assert facts_of(conn, OFAC, "blocked", result.run_id, with_round=True) == {("X", 1), ("C", 2), ("D", 3)}


def test_cross_holding_cycle_without_blocked_input_derives_nothing():
    """The least fixpoint: C and D own 60% of each other, but neither is blocked to begin with."""
    assert blocked({"listed": [("X", "SDN")], "owns": [("C", "D", 60), ("D", "C", 60)]}) == {"X"}
    assert blocked({"listed": [("X", "SDN")], "owns": [("X", "C", 30), ("C", "D", 60), ("D", "C", 60)]}) == {"X"}


# ---------------------------------------------------------------- negation, aggregates

def test_stratified_negation():
    prog = program('''\
        rulebook neg "negation" version "1"
        evidence party(p: entity) "a party"
        evidence listed(p: entity) "listed"
        evidence owns(o: entity, e: entity) "owns"
        derived tainted(p: entity) "listed or owned by a tainted party"
        conclusion clear(p: entity) "not tainted"
        rule T1 "t" cites "c":
          tainted(P) if listed(P).
          because "x".
        rule T2 "t" cites "c":
          tainted(E) if tainted(O) and owns(O, E).
          because "x".
        rule C1 "c" cites "c":
          clear(P) if party(P) and not tainted(P).
          because "x".
        ''')
    conn, r = run(prog, {"party": [("A",), ("B",), ("C",), ("D",)], "listed": [("A",)],
                         "owns": [("A", "B"), ("B", "C"), ("D", "A")]})
    assert facts_of(conn, prog, "clear", r.run_id) == {("D",)}


AGG = program('''\
    rulebook agg "aggregates" version "1"
    evidence entity_(e: entity) "an entity"
    evidence holding(o: entity, e: entity, pct: percent) "a holding"
    conclusion n_holdings(e: entity, n: number) "number of holdings"
    conclusion n_owners(e: entity, n: number) "number of distinct owners"
    conclusion total(e: entity, t: percent) "total held"
    conclusion smallest(e: entity, t: percent) "smallest holding"
    conclusion largest(e: entity, t: percent) "largest holding"
    conclusion owners_seen(e: entity, n: number) "owners, for entities that have one"
    rule A1 "a" cites "c":
      n_holdings(E, N) if entity_(E) and N = count(O for holding(O, E, P)).
      because "x".
    rule A2 "a" cites "c":
      n_owners(E, N) if entity_(E) and N = count distinct(O for holding(O, E, P)).
      because "x".
    rule A3 "a" cites "c":
      total(E, T) if entity_(E) and T = sum(P for holding(O, E, P)).
      because "x".
    rule A4 "a" cites "c":
      smallest(E, T) if entity_(E) and T = min(P for holding(O, E, P)).
      because "x".
    rule A5 "a" cites "c":
      largest(E, T) if entity_(E) and T = max(P for holding(O, E, P)).
      because "x".
    rule A6 "a" cites "c":
      owners_seen(E, N) if N = count distinct(O for holding(O, E, _)).
      because "x".
    ''')
AGG_FACTS = {"entity_": [("A",), ("B",), ("Z",)],
             "holding": [("X", "A", 25), ("Y", "A", 25), ("X", "B", 10), ("X", "B", 20), ("Y", "B", 5)]}


@pytest.fixture(scope="module")
def agg_run():
    conn, r = run(AGG, AGG_FACTS)
    return lambda pred: facts_of(conn, AGG, pred, r.run_id)


def test_count_is_zero_for_an_empty_group_bound_by_the_rule(agg_run):
    assert ("Z", 0) in agg_run("n_holdings")
    assert ("Z", 0) in agg_run("n_owners")
    assert ("Z", 0) in agg_run("total")


def test_count_counts_bindings_count_distinct_counts_values(agg_run):
    # B: X holds two stakes (10 and 20) and Y one: three bindings of (O, P), two distinct owners
    assert agg_run("n_holdings") == {("A", 2), ("B", 3), ("Z", 0)}
    assert agg_run("n_owners") == {("A", 2), ("B", 2), ("Z", 0)}


def test_sum_of_two_equal_holdings_of_two_owners_is_50(agg_run):
    assert agg_run("total") == {("A", 50), ("B", 35), ("Z", 0)}


def test_min_and_max_have_no_value_for_an_empty_group(agg_run):
    assert agg_run("smallest") == {("A", 25), ("B", 5)}
    assert agg_run("largest") == {("A", 25), ("B", 20)}


def test_aggregate_that_binds_its_group_has_only_non_empty_groups(agg_run):
    assert agg_run("owners_seen") == {("A", 2), ("B", 2)}


def test_equality_with_an_aggregate_result_is_a_test():
    prog = program('''\
        rulebook eq "eq" version "1"
        evidence e(x: entity) "e"
        conclusion none(x: entity) "no e rows"
        conclusion two(x: entity) "two e rows"
        rule Q1 "q" cites "c":
          none("yes") if N = count(X for e(X)) and N = 0.
          because "x".
        rule Q2 "q" cites "c":
          two("yes") if 2 = N and N = count(X for e(X)).
          because "x".
        ''')
    conn, r = run(prog, {"e": [("a",), ("b",)]})
    assert facts_of(conn, prog, "none", r.run_id) == set()
    assert facts_of(conn, prog, "two", r.run_id) == {("yes",)}


# ---------------------------------------------------------------- arithmetic, dates, comparisons

def test_arithmetic_in_rule_bodies():
    prog = program('''\
        rulebook ar "arith" version "1"
        evidence v(x: entity, n: number) "v"
        conclusion w(x: entity, m: number) "w"
        rule AR "a" cites "c":
          w(X, M) if v(X, N) and M = N * 2 + 1 and M - 1 > 4.
          because "x".
        ''')
    conn, r = run(prog, {"v": [("a", 1), ("b", 3), ("c", 10)]})
    assert facts_of(conn, prog, "w", r.run_id) == {("b", 7), ("c", 21)}


DATES = program('''\
    rulebook dates "dates" version "1"
    evidence report(r: entity, filed: date, checked: date) "a report"
    conclusion late(r: entity, days: number) "checked more than 30 days after filing"
    conclusion stale(r: entity) "filed more than 30 days before the assessment date"
    conclusion due(r: entity, on: date) "re-check due 90 days after the last check"
    rule D1 "late" cites "c":
      late(R, Days) if report(R, F, C) and Days = C - F and C - F > 30.
      because "x".
    rule D2 "stale" cites "c":
      stale(R) if report(R, F, _) and as_of - F > 30.
      because "x".
    rule D3 "due" cites "c":
      due(R, D) if report(R, _, C) and D = C + 90 and D > as_of.
      because "x".
    ''')


def test_date_difference_is_in_days_and_as_of_is_the_assessment_date():
    facts = {"report": [("r1", "2024-01-01", "2024-01-31"), ("r2", "2024-01-01", "2024-02-01"),
                        ("r3", "2024-05-31", "2024-06-15"), ("r4", "2024-06-01", "2024-06-02")]}
    conn, r = run(DATES, facts, as_of="2024-07-01")
    assert facts_of(conn, DATES, "late", r.run_id) == {("r2", 31)}
    # as_of - filed: r3 31 days, r4 30 days (not more than 30)
    assert {x for (x,) in facts_of(conn, DATES, "stale", r.run_id)} == {"r1", "r2", "r3"}
    # checked + 90 days is a date; r1 and r2 fell due before the assessment date
    assert facts_of(conn, DATES, "due", r.run_id) == {("r3", "2024-09-13"), ("r4", "2024-08-31")}
    conn, r = run(DATES, facts, as_of="2024-07-02")
    assert {x for (x,) in facts_of(conn, DATES, "stale", r.run_id)} == {"r1", "r2", "r3", "r4"}


# ---------------------------------------------------------------- the round limit

COUNTER = program('''\
    rulebook counter "counter" version "1"
    evidence seed(n: number) "a seed"
    derived n(x: number) "grows for ever"
    rule N0 "seed" cites "c":
      n(X) if seed(X).
      because "x".
    rule N1 "next" cites "c":
      n(Y) if n(X) and Y = X + 1.
      because "x".
    ''')


def test_round_limit_raises_naming_the_rule_and_stores_nothing():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    # a successful run first, so that `runs` exists and has one row
    ok = program('''\
        rulebook ok "ok" version "1"
        evidence seed(n: number) "a seed"
        derived n(x: number) "copy"
        rule N0 "seed" cites "c":
          n(X) if seed(X).
          because "x".
        ''')
    run(ok, {"seed": [(1,)]}, conn=conn)
    runs_before = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    facts_before = conn.execute('SELECT COUNT(*) FROM "fact_n"').fetchone()[0]
    with pytest.raises(EvalError) as err:
        evaluate(conn, COUNTER, evidence_sql, as_of="2024-06-30", now=NOW, max_rounds=50)
    assert "N1" in str(err.value)
    assert "N0" not in str(err.value)
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == runs_before
    assert conn.execute('SELECT COUNT(*) FROM "fact_n"').fetchone()[0] == facts_before
    assert conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'").fetchall() == []


def test_round_limit_on_a_fresh_case_file_leaves_no_tables():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    fill(conn, COUNTER, {"seed": [(0,)]})
    with pytest.raises(EvalError, match="N1"):
        evaluate(conn, COUNTER, evidence_sql, as_of="2024-06-30", now=NOW, max_rounds=20)
    assert not table_exists(conn, "fact_n") or conn.execute('SELECT COUNT(*) FROM "fact_n"').fetchone()[0] == 0
    assert not table_exists(conn, "runs") or conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


# ---------------------------------------------------------------- determinism

def dump(conn) -> bytes:
    out = []
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'fact_%' ORDER BY name")]
    for n in names:
        out.append(f"-- {n}")
        out += [repr(row) for row in conn.execute(f'SELECT * FROM "{n}"')]  # storage order
    return "\n".join(out).encode()


def test_same_facts_in_any_insertion_order_give_byte_identical_fact_tables():
    rng = random.Random(4)
    parties = [f"P{i}" for i in range(12)]
    owns = sorted({(rng.choice(parties), rng.choice(parties), rng.choice([10, 20, 25, 30, 50, 60])) for _ in range(40)})
    owns = [o for o in owns if o[0] != o[1]]
    listed = [("P0", "SDN"), ("P1", "SDN"), ("P2", "EU")]
    dumps = set()
    for _ in range(6):
        o, l_ = owns[:], listed[:]
        rng.shuffle(o)
        rng.shuffle(l_)
        conn, _r = run(OFAC, {"listed": l_, "owns": o})
        dumps.add(dump(conn))
    assert len(dumps) == 1
    assert b"fact_blocked" in next(iter(dumps))


def test_two_aggregates_with_the_same_own_variable_names_are_independent():
    prog = program('''\
        rulebook two "two aggregates" version "1"
        evidence entity_(e: entity) "an entity"
        evidence holding(o: entity, e: entity, pct: percent) "a holding"
        conclusion stats(e: entity, n: number, m: percent) "holdings and largest holding"
        rule S1 "s" cites "c":
          stats(E, N, M) if entity_(E) and N = count(O for holding(O, E, P)) and M = max(P for holding(O, E, P)).
          because "x".
        ''')
    conn, r = run(prog, AGG_FACTS)
    # engine today: {("A", 1, 25), ("B", 1, 5), ("B", 1, 10), ("B", 1, 20)}: one row per (O, P) group
    assert facts_of(conn, prog, "stats", r.run_id) == {("A", 2, 25), ("B", 3, 20)}
