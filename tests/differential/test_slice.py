"""Partial evaluations for point questions against full runs: random programs (gen.py), each derived
predicate asked in turn. The slice for a predicate (engine/eval/slice.py) must store, for it and for
every predicate it evaluates, exactly the full run's facts with their rounds and rules, and every proof
of the asked predicate rebuilt from the slice must be the full run's proof byte for byte. Asked with
some arguments bound (demand.py), the facts matching the atom, and the proof of a ground one, must
still be the full run's.
WARRANT_FUZZ_EXAMPLES sets how many programs (40 in CI)."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.eval.demand import Demand
from engine.eval.in_force import program_on
from engine.eval.plan import make_plan
from engine.eval.slice import needed
from engine.proof import api as proof_api

import harness
from gen import programs

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "40"))


def _proofs(conn, program, run_id: str, predicate: str) -> dict[str, str]:
    return {str(atom): proof_api.render(proof_api.why(conn, program, run_id, atom, harness.evidence_sql,
                                                      harness.AS_OF), "json")
            for atom in proof_api.facts(conn, program, run_id, predicate)}


def check_slices(gen) -> None:
    program = harness.parse_program(gen.text)
    conn, result = harness.run_engine(program, gen.facts)
    plan = make_plan(program_on(program, harness.AS_OF))
    for decl in program.declarations:
        if decl.is_evidence:
            continue
        part, sliced = harness.run_engine(program, gen.facts, run_id=result.run_id, ask=decl.name)
        need = needed(program_on(program, harness.AS_OF), plan, decl.name)
        assert decl.name in need
        for name in sorted(need):
            if not program.declaration(name).is_evidence:
                assert sorted(harness.stored_rows(part, program, name, result.run_id), key=repr) == \
                    sorted(harness.stored_rows(conn, program, name, result.run_id), key=repr), (name, gen.text)
        assert _proofs(part, program, result.run_id, decl.name) == _proofs(conn, program, result.run_id, decl.name)
        assert sliced.rounds <= result.rounds


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs())
def test_slice_is_the_full_run_for_what_it_evaluates(gen):
    check_slices(gen)


def _demands(conn, program, run_id: str, decl, rng) -> list[Demand]:
    """Atoms of `decl` to ask about: facts of the full run, some with arguments left free, and atoms that
    do not hold (a fact's arguments shuffled, or constants of other facts)."""
    rows = [args for args, _, _ in harness.stored_rows(conn, program, decl.name, run_id)]
    values = sorted({v for r in rows for v in r}, key=repr) or ["c0"]
    asks = []
    for r in rows[:4]:
        asks.append(Demand(decl.name, tuple(r)))
        asks.append(Demand(decl.name, tuple(v if rng.random() < 0.5 else None for v in r)))
    for _ in range(2):
        asks.append(Demand(decl.name, tuple(rng.choice(values) for _ in decl.columns)))
    return asks


def _matching(conn, program, run_id: str, demand: Demand) -> list:
    rows = [(args, rnd, rule) for args, rnd, rule in harness.stored_rows(conn, program, demand.predicate, run_id)
            if all(v is None or harness.norm(v) == harness.norm(a) for v, a in zip(demand.args, args))]
    return sorted(rows, key=repr)


def check_demands(gen, seed: int) -> None:
    program = harness.parse_program(gen.text)
    conn, result = harness.run_engine(program, gen.facts)
    rng = random.Random(seed)
    for decl in program.declarations:
        if decl.is_evidence or not decl.columns:
            continue
        for demand in _demands(conn, program, result.run_id, decl, rng):
            part, _ = harness.run_engine(program, gen.facts, run_id=result.run_id, ask=demand)
            got = _matching(part, program, result.run_id, demand)
            assert got == _matching(conn, program, result.run_id, demand), (demand, gen.text)
            if None not in demand.args and got:
                atom = proof_api.GroundAtom(decl.name, tuple(demand.args))
                assert proof_api.render(proof_api.why(part, program, result.run_id, atom, harness.evidence_sql,
                                                      harness.AS_OF), "json") == \
                    proof_api.render(proof_api.why(conn, program, result.run_id, atom, harness.evidence_sql,
                                                   harness.AS_OF), "json")


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(programs(), st.integers(0, 2**32))
def test_demand_keeps_the_full_runs_facts_and_proofs_for_the_atom(gen, seed):
    check_demands(gen, seed)
