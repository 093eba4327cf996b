"""Proofs per reader: a reader not cleared for a record gets a proof with withheld nodes that still checks,
in every rendering, with the reads in the access log."""

from __future__ import annotations

import json

import pytest

from engine import api
from engine.audit.checker import check_proof
from engine.proof import api as proof_api

from redaction_case import SECRETS, exported, make_case

TEXT_FORMATS = ("text", "json", "dot", "svg", "md", "html")


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("redaction")
    make_case(root)
    return root


def _why(case_dir, who, atom='frozen("A")'):
    with api.Case.open(case_dir / "case.db", as_principal=who) as case:
        return case.why(atom)


def test_a_cleared_reader_sees_what_the_owner_sees(case_dir):
    assert _why(case_dir, "analyst") == _why(case_dir, None)


def test_the_uncleared_reader_gets_a_partial_sum_and_never_a_withheld_value(case_dir):
    proof = _why(case_dir, "liaison")
    text = proof_api.render(proof, "text")
    assert text.splitlines()[0] == ('frozen("A") rests in part on evidence withheld from you '
                                    "(1 withheld part: SECRET REL TO UK)")
    assert "sum(Pct for owns(O, E, Pct) and blocked(O)) = at least 30 visible, plus withheld; " in text
    assert 'because A is owned [withheld]%' in text
    for fmt in TEXT_FORMATS:
        shown = proof_api.render(proof, fmt)
        assert not [s for s in SECRETS if s in shown], fmt
    node = json.loads(proof_api.render(proof, "json"))["nodes"]
    assert not [n for n in node.values() if n["kind"] == "aggregate" and n["total"] is not None]
    assert not any(25 == v for n in node.values() for c in n.get("contributions", []) for v in [c["value"]])


def test_the_redacted_proof_checks_and_names_what_is_withheld(case_dir, tmp_path):
    with api.Case.open(case_dir / "case.db", as_principal="liaison") as case:
        case.export('frozen("A")', tmp_path / "bundle")
    verdict = api.verify_bundle(tmp_path / "bundle")
    assert verdict.valid, verdict
    notes = "\n".join(verdict.unverified)
    assert "withheld w-" in notes and "a contribution to sum(" in notes and "SECRET REL TO UK" in notes
    assert "the test T >= 50 rests on withheld contributions: accepted as issued" in notes
    for path in (tmp_path / "bundle").rglob("*"):
        if path.is_file():
            data = path.read_text(errors="replace")
            assert not [s for s in SECRETS if s in data], path.name
    with api.Case.open(case_dir / "case.db") as case:
        opened = case.verify_proof(json.loads((tmp_path / "bundle" / "proof.json").read_text()))
    assert opened.valid and "as liaison (user, UK, cleared OFFICIAL) may see it" in opened.unverified[-1]


def test_a_tampered_withheld_node_is_refused(case_dir, tmp_path):
    data, books, records = exported(case_dir, "liaison", 'frozen("A")', tmp_path / "b")
    assert check_proof(data, books, records).valid
    wid = next(k for k, n in data["nodes"].items() if n["kind"] == "withheld")
    data["nodes"][wid]["commitment"] = "sha256:" + "0" * 64
    verdict = check_proof(data, books, records)
    assert not verdict.valid and "first 12 hex digits of its commitment" in verdict.reason


def test_every_read_is_in_the_access_log_with_what_was_withheld(case_dir):
    with api.Case.open(case_dir / "case.db", as_principal="liaison") as case:
        proof = case.why('frozen("A")')
        _, rows = case.query("listed(P, L)")
        whynot = proof_api.render(case.whynot('frozen("co:yarrow-holdings")'), "text")
        log = case.audit_entries()
    assert rows == [["X", "SDN"]]
    assert "co:yarrow-holdings" in whynot.splitlines()[0]  # the reader's own question
    assert "2 record(s) withheld from you were not considered" in whynot
    why, query = [e for e in log if e.action == "view.why"][-1], [e for e in log if e.action == "view.query"][-1]
    ids = sorted(k for k, n in proof.nodes.items() if n.kind == "withheld")
    assert why.details["principal"] == "liaison" and why.details["withheld_ids"] == ids
    assert query.details == {"principal": "liaison", "run_id": case_dir and query.details["run_id"], "rows": 1,
                             "withheld": 1}
    assert not [s for s in SECRETS[1:] if s in json.dumps([e.to_json() for e in log[-3:]])]


def test_a_why_not_names_no_withheld_record_the_clocks_kept_out(tmp_path):
    case_dir = tmp_path  # a case of its own: the early run below would be every other test's latest
    make_case(case_dir)
    program = api.load_rulebook(case_dir / "screen.rules")
    with api.Case.open(case_dir / "case.db") as case:
        early = case.run(program, as_of="2001-01-01", known_at="2001-01-01").run_id
        owner = proof_api.render(case.whynot('frozen("A")', early, depth=4), "json")
    with api.Case.open(case_dir / "case.db", as_principal="liaison") as case:
        liaison = proof_api.render(case.whynot('frozen("A")', early, depth=4), "json")
    assert "co:yarrow-holdings" in owner and "after the known-at time" in owner
    assert "after the known-at time" in liaison  # X's records, which the liaison may see
    assert not [s for s in SECRETS if s in liaison]


def test_the_case_report_counts_only_the_conclusions_the_reader_may_see(case_dir, tmp_path):
    from engine.report import write_report

    index = {}
    for who in ("analyst", "liaison"):
        with api.Case.open(case_dir / "case.db", as_principal=who) as case:
            run = case.latest_run()
            write_report(case, tmp_path / who, [run])
            index[who] = (tmp_path / who / "index.md").read_text() + (tmp_path / who / "index.html").read_text()
    assert "| frozen: 3 |" in index["analyst"]  # A, X and the partner's co:yarrow-holdings
    assert "| frozen: 2 |" in index["liaison"] and "frozen: 3" not in index["liaison"]
    assert "<td>frozen: 2</td>" in index["liaison"]
    assert not [s for s in SECRETS if s in index["liaison"]]


def test_an_ftm_export_gives_each_reader_what_that_reader_may_know(case_dir):
    """export-ftm as a principal: no conclusion naming a withheld value, and each entity's recordId is the
    SHA-256 of the proof that principal is given (its withheld parts included), not the owner's."""
    import hashlib

    exported_by = {}
    for who in (None, "analyst", "liaison"):
        with api.Case.open(case_dir / "case.db", as_principal=who) as case:
            entities = case.export_ftm()
            for entity in entities:
                atom = entity["properties"]["provisions"][0]
                proof = proof_api.render(case.why(atom), "json")
                assert entity["properties"]["recordId"] == [hashlib.sha256(proof.encode("utf-8")).hexdigest()]
        exported_by[who] = {e["properties"]["provisions"][0]: e for e in entities}
    assert exported_by["analyst"] == exported_by[None]
    assert 'frozen("co:yarrow-holdings")' in exported_by[None]
    liaison = exported_by["liaison"]
    assert set(liaison) == {a for a in exported_by[None] if "co:yarrow-holdings" not in a}
    assert liaison['frozen("A")']["properties"]["recordId"] != exported_by[None]['frozen("A")']["properties"]["recordId"]
    assert not [s for s in SECRETS if s in json.dumps(list(liaison.values()))]
