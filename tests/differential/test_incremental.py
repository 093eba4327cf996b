"""Incremental runs against full runs: random programs (gen.py) through random sequences of loads,
retractions and changes of the assessment date. After each step the run taken over from the previous
incremental run must store exactly the facts of a full run over the same evidence: the same arguments,
rounds and rules, row for row (so the same proofs).

Evidence lives in one fake table per predicate whose rows carry the step that added them, the step that
retracted them (if any) and a validity window: a step's selection is what a case file would hold in force.
After some loads and retractions the run is told, as the case file's loads would tell it, which predicates
did not change (their evidence is then copied only for the strata evaluated) and which did.
WARRANT_FUZZ_EXAMPLES sets how many histories of each kind (80 in CI): random programs, and one program of
deep recursion (an OFAC-like sum, a closure, negation above them) over random chains and cycles."""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.audit.runs import compare_facts, facts_digest
from engine.eval import EvalError, evaluate
from engine.eval.ddl import typed
from engine.eval.in_force import program_on
from engine.eval.incremental import Previous, stratum_spans
from engine.eval.plan import make_plan
from engine.eval.relations import ident
from engine.store.facts import of_run

import harness
from gen import ENTITIES, NUMBERS, programs

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "80"))
DAYS = ("2024-06-30", "2024-07-15", "2024-08-01")
STATS: Counter = Counter()


META_TYPES = {"_credibility": int}  # the other metadata columns hold text


def _tables(conn, program) -> None:
    """The fake evidence tables, their columns typed where the database wants types (PostgreSQL)."""
    meta = [name + typed(conn, META_TYPES.get(name, str)) for name in harness.META]
    for d in program.declarations:
        if d.is_evidence:
            cols = [ident(c.name) + typed(conn, c.type) for c in d.columns]
            conn.execute(f'CREATE TABLE "ev_{d.name}" ({", ".join(cols + meta)}, '
                         "_added INTEGER, _removed INTEGER, _vf TEXT, _vt TEXT)")


def _add(conn, pred: str, row: tuple, step: int, window: tuple, n: int) -> None:
    values = list(row) + [f"h-{pred}-{n}-{row}", "s1", "registry", "B", 2, step, None, *window]
    conn.execute(f'INSERT INTO "ev_{pred}" VALUES ({",".join("?" * len(values))})', values)


def _selection(step: int):
    def evidence_sql(decl, as_of):
        cols = "".join(f"{ident(c.name)}, " for c in decl.columns)
        day = as_of[:10]
        return (f'SELECT {cols}{", ".join(harness.META)} FROM "ev_{decl.name}" WHERE _added <= ? '
                "AND (_removed IS NULL OR _removed > ?) AND (_vf IS NULL OR _vf <= ?) AND (_vt IS NULL OR ? < _vt)",
                [step, step, day, day])
    return evidence_sql


def _records_of_step(step: int):
    """The arguments of the records a step added or retracted (in force or not), as the loads since tell."""
    def recent(decl):
        cols = ", ".join(ident(c.name) for c in decl.columns)
        return f'SELECT {cols} FROM "ev_{decl.name}" WHERE _added = ? OR _removed = ?', [step, step]
    return recent


windows = st.sampled_from(((None, None),) * 4 + ((None, DAYS[1]), (DAYS[1], None), (DAYS[2], None), (None, DAYS[2])))


@st.composite
def histories(draw):
    gen = draw(programs())
    evidence = [p for p in gen.preds if p.is_evidence]
    initial = {p: [(row, draw(windows)) for row in rows] for p, rows in gen.facts.items()}
    steps = []
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(("load", "load", "retract", "day", "mixed")))
        pred = draw(st.sampled_from(evidence))
        cell = [st.sampled_from(ENTITIES) if t == "entity" else st.sampled_from(NUMBERS) for t in pred.types]
        rows = draw(st.lists(st.tuples(*cell), min_size=1, max_size=3)) if kind in ("load", "mixed") else []
        steps.append((kind, pred.name, [(r, draw(windows)) for r in rows], draw(st.integers(0, 10_000)),
                      draw(st.sampled_from(DAYS))))
    return gen, initial, steps


