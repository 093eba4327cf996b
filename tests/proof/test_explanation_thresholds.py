"""An explanation names thresholds and constants (`{ownership_threshold}`, `{as_of}`): proofs show the value in
force on the run's assessment date, and the independent checker recomputes the same text."""

from __future__ import annotations

import hashlib
import json
import textwrap

import pytest

from engine import api
from engine.audit.bundle import verify_bundle
from engine.check import check_files

RULES = textwrap.dedent('''\
    rulebook dated "Dated law" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    threshold ownership_threshold = 50% until 2024-07-02, 40% from 2024-07-03
    constant regime = "EU"

    rule R1 "Listed" cites "Article 2":
      blocked(P) if listed(P, regime).
      because "{P} is on the {regime} list (assessed {as_of})".

    rule R2 "Owned" cites "Guidance":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= ownership_threshold.
      because "{E} is owned {Total}%, at least {ownership_threshold}%; {{ownership_threshold}} stays as written".
    ''')


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("explained")
    (root / "dated.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nL,EU\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nL,A,60\nL,B,45\n")
    program = api.load_rulebook(root / "dated.rules")
    case = api.Case.open(root / "case.db")
    case.load(program, facts)
    runs = {day: case.run(program, as_of=day).run_id for day in ("2024-07-02", "2024-07-03")}
    yield root, case, runs
    case.close()


def explanations(proof) -> dict[str, str]:
    return {n.rule: n.explanation for n in proof.nodes.values() if n.kind == "derivation"}


def test_the_rulebook_checks_clean(case):
    root, _, _ = case
    diags, _ = check_files([root / "dated.rules"])
    assert not [d for d in diags if d.is_error], diags


def test_a_proof_shows_the_threshold_in_force_on_its_day(case):
    _, case, runs = case
    before = explanations(case.why('blocked("A")', runs["2024-07-02"]))
    since = explanations(case.why('blocked("B")', runs["2024-07-03"]))
    assert before["R2"] == "A is owned 60%, at least 50%; {ownership_threshold} stays as written"
    assert since["R2"] == "B is owned 45%, at least 40%; {ownership_threshold} stays as written"
    assert since["R1"] == "L is on the EU list (assessed 2024-07-03)"


def test_the_checker_recomputes_the_text_and_refuses_a_forged_number(case, tmp_path):
    _, case, runs = case
    bundle = tmp_path / "b"
    case.export('blocked("B")', bundle, runs["2024-07-03"])
    assert verify_bundle(bundle).valid
    path = bundle / "proof.json"
    proof = json.loads(path.read_text())
    for node in proof["nodes"].values():
        if node["kind"] == "derivation" and node["rule"] == "R2":
            node["explanation"] = node["explanation"].replace("at least 40%", "at least 50%")
    path.write_text(json.dumps(proof))
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["proof.json"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    verdict = verify_bundle(bundle)
    assert not verdict.valid and "at least 40%" in verdict.reason


@pytest.mark.parametrize("because, code", [
    ('"{E} is owned {Total}%, at least {ownership_treshold}%"', "E142"),
    ('"{E} is owned {Total}%, at least {Ownership_threshold}%"', "E140"),
    ('"{E} is owned {Total}%, at least {ownership threshold}%"', "E141"),
])
def test_a_placeholder_names_a_known_threshold(because, code, tmp_path):
    path = tmp_path / "bad.rules"
    path.write_text(RULES.replace(RULES.splitlines()[-1].strip(), f"because {because}."))
    diags, _ = check_files([path])
    assert [d.code for d in diags if d.is_error] == [code]
    if code == "E142":
        assert "did you mean ownership_threshold?" in diags[-1].hint
