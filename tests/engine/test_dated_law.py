"""Law that changes over time: dated thresholds and rules in force, in runs, proofs, why-not and the checker."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap

import pytest

from engine import api
from engine.audit.bundle import verify_bundle

RULES = textwrap.dedent('''\
    rulebook dated "Dated law" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    threshold ownership_threshold = 50% until 2024-07-02, 40% from 2024-07-03 until 2024-12-31, 30% from 2025-03-01

    rule R1 "Listed" cites "Article 2":
      blocked(P) if listed(P, "EU").
      because "{P} is listed".

    rule R2 "Owned, before" in force until 2024-07-02 cites "Guidance (2022)":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total > ownership_threshold.
      because "{E} is owned {Total}%".

    rule R3 "Owned, since" in force from 2024-07-03 cites "Guidance (2024)":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= ownership_threshold.
      because "{E} is owned {Total}%".

    example "exactly 50% before the change":
      given listed("L", "EU"), owns("L", "A", 50).
      expect not blocked("A").
      as of 2024-07-02.

    example "exactly 50% after the change":
      given listed("L", "EU"), owns("L", "A", 50).
      expect blocked("A").
      as of 2024-07-03.
    ''')


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("dated")
    (root / "dated.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nL,EU\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nL,HALF,50\nL,FORTY5,45\nL,THIRTY5,35\n")
    program = api.load_rulebook(root / "dated.rules")
    case = api.Case.open(root / "case.db")
    case.load(program, facts)
    runs = {day: case.run(program, as_of=day).run_id
            for day in ("2024-07-02", "2024-07-03", "2025-01-15", "2025-03-01")}
    yield root, case, runs
    case.close()


def blocked(case, run_id):
    return sorted(r[0] for r in case.query("blocked(X)", run_id)[1])


def test_each_day_applies_the_rule_and_the_threshold_value_in_force(case):
    _, case, runs = case
    assert blocked(case, runs["2024-07-02"]) == ["L"]  # more than 50%
    assert blocked(case, runs["2024-07-03"]) == ["FORTY5", "HALF", "L"]  # 40% or more
    assert blocked(case, runs["2025-01-15"]) == ["L"]  # in the gap: no threshold, the ownership rule does not apply
    assert blocked(case, runs["2025-03-01"]) == ["FORTY5", "HALF", "L", "THIRTY5"]  # 30% or more


def test_the_rulebook_examples_use_the_law_of_their_day(case):
    root, _, _ = case
    report = api.test_rulebooks([str(root / "dated.rules")])
    assert report.total == 2 and not report.failed


def test_a_proof_names_the_rule_period_and_the_threshold_value_that_applied(case):
    _, case, runs = case
    proof = case.why('blocked("FORTY5")', runs["2024-07-03"])
    derivation = next(n for n in proof.nodes.values() if n.kind == "derivation" and n.rule == "R3")
    assert derivation.in_force == "from 2024-07-03"
    assert derivation.thresholds == {"ownership_threshold": "40% from 2024-07-03 until 2024-12-31"}
    text = api.proof_api.render(proof, "text")
    assert "in force from 2024-07-03; ownership_threshold 40% from 2024-07-03 until 2024-12-31" in text
    listed = next(n for n in proof.nodes.values() if n.kind == "derivation" and n.rule == "R1")
    assert listed.in_force is None and listed.thresholds == {}


def test_whynot_names_the_rules_that_do_not_apply_on_the_day(case):
    _, case, runs = case
    before = case.whynot('blocked("FORTY5")', runs["2024-07-02"])
    assert "rule R3 does not apply on 2024-07-02: it is in force from 2024-07-03" in before.notes
    gap = case.whynot('blocked("HALF")', runs["2025-01-15"])
    assert "rule R3 does not apply on 2025-01-15: ownership_threshold has no value in force then" in gap.notes
    assert any("rule R2 does not apply on 2025-01-15: it is in force until 2024-07-02" == n for n in gap.notes)


@pytest.fixture
def bundle(case, tmp_path):
    root, case, runs = case
    case.export('blocked("FORTY5")', tmp_path / "made", runs["2024-07-03"])
    return tmp_path / "made"


def forge(bundle, change):
    path = bundle / "proof.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["proof.json"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def derivations(proof):
    return [n for n in proof["nodes"].values() if n["kind"] == "derivation" and n["rule"] == "R3"]


def test_the_checker_accepts_the_proof_and_refuses_a_forged_period_or_value(bundle, tmp_path):
    assert verify_bundle(bundle).valid
    for field, value in (("in_force", "from 2024-01-01"), ("thresholds", {"ownership_threshold": "30% from 2025-03-01"})):
        copy = shutil.copytree(bundle, tmp_path / field)
        forge(copy, lambda p: [d.__setitem__(field, value) for d in derivations(p)])
        verdict = verify_bundle(copy)
        assert not verdict.valid, field


def test_the_checker_refuses_a_rule_applied_outside_its_period(bundle):
    def backdate(proof):
        proof["run"]["as_of"] = "2024-07-02"
        for node in proof["nodes"].values():
            if node["kind"] == "absence":
                node["as_of"] = "2024-07-02"
    forge(bundle, backdate)
    verdict = verify_bundle(bundle)
    assert not verdict.valid and "2024-07-02" in verdict.reason
