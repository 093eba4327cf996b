"""A bundle carries the names of its proof's entities (names.json) for its drawing and its reader, as
presentation: the verdict says the names are as the exporter states, and the proof itself holds ids."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from engine import api
from engine.audit.bundle import NAMES_NOTE

from bundle_case import RULES, SOURCES, reseal


@pytest.fixture(scope="module")
def named_bundle(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("named")
    (root / "screen.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nco:kessler-holding-international,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nco:kessler-holding-international,co:borealis-trading,60\n")
    (facts / "licence.csv").write_text("licence_id,party\n")
    (facts / "manifest.json").write_text(json.dumps(SOURCES))
    (facts / "entities.csv").write_text("id,name,aliases,country,registration_number\n"
                                        "co:borealis-trading,Borealis Trading <Ltd>,,cy,\n"
                                        "co:unrelated,Unrelated Shipping,,pa,\n")
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db", create=True) as case:
        case.load(program, facts)
        run = case.run(program).run_id
        case.export('frozen("co:borealis-trading")', root / "bundle", run)
    return root / "bundle"


def test_the_bundle_names_the_proofs_entities_and_only_those(named_bundle):
    names = json.loads((named_bundle / "names.json").read_text())
    assert names == {"co:borealis-trading": "Borealis Trading <Ltd>"}
    assert "names.json" in json.loads((named_bundle / "manifest.json").read_text())["files"]
    assert "Borealis Trading" not in (named_bundle / "proof.json").read_text()


def test_the_drawing_shows_the_name_beside_the_id(named_bundle):
    svg = (named_bundle / "proof.svg").read_text()
    assert "Borealis Trading &lt;Ltd&gt; (co:borealis&#45;trading)" in svg  # Graphviz writes - as &#45;


def test_verification_redraws_with_the_names_and_says_they_are_presentation(named_bundle):
    verdict = api.verify_bundle(named_bundle)
    assert verdict.valid
    assert NAMES_NOTE in verdict.unverified
    assert not any("proof.svg" in note for note in verdict.unverified)


def test_an_edited_name_no_longer_matches_the_drawing(named_bundle, tmp_path):
    bundle = Path(shutil.copytree(named_bundle, tmp_path / "bundle"))
    (bundle / "names.json").write_text(json.dumps({"co:borealis-trading": "Somebody Else"}))
    reseal(bundle, "names.json")
    verdict = api.verify_bundle(bundle)
    assert verdict.valid
    assert any(note.startswith("proof.svg differs") for note in verdict.unverified)


def test_names_that_are_not_a_map_are_ignored_with_a_note(named_bundle, tmp_path):
    bundle = Path(shutil.copytree(named_bundle, tmp_path / "bundle"))
    (bundle / "names.json").write_text(json.dumps(["co:borealis-trading"]))
    reseal(bundle, "names.json")
    verdict = api.verify_bundle(bundle)
    assert "names.json is not a map of entity ids to names: ignored" in verdict.unverified