def check_history(gen, initial, steps, conn=None) -> list[tuple]:
    """Run the history on `conn` (default: a new in-memory SQLite database), checking each incremental run
    against a full run; returns each step's incremental run: its mode (Reuse.to_json) and facts digest."""
    program = harness.parse_program(gen.text)
    conn = conn or harness.new_conn()
    made = []
    _tables(conn, program)
    n = 0
    for pred, rows in initial.items():
        for row, window in rows:
            n += 1
            _add(conn, pred, row, 0, window, n)
    day = DAYS[0]
    last = evaluate(conn, program, _selection(0), as_of=day, now=harness.NOW)
    for step, (kind, pred, rows, pick, new_day) in enumerate(steps, start=1):
        if kind in ("load", "mixed"):
            for row, window in rows:
                n += 1
                _add(conn, pred, row, step, window, n)
        if kind in ("retract", "mixed"):
            live = conn.execute(f'SELECT _hash FROM "ev_{pred}" WHERE _removed IS NULL ORDER BY _hash').fetchall()
            if live:
                conn.execute(f'UPDATE "ev_{pred}" SET _removed = ? WHERE _hash = ?', [step, live[pick % len(live)][0]])
        spans = last.spans if pick % 3 else ()  # recorded, or read off the facts
        previous = Previous(last.run_id, day, _selection(step - 1), spans=spans)
        if kind in ("load", "retract") and pick % 2:  # what the loads since tell, as engine/store/changes.py does
            evidence = {d.name for d in program.declarations if d.is_evidence}
            previous = Previous(last.run_id, day, _selection(step - 1), frozenset(evidence - {pred}), frozenset({pred}),
                                _records_of_step(step) if pick % 4 == 1 else None, spans)
            STATS["told by the loads"] += 1
        if kind in ("day", "mixed"):
            day = new_day
        full = evaluate(conn, program, _selection(step), as_of=day, now=harness.NOW)
        last = evaluate(conn, program, _selection(step), as_of=day, now=harness.NOW, previous=previous)
        assert last.reuse is not None and last.reuse.incremental, last.reuse
        if facts_digest(conn, program, full.run_id) != facts_digest(conn, program, last.run_id):
            diff = compare_facts(conn, program, full.run_id, last.run_id)
            raise AssertionError(f"step {step} ({kind}): incremental differs from full\nfull only: {diff.only_a}\n"
                                 f"incremental only: {diff.only_b}\n{gen}\nsteps: {steps}")
        assert last.rounds == full.rounds and last.counts == full.counts
        made.append((last.reuse.to_json(), facts_digest(conn, program, last.run_id)))
        # the rounds each stratum took, as recorded (and read by the next incremental run), are its facts' rounds
        plan, decls = make_plan(program_on(program, day)), {d.name: d for d in program.declarations}
        assert list(last.spans) == list(full.spans) == stratum_spans(conn, plan, decls, last.run_id)
        STATS[kind] += 1
        STATS["strata taken over"] += last.reuse.strata_reused
        STATS["strata resumed part-way"] += last.reuse.strata_resumed
        STATS["strata updated by their changes"] += last.reuse.strata_propagated
        STATS["strata evaluated"] += (last.reuse.strata - last.reuse.strata_reused - last.reuse.strata_resumed
                                      - last.reuse.strata_propagated)
        for why in last.reuse.not_updated:  # a stratum whose inputs changed, evaluated rather than propagated
            STATS["not propagated: " + ("read under not" if "under not" in why else
                                        "lost rows" if "lost rows" in why else "other")] += 1
    return made


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(histories())
def test_incremental_runs_equal_full_runs(history):
    check_history(*history)


