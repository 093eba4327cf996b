"""Entity names beside ids in proofs for reading (text, Markdown, HTML, graphs, the case report), never in
the proof as data: proof.json and bundles carry ids alone, and the independent checker never sees a name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.api import Case, load_rulebook
from engine.cli import main
from engine.proof import api as proof_api
from engine.proof.names import gloss, with_names

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "ftm" / "case.ftm.jsonl"


@pytest.fixture(scope="module")
def case_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("names") / "case.db"
    with Case.open(db) as case:
        case.import_ftm([FIXTURE], progress=False)
        case.run(load_rulebook(ROOT / "rulebooks" / "ofac_50.rules"), as_of="2025-01-01")
    return str(db)


def test_gloss_names_each_named_argument_once():
    names = {"co:a": "Alpha Ltd", "co:a-1": "Alpha One"}
    assert gloss('owns("co:a", "co:a-1", 5)', ["co:a", "co:a-1", 5, "co:a"], names) == \
        'owns("co:a", "co:a-1", 5) [Alpha Ltd (co:a); Alpha One (co:a-1)]'
    assert gloss('listed("X")', ["X"], names) == 'listed("X")'


def test_explanations_name_whole_ids_only(case_db):
    with Case.open(case_db) as case:
        proof = case.why('blocked("c-beta")')
        named = with_names(proof, {"c-beta": "Beta Trading LLC", "c-b": "Not Me"})
    explanations = [n.explanation for n in named.nodes.values() if n.kind == "derivation"]
    assert any("60% of Beta Trading LLC (c-beta)," in e for e in explanations)
    assert not any("Not Me" in e for e in explanations)  # "c-b" is not a whole id anywhere
    assert named.atom == 'blocked("c-beta") [Beta Trading LLC (c-beta)]'
    assert proof.atom == 'blocked("c-beta")'  # the proof itself is unchanged


@pytest.mark.parametrize("fmt", ["text", "md", "html", "dot"])
def test_every_reading_format_shows_names_and_json_does_not(case_db, fmt):
    result = CliRunner().invoke(main, ["why", 'blocked("c-beta")', "--db", case_db, "--format", fmt])
    assert result.exit_code == 0, result.output
    assert "Beta Trading LLC" in result.output and "Alpha Holdings Ltd" in result.output
    as_json = CliRunner().invoke(main, ["why", 'blocked("c-beta")', "--db", case_db, "--format", "json"])
    assert "Beta Trading LLC" not in as_json.output and json.loads(as_json.output)["atom"] == 'blocked("c-beta")'


def test_bundles_carry_no_names_and_still_verify(case_db, tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["export", 'blocked("c-beta")', "--db", case_db, "-o", str(tmp_path / "b")]).exit_code == 0
    assert "Beta Trading LLC" not in (tmp_path / "b" / "proof.json").read_text(encoding="utf-8")
    result = runner.invoke(main, ["verify-proof", str(tmp_path / "b")])
    assert result.exit_code == 0 and result.output.startswith("valid"), result.output


def test_the_case_report_shows_names(case_db, tmp_path):
    with Case.open(case_db) as case:
        run_id = case.latest_run()
        from engine.report import write_report
        index = write_report(case, tmp_path / "report", [run_id])
    pages = "".join(p.read_text(encoding="utf-8") for p in index.parent.rglob("*.html"))
    assert "Delta Logistics Ltd (c-delta)" in pages


def test_a_case_file_without_names_renders_as_before(case_db):
    with Case.open(case_db) as case:
        proof = case.why('blocked("c-beta")')
        assert with_names(proof, {}) is proof
        assert proof_api.render(with_names(proof, {"nobody": "X"}), "text") == proof_api.render(proof, "text")
