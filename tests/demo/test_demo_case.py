"""The bundled demo case end to end: outcomes as documented, every run replays exactly, and every
proof of the final assessment passes the independent checker, also from an exported bundle."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

from engine import api
from engine.audit.bundle import verify_bundle

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def _run_demo_module():
    sys.path.insert(0, str(DEMO))
    spec = importlib.util.spec_from_file_location("run_demo", DEMO / "run_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    module = _run_demo_module()
    case = module.build(tmp_path_factory.mktemp("demo") / "case.db")
    outcomes, last = module.run_all(case)
    retro, problems = module.retrospective(case)
    assert problems == []
    yield module, case, outcomes, last + [retro]
    case.close()


def test_outcomes_match_the_documented_story(demo):
    module, _, outcomes, _ = demo
    assert module.compare(outcomes) == []
    final = outcomes["2024-11-01"]["blocked"]
    assert "co:borealis-trading" in final["EU"] and "co:borealis-trading" not in final["UK"]


def test_the_retrospective_question_is_answered_on_todays_evidence(demo):
    module, case, _, last = demo
    retro = last[-1]
    info = case.run_info(retro)
    assert info["as_of"] == module.PAYMENT_DAY and info["known_at"] > "2026"
    proof = case.why(f'needs_review("{module.PAYMENT[0]}", "{module.PAYMENT[1]}")', retro)
    text = api.proof_api.render(proof, "text")
    assert "paid Gulfstar crew wages through a listed bank" in text
    known_then = f"run-{int(retro.split('-')[1]) - 1:06d}"
    answer = case.whynot(f'needs_review("{module.PAYMENT[0]}", "{module.PAYMENT[1]}")', known_then, depth=6)
    assert not answer.holds
    assert "was recorded on 2024-10-15, after the known-at time 2024-09-30" in answer.model_dump_json()


def test_every_run_replays_byte_for_byte(demo):
    _, case, _, _ = demo
    runs = case.runs()
    assert len(runs) == 15  # 13 as the case stood on each date, and the retrospective question's two
    for run in runs:
        report = case.replay(run["id"])
        assert report.identical, (run["id"], report.diff, report.proofs_differing)
    assert case.verify_audit().ok


def test_later_runs_take_over_earlier_ones_and_still_replay(demo):
    """The runs replayed above include incremental ones (a later date, a later known-at, the updates loaded),
    and the EU rulebook, whose threshold changed on 2024-07-03, is run in full across that date."""
    _, case, _, _ = demo
    made = {e.entity: e.details["evaluation"] for e in case.audit_entries(action="run")}
    taken_over = [run for run, how in made.items() if how["mode"] == "incremental" and how["strata_reused"]]
    assert len(taken_over) >= 5, made
    assert "the law in force on 2024-09-30 differs" in made["run-000005"].get("reason", ""), made["run-000005"]


def test_every_proof_of_the_final_assessment_checks_out(demo):
    _, case, _, last = demo
    checked = 0
    for run_id in last:
        program = case.program_for_run(run_id)
        for decl in program.declarations:
            if decl.kind != "conclusion":
                continue
            for proof in case.why_all(decl.name, run_id):
                verdict = case.verify_proof(json.loads(api.proof_api.render(proof, "json")))
                assert verdict.valid, (run_id, proof.atom, verdict)
                checked += 1
    assert checked > 50


def test_an_exported_bundle_verifies_elsewhere(demo, tmp_path):
    _, case, _, last = demo
    case.export('blocked("co:volkhov-energy")', tmp_path / "made", last[0])
    moved = shutil.copytree(tmp_path / "made", tmp_path / "elsewhere" / "bundle")
    shutil.rmtree(tmp_path / "made")
    verdict = verify_bundle(moved)
    assert verdict.valid, verdict


def test_the_case_report_shows_the_same_conclusion_to_two_readers(demo, tmp_path):
    """Issue 16: the analyst cleared SECRET sees the partner state's report; the liaison officer cleared
    OFFICIAL sees the same conclusion resting on a withheld part, and nothing of the report itself."""
    module, case, _, runs = demo
    written = module.reader_reports(case, tmp_path, runs[-1:])
    pages = {name: {p.name: p.read_text() for p in (path.parent / runs[-1]).glob("needs_review*tallis*")}
             for name, path in written.items()}
    assert set(pages["analyst"]) == set(pages["liaison"]) and len(pages["analyst"]) == 3  # svg, md, html
    md = {name: next(t for n, t in files.items() if n.endswith(".md")) for name, files in pages.items()}
    assert "withheld" not in md["analyst"] and "Partner-state financial intelligence unit" in md["analyst"]
    assert md["liaison"].splitlines()[0].endswith(
        "holds: rests in part on evidence withheld from you (4 withheld parts: SECRET REL TO UK)")
    for text in pages["liaison"].values():
        assert "Partner-state financial intelligence unit" not in text and "fiu-2024-031" not in text
    assert "liaison" in {p.name for p in case.principals()}


def test_a_partner_states_signed_bundle_corroborates_and_is_withheld_from_the_uncleared(demo, tmp_path):
    module, case, _, _ = demo
    run = module.partner_corroboration(case, tmp_path)
    proof = case.why('corroborated("co:volkhov-energy")', run)
    leaf = next(n for n in proof.nodes.values() if n.kind == "evidence")
    assert leaf.source_name == "FR-DGT: a partner state's assessment (signed bundle)"
    assert leaf.document.startswith("bundle manifest sha256:") and leaf.grade == "B2"
    assert api.verify_bundle(tmp_path / "partner" / "bundle").valid
    module.reader_reports(case, tmp_path / "readers", [run])
    liaison = api.Case(case.store, as_principal="liaison")  # the same open case file, not closed here
    text = api.proof_api.render(liaison.why('corroborated("co:volkhov-energy")', run), "text")
    assert text.splitlines()[0].endswith("rests in part on evidence withheld from you (1 withheld part: SECRET REL TO UK)")
    assert "FR-DGT" not in text
