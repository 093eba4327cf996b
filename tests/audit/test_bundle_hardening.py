"""Regression tests of issue 19 (defects 2 and 3): every forged field of a proof is rejected, with or without
the case file as appropriate, and a bundle is read only inside its folder, within limits, without a traceback."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.audit import checker
from engine.audit.bundle import verify_bundle
from engine.cli import main
from engine.diagnostics import WarrantError

from bundle_case import edit_json, fresh_bundle, make_case, nodes_of, reseal

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("hardening")
    runs = make_case(root)
    (root / "runs.json").write_text(json.dumps(runs))
    return root


@pytest.fixture
def bundle(case_dir, tmp_path):
    return fresh_bundle(case_dir, tmp_path)


def runs(case_dir) -> dict:
    return json.loads((case_dir / "runs.json").read_text())


def cli(*args) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.output


def leaf(proof, predicate="listed"):
    return next(n for n in nodes_of(proof, "evidence") if n["predicate"] == predicate)


def derivation(proof, rule):
    return next(n for n in nodes_of(proof, "derivation") if n["rule"] == rule)


# defect 2: forged fields of the proof

def test_the_untouched_bundle_is_valid_and_says_what_it_did_not_verify(bundle):
    verdict = verify_bundle(bundle)
    assert verdict.valid, verdict
    assert any("run id" in n for n in verdict.unverified) and any("reliability" in n for n in verdict.unverified)
    assert not any("proof.svg" in n for n in verdict.unverified)  # drawn again here: identical


def forge_explanation(proof):
    derivation(proof, "F1")["explanation"] = "B is owned by the Kremlin"


def forge_fact_text(proof):
    fact = next(n for n in nodes_of(proof, "fact") if n["args"] == ["X"])
    fact["text"] = 'blocked("Q")'


def forge_leaf_text(proof):
    leaf(proof)["text"] = 'listed("Q", "SDN")'


def forge_as_of(proof):
    """A careful forger: every as-of the proof shows, consistently."""
    for a in nodes_of(proof, "absence"):
        a["statement"] = a["statement"].replace(a["as_of"], "2001-01-01")
        a["as_of"] = "2001-01-01"
    proof["run"]["as_of"] = "2001-01-01"


def forge_absence_statement(proof):
    nodes_of(proof, "absence")[0]["statement"] = "no licence of anyone was ever issued"


def forge_premise_text(proof):
    derivation(proof, "R2")["premises"][0]["text"] = "sum(...) = 99 >= 50"


def forge_grade(proof):
    leaf(proof)["grade"] = "A9"


def forge_extra_binding(proof):
    derivation(proof, "F1")["binding"]["Owner"] = "Kremlin"


def forge_stray_node(proof):
    node = dict(leaf(proof), id="e-000000000000", text='listed("Q", "SDN")', args=["Q", "SDN"])
    proof["nodes"][node["id"]] = node


def forge_extra_field(proof):
    leaf(proof)["note"] = "verified by the agency"


def forge_header_rules(proof):
    proof["run"]["sha256"] = "0" * 64


@pytest.mark.parametrize("forge, says", [
    (forge_explanation, "because"), (forge_fact_text, "does not show"), (forge_leaf_text, "does not show"),
    (forge_absence_statement, "statement"), (forge_premise_text, "premise's text"), (forge_grade, "grade"),
    (forge_extra_binding, "Owner"), (forge_stray_node, "no step of the proof uses"),
    (forge_extra_field, "malformed"), (forge_header_rules, "sha256"),
])
def test_a_forged_field_is_rejected_from_the_bundle_alone(bundle, forge, says):
    edit_json(bundle, "proof.json", forge)
    verdict = verify_bundle(bundle)
    assert not verdict.valid and says in verdict.reason, verdict


def forge_source(field, value):
    def change(records):
        for r in records:
            if r["predicate"] == "listed":
                r[field] = value
    return change


@pytest.mark.parametrize("field, value", [("source_name", "Interpol"), ("reliability", "F"),
                                          ("recorded_at", "2000-01-01T00:00:00.000000Z")])
def test_forged_source_metadata_is_rejected_with_the_case_file(bundle, case_dir, field, value):
    """Not covered by the record hash: consistent forgeries pass the bundle alone (which says so) and not --db."""
    def both(proof):
        for n in nodes_of(proof, "evidence"):
            if n["predicate"] == "listed":
                n[field] = value
                n["grade"] = checker.grade(n["reliability"], n["credibility"])
    edit_json(bundle, "proof.json", both)
    edit_json(bundle, "evidence.json", forge_source(field, value))
    alone = verify_bundle(bundle)
    assert alone.valid and any(field.split("_")[-1] in n for n in alone.unverified), alone
    code, out = cli("verify-proof", str(bundle), "--db", str(case_dir / "case.db"))
    assert code == 1 and field in out, out


def test_forged_run_id_is_rejected_with_the_case_file(bundle, case_dir):
    """The reproduction: the run id changed to another run, which never concluded frozen("B")."""
    empty = runs(case_dir)["empty"]

    def change(proof):
        proof["run"]["run_id"] = empty
        for a in nodes_of(proof, "absence"):
            a["run_id"] = empty
    edit_json(bundle, "proof.json", change)
    assert verify_bundle(bundle).valid  # the bundle alone cannot tell: the verdict says the run id is not verified
    proof = bundle / "proof.json"
    code, out = cli("verify-proof", str(proof), "--db", str(case_dir / "case.db"))
    assert code == 1 and out.startswith("invalid:") and empty in out, out
    code, out = cli("verify-proof", str(bundle), "--db", str(case_dir / "case.db"))
    assert code == 1 and out.startswith("invalid:"), out


def test_forged_as_of_is_rejected_with_the_case_file(bundle, case_dir):
    edit_json(bundle, "proof.json", forge_as_of)
    assert verify_bundle(bundle).valid  # the bundle alone cannot tell: the verdict says the as-of is not verified
    code, out = cli("verify-proof", str(bundle / "proof.json"), "--db", str(case_dir / "case.db"))
    assert code == 1 and "as_of" in out, out


def test_a_proof_naming_no_run_of_the_case_is_invalid(bundle, case_dir):
    edit_json(bundle, "proof.json", lambda p: p["run"].update(run_id="run-999999"))
    code, out = cli("verify-proof", str(bundle / "proof.json"), "--db", str(case_dir / "case.db"))
    assert code == 1 and "run-999999" in out and "not in" in out, out


def test_an_untouched_bundle_is_valid_with_the_case_file(bundle, case_dir):
    code, out = cli("verify-proof", str(bundle), "--db", str(case_dir / "case.db"))
    assert code == 0 and out == "valid\n", out


def test_an_edited_picture_is_not_reported_as_verified(bundle):
    svg = bundle / "proof.svg"
    svg.write_text(svg.read_text().replace("blocked", "cleared"))
    reseal(bundle, "proof.svg")
    verdict = verify_bundle(bundle)
    assert verdict.valid and any(n.startswith("proof.svg differs") for n in verdict.unverified), verdict
    code, out = cli("verify-proof", str(bundle))
    assert code == 0 and "not verified: proof.svg differs" in out


def test_every_proof_field_is_checked_or_declared(case_dir):
    """FIELDS covers the proof model exactly, and the reviewer guide names every field."""
    from engine.proof import model

    kinds = {"proof": model.Proof, "run": model.RunInfo, "limits": model.Limits, "fact": model.FactNode,
             "derivation": model.DerivationNode, "premise": model.Premise, "evidence": model.EvidenceNode,
             "absence": model.AbsenceNode, "aggregate": model.AggregateNode, "contribution": model.Contribution,
             "threshold": model.Threshold, "comparison": model.ComparisonNode, "membership": model.MembershipNode,
             "rulebook_fact": model.RulebookFactNode, "no_match": model.NoMatchNode,
             "omitted": model.OmittedNode, "withheld": model.WithheldNode}
    assert set(kinds) == set(checker.FIELDS)
    for kind, cls in kinds.items():
        assert set(cls.model_fields) == set(checker.FIELDS[kind]), kind
    guide = (ROOT / "docs" / "reviewer-guide.md").read_text()
    named = set(re.findall(r"`([a-z_0-9]+)`", guide))
    assert {f for fields in checker.FIELDS.values() for f in fields} <= named


def test_the_checker_texts_agree_with_the_proof_builders():
    from hypothesis import given, strategies as st

    from engine.proof import terms

    values = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=8),
                       st.floats(allow_nan=False, allow_infinity=False))

    @given(values, st.text(alphabet="{}ab XY", max_size=12), st.lists(values, max_size=3))
    def agree(v, template, args):
        assert checker.show(v) == terms.value_text(v)
        assert checker.fill(template, {"X": v}) == terms.fill_explanation(template, {"X": v})
        assert checker.atom_text("p", args) == terms.atom_text("p", args)
    agree()


# defect 3: reads outside the bundle

@pytest.fixture
def outside(tmp_path):
    canary = tmp_path / "canary.rules"
    canary.write_text("SECRET-FIRST-LINE of a file outside the bundle\n")
    return canary


def set_manifest(bundle, data) -> None:
    (bundle / "manifest.json").write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())


def with_file(bundle, name: str, digest: str = "0" * 64) -> dict:
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][name] = digest
    manifest.pop("rulebooks", None)
    return manifest


def refused(bundle, code: str) -> str:
    exit_code, out = cli("verify-proof", str(bundle))
    assert exit_code == 2 and f"[{code}]" in out and "hint:" in out, out
    assert "Traceback" not in out and "SECRET" not in out
    return out


@pytest.mark.parametrize("name", ["../canary.rules", "rulebooks/../../canary.rules", "/etc/hostname", "",
                                  ".hidden", "a\\b", "x/y/z", "rulebooks/\x1b[2J.rules"])
def test_names_outside_the_bundle_are_refused(bundle, outside, name):
    set_manifest(bundle, with_file(bundle, name))
    out = refused(bundle, "B005")
    assert "\x1b" not in out


def test_symbolic_links_are_refused(bundle, outside):
    (bundle / "rulebooks" / "canary.rules").symlink_to(outside)
    set_manifest(bundle, with_file(bundle, "rulebooks/canary.rules"))
    refused(bundle, "B002")
    os.remove(bundle / "rulebooks" / "canary.rules")
    rulebooks = bundle / "rulebooks"
    rulebooks.rename(bundle / "real")
    rulebooks.symlink_to(outside.parent)
    set_manifest(bundle, with_file(bundle, "rulebooks/canary.rules"))
    refused(bundle, "B002")


def test_a_huge_file_is_refused_without_reading_it(bundle, monkeypatch):
    with open(bundle / "big.bin", "wb") as f:
        f.truncate(3 * 2**30)  # sparse: 3 GB that take no disk
    set_manifest(bundle, with_file(bundle, "big.bin"))
    reads = []
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real(fd, n))
    refused(bundle, "B003")
    assert sum(reads) < 2**25


MALFORMED = {
    "list": (b"[]", "B005"), "null": (b"null", "B005"), "files not an object": (b'{"format": "warrant-bundle/1", "files": []}', "B005"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "B004"), "not UTF-8": (b'{"format": "\xff"}', "B004"),
    "huge integer": (b'{"n": ' + b"9" * 5000 + b"}", "B004"), "NaN": (b'{"n": NaN}', "B004"),
    "duplicate keys": (b'{"format": "warrant-bundle/1", "format": "x"}', "B004"), "empty": (b"", "B004"),
    "truncated": (b'{"format": "warrant-bundle/1", "files": {', "B004"), "bad digest": (None, "B005"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_manifest_is_a_located_error(bundle, case):
    data, code = MALFORMED[case]
    if data is None:
        data = with_file(bundle, "proof.json", "not-a-digest")
    set_manifest(bundle, data)
    out = refused(bundle, code)
    assert str(bundle / "manifest.json") in out


@pytest.mark.parametrize("name, data", [("proof.json", b"[" * 100_000), ("evidence.json", b"\xfe\xff"),
                                        ("run_facts.json", b'{"a": 1e999}'), ("proof.json", b"{" + b"9" * 5000)])
def test_a_malformed_bundle_file_is_a_located_error(bundle, name, data):
    (bundle / name).write_bytes(data)
    reseal(bundle, name)
    assert str(bundle / name) in refused(bundle, "B004")


@pytest.mark.parametrize("data", [b"[]", b"null", b'{"format": "warrant-proof/1"}', b'{"nodes": {"x": []}}'])
def test_a_proof_of_the_wrong_shape_is_invalid(bundle, data):
    (bundle / "proof.json").write_bytes(data)
    reseal(bundle, "proof.json")
    code, out = cli("verify-proof", str(bundle))
    assert code == 1 and out.startswith("invalid:") and "Traceback" not in out, out


def test_a_broken_rulebook_is_reported_inside_the_bundle(bundle):
    name = next(n for n in json.loads((bundle / "manifest.json").read_text())["files"] if n.startswith("rulebooks/"))
    (bundle / name).write_text("this is not a rulebook\n")
    reseal(bundle, name)
    code, out = cli("verify-proof", str(bundle))
    assert code in (1, 2) and "Traceback" not in out, out


def test_a_proof_file_with_db_is_read_with_the_same_guard(bundle, case_dir):
    (bundle / "proof.json").write_bytes(b"[" * 100_000)
    code, out = cli("verify-proof", str(bundle / "proof.json"), "--db", str(case_dir / "case.db"))
    assert code == 2 and "[B004]" in out, out


def test_bundle_codes_are_documented():
    used = set(re.findall(r'"(B\d{3})"', (ROOT / "engine/audit/bundle_reader.py").read_text()
                          + (ROOT / "engine/audit/bundle.py").read_text()))
    documented = set(re.findall(r"^### (B\d{3}) ", (ROOT / "docs/errors.md").read_text(), re.M))
    assert used and used == documented


def test_read_bundle_raises_warrant_errors_only(bundle):
    set_manifest(bundle, b"[]")
    with pytest.raises(WarrantError):
        verify_bundle(bundle)
