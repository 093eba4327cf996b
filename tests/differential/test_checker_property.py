"""The independent proof checker accepts every proof the engine produces, over generated programs
loaded into a real case file (the same random rulebooks as the differential tests)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from engine import api
from gen import programs

EXAMPLES = max(20, int(os.environ.get("WARRANT_DIFF_EXAMPLES", "500")) // 5)
CHECKED = {"proofs": 0, "programs": 0}


def write_case(folder: Path, text: str, facts: dict[str, list[tuple]]) -> api.Program:
    (folder / "generated.rules").write_text(text)
    program = api.load_rulebook(folder / "generated.rules")
    (folder / "facts").mkdir()
    for decl in program.declarations:
        if decl.is_evidence and not decl.columns:  # a nullary fact: one JSON object per record
            (folder / "facts" / f"{decl.name}.jsonl").write_text("{}\n" * bool(facts.get(decl.name)))
        elif decl.is_evidence:
            with open(folder / "facts" / f"{decl.name}.csv", "w", newline="") as f:
                out = csv.writer(f)
                out.writerow([c.name for c in decl.columns])
                out.writerows(sorted(set(facts.get(decl.name, [])), key=repr))
    return program


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(programs())
def test_checker_accepts_every_proof(gen):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        program = write_case(folder, gen.text, gen.facts)
        with api.Case.open(folder / "case.db") as case:
            run_id = case.run(program, facts=folder / "facts", collect=False).run_id
            CHECKED["programs"] += 1
            for decl in program.declarations:
                if decl.is_evidence:
                    continue
                for proof in case.why_all(decl.name, run_id):
                    verdict = case.verify_proof(json.loads(api.proof_api.render(proof, "json")))
                    assert verdict.valid, (proof.atom, verdict, gen.text)
                    CHECKED["proofs"] += 1


def test_the_property_test_checked_many_proofs():
    """Guards the test above against passing vacuously (run in file order, after it)."""
    assert CHECKED["programs"] >= EXAMPLES and CHECKED["proofs"] >= EXAMPLES, CHECKED