DEEP = '''rulebook deep "Deep recursion for incremental runs" version "1"

evidence listed(party: entity) "listed"
evidence owns(owner: entity, owned: entity, percent: percent) "holding"
evidence link(a: entity, b: entity) "link"
evidence cleared(party: entity) "cleared"
derived blocked(party: entity) "blocked"
derived reach(a: entity, b: entity) "reach"
conclusion flagged(party: entity) "flagged"

rule B1 "listed" cites "test":
  blocked(P) if listed(P).
  because "g".

rule B2 "owned" cites "test":
  blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= 50.
  because "g".

rule T1 "step" cites "test":
  reach(A, B) if link(A, B).
  because "g".

rule T2 "path" cites "test":
  reach(A, C) if reach(A, B) and link(B, C).
  because "g".

rule T3 "through blocked" cites "test":
  reach(A, C) if blocked(A) and reach(B, C) and link(A, B).
  because "g".

rule F1 "flag" cites "test":
  flagged(P) if reach(Q, P) and blocked(Q) and not cleared(P).
  because "g".
'''
NODES = tuple(f"n{i}" for i in range(10))


@st.composite
def deep_histories(draw):
    """Chains and cycles over ten entities, so that facts reach deep rounds, and changes anywhere in them."""
    node = st.sampled_from(NODES)
    row = {"listed": st.tuples(node), "owns": st.tuples(node, node, st.sampled_from((20, 30, 50, 60, 100))),
           "link": st.tuples(node, node), "cleared": st.tuples(node)}
    initial = {"listed": [((n,), (None, None)) for n in draw(st.lists(node, min_size=1, max_size=2))],
               "owns": [(r, (None, None)) for r in draw(st.lists(row["owns"], min_size=4, max_size=16))],
               "link": [(r, (None, None)) for r in draw(st.lists(row["link"], min_size=3, max_size=12))],
               "cleared": [(r, draw(windows)) for r in draw(st.lists(row["cleared"], max_size=2))]}
    steps = []
    for _ in range(draw(st.integers(2, 5))):
        kind = draw(st.sampled_from(("load", "load", "retract", "retract", "day", "mixed")))
        pred = draw(st.sampled_from(sorted(row)))
        rows = draw(st.lists(row[pred], min_size=1, max_size=2)) if kind in ("load", "mixed") else []
        steps.append((kind, pred, [(r, draw(windows)) for r in rows], draw(st.integers(0, 10_000)),
                      draw(st.sampled_from(DAYS))))
    return _Deep(), initial, steps


class _Deep:
    text = DEEP

    def __str__(self):
        return DEEP


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(deep_histories())
def test_incremental_runs_equal_full_runs_in_deep_recursion(history):
    check_history(*history)


def test_zz_incremental_history_coverage():
    """The histories really took strata over, propagated insertions into some, and really re-evaluated some,
    also because a changed predicate was read under not or lost rows (runs after the property tests)."""
    if not STATS:
        return
    print("\nincremental coverage:", dict(sorted(STATS.items())))
    for key in ("load", "retract", "day", "strata taken over", "strata evaluated", "told by the loads",
                "strata resumed part-way", "strata updated by their changes", "not propagated: read under not",
                "not propagated: lost rows"):
        assert STATS[key] > 0, f"no history exercised {key}: {dict(STATS)}"


def _limit_error(conn, program, step: int, **limits) -> str:
    try:
        evaluate(conn, program, _selection(step), as_of=DAYS[0], now=harness.NOW, **limits)
    except EvalError as exc:
        return str(exc)
    raise AssertionError("no limit was reached")


