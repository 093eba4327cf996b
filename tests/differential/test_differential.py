"""Differential tests: the engine against pyDatalog and against the naive evaluator.

Each example is a random valid rulebook (gen.py), rendered as text and parsed by the real
parser, with random evidence in a fake evidence table. For every derived predicate the
engine's facts must equal:
- the naive evaluator's (naive.py), always;
- pyDatalog's, whenever the program can be translated faithfully (pydl.py says which
  constructs cannot: those are covered by the naive evaluator only).
And every stored fact must be well founded: its rule `_rule`, applied to the evidence and
the facts of strictly lower `_round`, derives it.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis.errors import NoSuchExample

from engine.check import check_program as checker_diagnostics
from engine.eval.stated import STATED

import harness
import naive
import pydl
from gen import programs

EXAMPLES = int(os.environ.get("WARRANT_DIFF_EXAMPLES", "500"))
STATS: Counter = Counter()
WORKER = pydl.Worker(timeout=float(os.environ.get("WARRANT_PYDATALOG_TIMEOUT", "2")))
TIMEOUTS: list[str] = []
FIND = settings(max_examples=500, derandomize=True, database=None, phases=[Phase.generate],
                suppress_health_check=list(HealthCheck))


def check_program(gen) -> None:
    program = harness.parse_program(gen.text)
    # the generator only makes programs the checker accepts
    errors = [d for d in checker_diagnostics(program) if d.severity == "error"]
    assert not errors, f"generated an invalid program: {[d.message for d in errors]}\n{gen}"
    conn, result = harness.run_engine(program, gen.facts)
    engine = {p: harness.norm_set(rows) for p, rows in harness.stored_facts(conn, program, result.run_id).items()}

    # oracle 1: the naive evaluator
    model = naive.evaluate(program, {p: set(rows) for p, rows in gen.facts.items()}, as_of=harness.AS_OF)
    for d in program.declarations:
        if d.is_evidence:
            continue
        assert engine[d.name] == harness.norm_set(model[d.name]), (
            f"engine vs naive differ on {d.name}\nengine only: {sorted(engine[d.name] - harness.norm_set(model[d.name]))}"
            f"\nnaive only: {sorted(harness.norm_set(model[d.name]) - engine[d.name])}\n{gen}")

    # oracle 2: pyDatalog, when the program is expressible there
    try:
        text = pydl.translate(program)
    except pydl.Unsupported as why:
        STATS[f"naive only: {why}"] += 1
    else:
        theirs = WORKER.run(program, text, gen.facts)
        if theirs is None:
            STATS["pyDatalog timed out (naive only)"] += 1
            TIMEOUTS.append(str(gen))
        else:
            STATS["pyDatalog"] += 1
        for name, rows in (theirs or {}).items():
            assert engine[name] == harness.norm_set(rows), (
                f"engine vs pyDatalog differ on {name}\nengine only: {sorted(engine[name] - harness.norm_set(rows))}"
                f"\npyDatalog only: {sorted(harness.norm_set(rows) - engine[name])}\n{gen}\n--- pyDatalog\n{text}")

    # well-foundedness: each fact follows by its rule from facts of strictly lower rounds
    rules = {r.key: r for r in program.rules}
    stored = {d.name: harness.stored_rows(conn, program, d.name, result.run_id)
              for d in program.declarations if not d.is_evidence}
    evidence = {p: set(map(tuple, rows)) for p, rows in gen.facts.items()}
    stated = {(f.atom.predicate, tuple(harness.norm(a.value) for a in f.atom.args)) for f in program.facts}
    for pred, rows in stored.items():
        for args, rnd, rule_id in rows:
            if rule_id == STATED:  # stated by the rulebook, in round 0
                assert rnd == 0 and (pred, tuple(map(harness.norm, args))) in stated, (pred, args)
                continue
            assert rnd >= 1 and rule_id in rules and rules[rule_id].head.predicate == pred, (pred, args, rnd, rule_id)
            lower = {d.name: set() for d in program.declarations}
            lower.update(evidence)
            for p2, rows2 in stored.items():
                lower[p2] = {a for a, r2, _ in rows2 if r2 < rnd}
            assert naive.derivable(program, rules[rule_id], lower, args, as_of=harness.AS_OF), (
                f"{pred}{args} (round {rnd}, rule {rule_id}) does not follow from facts of lower rounds\n{gen}")
    # determinism: the same facts inserted in another order give byte-identical fact tables
    conn2, _ = harness.run_engine(program, {p: list(reversed(rows)) for p, rows in gen.facts.items()})
    assert harness.dump_fact_tables(conn2) == harness.dump_fact_tables(conn), f"fact tables depend on insertion order\n{gen}"

    for f in gen.features:
        STATS[f] += 1
    n_facts = sum(len(v) for v in engine.values())
    STATS["derived facts (total)"] += n_facts
    STATS["programs deriving something"] += n_facts > 0
    STATS["programs with a fact of round >= 3"] += any(r >= 3 for rows in stored.values() for _, r, _ in rows)


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(programs())
def _property(gen):
    check_program(gen)


def test_engine_agrees_with_oracles():
    try:
        _property()
    finally:
        WORKER.close()


def test_zz_coverage_of_generated_programs():
    """The generator really produces the constructs it claims (runs after the property test). A construct that
    a short run (a few WARRANT_DIFF_EXAMPLES) did not reach is searched for among further generated programs,
    and the first that has it is checked against the oracles as the property test checks each."""
    if not STATS:
        return  # the property test was deselected
    print("\ndifferential coverage:", dict(sorted(STATS.items())))
    if TIMEOUTS and os.environ.get("WARRANT_DIFF_SHOW_TIMEOUTS"):
        print("\n=====\n".join(TIMEOUTS))
    for feature in ("recursion", "negation", "comparison", "arithmetic", "aggregate-correlated",
                    "aggregate-grouped", "aggregate-recursive", "mutual-group", "agg:count", "agg:count distinct",
                    "agg:sum", "agg:min", "agg:max", "pyDatalog", "two aggregates in a rule", "nullary",
                    "or", "or-binds", "membership", "membership-not", "table", "not-conjunction",
                    "integer-division", "decimal", "decimal-constant", "abs", "round", "floor", "min", "max",
                    "calculated-argument", "calculated-head", "date", "duration", "days-between", "timestamp"):
        if not STATS[feature] and feature != "pyDatalog":
            with contextlib.suppress(NoSuchExample):
                check_program(find(programs(), lambda gen: feature in gen.features, settings=FIND))
        assert STATS[feature] > 0, f"no generated program exercised {feature}: {dict(STATS)}"
