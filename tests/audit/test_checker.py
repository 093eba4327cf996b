"""The independent checker accepts the engine's proofs and names each kind of tampering."""

import json
import shutil

import pytest

from engine import api
from engine.audit.bundle import verify_bundle

from bundle_case import RULES


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("checker")
    (root / "screen.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nX,SDN\nY,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,30\nY,A,20\nA,B,60\n")
    (facts / "licence.csv").write_text("licence_id,party\nGL-8,Y\n")
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db") as case:
        case.run(program, facts=facts)
        case.export('frozen("B")', root / "bundle")
    return root


@pytest.fixture
def bundle(case_dir, tmp_path):
    """A fresh copy of the exported bundle, in a directory with no case file."""
    return shutil.copytree(case_dir / "bundle", tmp_path / "bundle")


def edit(bundle, name, change):
    """Tamper with one bundle file and re-seal the manifest, as a forger would."""
    import hashlib

    path = bundle / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def nodes_of(proof, kind):
    return [n for n in proof["nodes"].values() if n["kind"] == kind]


def test_exported_bundle_verifies_in_a_fresh_directory(bundle):
    verdict = verify_bundle(bundle)
    assert verdict.valid, verdict
    assert verdict.checked["absences"] >= 1 and verdict.checked["aggregates"] >= 1


def test_changed_file_breaks_the_manifest(bundle):
    (bundle / "proof.json").write_text((bundle / "proof.json").read_text().replace('"B"', '"Q"'))
    verdict = verify_bundle(bundle)
    assert not verdict.valid and verdict.step == "proof.json" and "manifest" in verdict.reason


def test_changed_evidence_value_is_caught(bundle):
    def change(records):
        rec = next(r for r in records if r["predicate"] == "owns" and r["args"][:2] == ["A", "B"])
        rec["args"][2] = 70
    edit(bundle, "evidence.json", change)
    verdict = verify_bundle(bundle)
    assert not verdict.valid and "altered" in verdict.reason


def test_removed_leaf_is_caught(bundle):
    def change(proof):
        leaf = next(n for n in nodes_of(proof, "evidence") if n["predicate"] == "listed")
        del proof["nodes"][leaf["id"]]
    edit(bundle, "proof.json", change)
    verdict = verify_bundle(bundle)
    assert not verdict.valid and verdict.reason == "the proof refers to a node it does not contain"


def test_swapped_rule_is_caught(bundle):
    def change(proof):
        d = next(n for n in nodes_of(proof, "derivation") if n["rule"] == "R2")
        d["rule"] = "R1"
    edit(bundle, "proof.json", change)
    verdict = verify_bundle(bundle)
    assert not verdict.valid and "R1" in verdict.reason or "title" in verdict.reason


def test_altered_total_is_caught(bundle):
    def change(proof):
        g = nodes_of(proof, "aggregate")[0]
        g["total"] = 90
    edit(bundle, "proof.json", change)
    verdict = verify_bundle(bundle)
    assert not verdict.valid and "not the stated 90" in verdict.reason


def test_forged_absence_is_caught(case_dir, tmp_path):
    with api.Case.open(case_dir / "case.db") as case:
        proof = json.loads(api.proof_api.render(case.why('frozen("B")'), "json"))
        absence = nodes_of(proof, "absence")[0]
        absence["args"] = [None, "Y"]
        assert not case.verify_proof(proof).valid  # the rule asks for a licence of B, not Y
        d = next(n for n in nodes_of(proof, "derivation") if n["rule"] == "F1")
        d["binding"]["P"] = "Y"
        absence["args"] = [None, "Y"]
        verdict = case.verify_proof(proof)
    assert not verdict.valid


def test_forged_absence_against_the_licence_record(case_dir, tmp_path):
    """A proof that Y is frozen would have to claim Y holds no licence: the record GL-8 refutes it."""
    with api.Case.open(case_dir / "case.db") as case:
        proof = json.loads(api.proof_api.render(case.why('frozen("B")'), "json"))
        absence = nodes_of(proof, "absence")[0]
        absence["args"] = [None, "Y"]
        absence["text"] = 'licence(_, "Y")'
        absence["statement"] = f'no evidence record of licence(_, "Y") is in force as of {absence["as_of"]}'
        from engine.audit.checker import Checker, Evidence, Invalid, Rulebooks
        from engine.syntax import parse_atom

        checker = Checker(proof, Rulebooks(case._rulebook_texts(proof["run"]["run_id"])),
                          Evidence(api.proof_records(case.conn, case.program_for_run(), proof)), {})
        with pytest.raises(Invalid, match="GL-8|was in force"):
            checker.absence(parse_atom("licence(_, P)"), {"P": "Y"}, [absence["id"]], "test")


def test_every_proof_of_the_run_is_accepted(case_dir):
    with api.Case.open(case_dir / "case.db") as case:
        for pred in ("frozen", "blocked"):
            for proof in case.why_all(pred):
                verdict = case.verify_proof(json.loads(api.proof_api.render(proof, "json")))
                assert verdict.valid, (proof.atom, verdict)
