"""warrant import bundle: a partner's signed bundle is taken as evidence only as issued by a trusted agency;
its conclusion and cited records become records of the partner's source, tied to the bundle's manifest
hash, so a later proof shows the partner's assessment with the bundle behind it."""

from __future__ import annotations

import hashlib
import shutil

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main
from engine.diagnostics import WarrantError

from bundle_case import make_partner_world


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_partner_world(tmp_path_factory.mktemp("partner"))


def _import(world, tmp_path, bundle, trust="trust.json", *extra):
    db = tmp_path / "ours.db"
    args = ["import", "bundle", str(bundle), str(world / "ours.rules"), "--db", str(db), "--conclusion-as",
            "partner_finding", "--classification", "SECRET", "--releasability", "REL TO UK", *extra]
    if trust:
        args += ["--trust", str(world / trust)]
    return CliRunner().invoke(main, args), db


def test_a_trusted_bundle_becomes_evidence_behind_a_later_proof(world, tmp_path):
    result, db = _import(world, tmp_path, world / "signed")
    assert result.exit_code == 0, result.output
    assert result.output.startswith('frozen("B") as issued by FR-DGT (key sha256:')
    assert "  owns: 3\n" in result.output and "  partner_finding: 1\n" in result.output
    program = api.load_rulebook(world / "ours.rules")
    manifest = hashlib.sha256((world / "signed" / "manifest.json").read_bytes()).hexdigest()
    with api.Case.open(db) as case:
        run = case.run(program).run_id
        proof = case.why('corroborated("B")', run)
        leaf = next(n for n in proof.nodes.values() if n.kind == "evidence")
        assert leaf.args == ["B", "FR-DGT"] and leaf.source == "partner:FR-DGT"
        assert leaf.source_name == "FR-DGT: a partner state's assessment (signed bundle)"
        assert leaf.document.startswith(f"bundle manifest sha256:{manifest}, signed by FR-DGT (sha256:")
        assert leaf.grade == "B2" and leaf.source_kind == "partner-state"
        entry = [e for e in case.audit_entries() if e.action == "evidence.import_bundle"][-1]
        assert entry.details["manifest_sha256"] == manifest and entry.details["agency"] == "FR-DGT"
        assert case.conn.execute("SELECT classification, releasability FROM sources WHERE id = 'partner:FR-DGT'"
                                 ).fetchone() == ("SECRET", "REL TO UK")
        case.add_principal("liaison", "user", "OFFICIAL", "UK")
    with api.Case.open(db, as_principal="liaison") as case:
        text = api.proof_api.render(case.why('corroborated("B")', run), "text")
    assert "withheld" in text.splitlines()[0] and "FR-DGT" not in text


@pytest.mark.parametrize("how, said", [
    ("no trust store", "no trust store was given"),
    ("unknown signer", "not valid as issued"),
    ("unsigned", "the bundle is not signed"),
    ("tampered", "its SHA-256 differs from the manifest"),
])
def test_anything_but_a_trusted_intact_bundle_is_refused_and_nothing_is_loaded(world, tmp_path, how, said):
    bundle = shutil.copytree(world / "signed", tmp_path / "bundle")
    trust = {"no trust store": None, "unknown signer": "other.json"}.get(how, "trust.json")
    if how == "unsigned":
        (bundle / "manifest.sig").unlink()
    if how == "tampered":
        (bundle / "proof.json").write_text((bundle / "proof.json").read_text().replace('"B"', '"C"'))
    result, db = _import(world, tmp_path, bundle, trust)
    assert result.exit_code == 2 and said in result.output and "[A002]" in result.output, result.output
    try:
        case = api.Case.open(db, create=False)
    except WarrantError as refused:  # the import was refused before it made the case
        assert [d.code for d in refused.diagnostics] == ["S004"]
    else:
        with case:
            assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone()[0] == 0


def test_only_the_owner_takes_evidence_in(world, tmp_path):
    with api.Case.open(tmp_path / "c.db") as case:
        case.add_principal("liaison", "user", "OFFICIAL", "UK")
    with api.Case.open(tmp_path / "c.db", as_principal="liaison") as case, pytest.raises(WarrantError, match="owner"):
        case.import_bundle(world / "signed", api.load_rulebook(world / "ours.rules"), None)