def test_a_propagated_run_past_a_limit_fails_as_a_full_run_does():
    """Insertions that would carry a stratum past the run's fact or round limit: the incremental run
    evaluates the stratum instead of propagating, and fails with the full run's error, storing nothing."""
    program = harness.parse_program(DEEP)  # links only: a chain of reach, 21 paths in 6 rounds
    conn = harness.new_conn()
    _tables(conn, program)
    for i in range(6):
        _add(conn, "link", (f"n{i}", f"n{i + 1}"), 0, (None, None), i)
    first = evaluate(conn, program, _selection(0), as_of=DAYS[0], now=harness.NOW)
    assert first.counts["reach"] == 21
    _add(conn, "link", ("n6", "n7"), 1, (None, None), 6)  # 7 more paths, one round more
    previous = Previous(first.run_id, DAYS[0], _selection(0))
    runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    # the closure's rounds reach first.rounds - 1 (its empty last round) before the link, one more after it
    for limits in ({"max_facts": 25}, {"max_rounds": first.rounds - 1}):
        assert _limit_error(conn, program, 1, previous=previous, **limits) == _limit_error(conn, program, 1, **limits)
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == runs
    grown = evaluate(conn, program, _selection(1), as_of=DAYS[0], now=harness.NOW, previous=previous,
                     max_facts=28, max_rounds=first.rounds)
    assert grown.reuse.strata_propagated == 1 and grown.counts["reach"] == 28
    full = evaluate(conn, program, _selection(1), as_of=DAYS[0], now=harness.NOW)
    assert facts_digest(conn, program, full.run_id) == facts_digest(conn, program, grown.run_id)


def _round_and_rule(conn, run_id: str, party: str) -> tuple:
    return conn.execute(f'SELECT _round, _rule FROM "fact_blocked" WHERE {of_run()} AND party = :p',
                        {"run_id": run_id, "p": party}).fetchone()


def test_a_new_listing_lowers_a_blocked_party_to_round_one_and_its_rule_to_the_listing_rule():
    """n0 listed blocks n1 (60%) in the second round, and n1 blocks n2 in the third; listing n1 too makes it
    blocked in the first round by B1, and n2 in the second: the update moves facts down and changes their rule."""
    program = harness.parse_program(DEEP)
    conn = harness.new_conn()
    _tables(conn, program)
    for n, (pred, row) in enumerate([("listed", ("n0",)), ("owns", ("n0", "n1", 60)), ("owns", ("n1", "n2", 60))]):
        _add(conn, pred, row, 0, (None, None), n)
    first = evaluate(conn, program, _selection(0), as_of=DAYS[0], now=harness.NOW)
    assert [_round_and_rule(conn, first.run_id, p) for p in ("n0", "n1", "n2")] == [(1, "B1"), (2, "B2"), (3, "B2")]
    _add(conn, "listed", ("n1",), 1, (None, None), 3)
    grown = evaluate(conn, program, _selection(1), as_of=DAYS[0], now=harness.NOW,
                     previous=Previous(first.run_id, DAYS[0], _selection(0)))
    assert grown.reuse.strata_propagated >= 1 and not grown.reuse.not_updated
    assert [_round_and_rule(conn, grown.run_id, p) for p in ("n0", "n1", "n2")] == [(1, "B1"), (1, "B1"), (2, "B2")]
    full = evaluate(conn, program, _selection(1), as_of=DAYS[0], now=harness.NOW)
    assert facts_digest(conn, program, full.run_id) == facts_digest(conn, program, grown.run_id)


def test_a_change_larger_than_the_propagation_budget_is_evaluated_and_says_so():
    """120 new links (the budget is 100 rows and facts for strata this small): every round of a propagation
    would join all of them, so the stratum is evaluated instead, with the facts a full run gives."""
    program = harness.parse_program(DEEP)
    conn = harness.new_conn()
    _tables(conn, program)
    _add(conn, "link", ("n0", "n1"), 0, (None, None), 0)
    first = evaluate(conn, program, _selection(0), as_of=DAYS[0], now=harness.NOW)
    for i in range(120):
        _add(conn, "link", (f"m{i}", f"m{i + 1}"), 1, (None, None), i + 1)
    grown = evaluate(conn, program, _selection(1), as_of=DAYS[0], now=harness.NOW,
                     previous=Previous(first.run_id, DAYS[0], _selection(0)))
    # and the 7,260 new paths are as many changed rows for the stratum above
    assert grown.reuse.not_updated == tuple(f"{p} not updated by its changes: the change reached more than 100 rows "
                                            "and facts (evaluating costs less)" for p in ("reach", "flagged"))
    full = evaluate(conn, program, _selection(1), as_of=DAYS[0], now=harness.NOW)
    assert facts_digest(conn, program, full.run_id) == facts_digest(conn, program, grown.run_id)
