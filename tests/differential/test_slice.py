"""Partial evaluations for point questions against full runs: random programs (gen.py), each derived
predicate asked in turn. The slice for a predicate (engine/eval/slice.py) must store, for it and for
every predicate it evaluates, exactly the full run's facts with their rounds and rules, and every proof
of the asked predicate rebuilt from the slice must be the full run's proof byte for byte.
WARRANT_FUZZ_EXAMPLES sets how many programs (40 in CI)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings

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
