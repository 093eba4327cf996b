"""Signed bundles (issue 16): agency keys, manifest.sig, and verify-proof --trust naming the issuer. Each
tampering of a signed bundle is caught with a message that says what happened."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.audit.bundle import verify_bundle
from engine.audit.keys import init_keys, load_key, load_trust
from engine.audit.signing import sign_bundle
from engine.cli import main

from bundle_case import edit_json, make_case, reseal


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A case, UK-OFSI's key, a forger's key claiming the name UK-OFSI, FR-DGT's key, a trust store holding
    UK-OFSI's and a bundle of frozen("B") signed by UK-OFSI."""
    root = tmp_path_factory.mktemp("signing")
    runs = make_case(root)
    ofsi, forger, dgt = (init_keys(name, root / folder) for name, folder in
                         (("UK-OFSI", "ofsi"), ("UK-OFSI", "forger"), ("FR-DGT", "dgt")))
    (root / "trust.json").write_text(ofsi.entry.to_json())
    with api.Case.open(root / "case.db", create=False) as case:
        case.export('frozen("B")', root / "signed", runs["full"], key=ofsi)
    return {"root": root, "ofsi": ofsi, "forger": forger, "dgt": dgt, "run": runs["full"]}


@pytest.fixture
def signed(world, tmp_path) -> Path:
    return Path(shutil.copytree(world["root"] / "signed", tmp_path / "signed"))


@pytest.fixture
def trust(world):
    return load_trust(world["root"] / "trust.json")


def cli(*args, env=None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def test_an_intact_signed_bundle_is_valid_as_issued_by_its_agency(world, signed):
    code, out, _ = cli("verify-proof", signed, "--trust", world["root"] / "trust.json")
    assert code == 0, out
    first = out.splitlines()[0]
    assert first.startswith(f'valid: frozen("B") as issued by UK-OFSI, run {world["run"]}, assessed as of ')
    assert "on the evidence recorded up to" in first
    code, out, _ = cli("verify-proof", signed, "--trust", world["root"] / "trust.json", "--json")
    data = json.loads(out)
    assert code == 0 and data["issued"] == "trusted" and data["issuer"]["agency"] == "UK-OFSI"
    assert data["issuer"]["fingerprint"] == world["ofsi"].entry.fingerprint


def test_the_trust_store_may_be_a_folder_or_come_from_the_environment(world, signed):
    folder = world["root"] / "store"
    folder.mkdir(exist_ok=True)
    (folder / "uk-ofsi.json").write_text(world["ofsi"].entry.to_json())
    (folder / "fr-dgt.json").write_text(world["dgt"].entry.to_json())
    assert cli("verify-proof", signed, "--trust", folder)[0] == 0
    code, out, _ = cli("verify-proof", signed, env={"WARRANT_TRUST": str(folder)})
    assert code == 0 and "as issued by UK-OFSI" in out


def test_without_a_trust_store_the_signer_is_named_but_not_vouched_for(signed):
    code, out, _ = cli("verify-proof", signed)
    assert code == 0
    assert "as signed in the name of UK-OFSI" in out and "not checked: no trust store given" in out


def test_an_edited_manifest_breaks_the_signature(signed, trust):
    manifest = signed / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"rulebooks": [', '"rulebooks":['))
    verdict = verify_bundle(signed, trust=trust)
    assert not verdict.valid and verdict.step == "manifest.sig"
    assert verdict.reason == ("manifest.json was changed after UK-OFSI signed it: its SHA-256 is not the one "
                              "manifest.sig signs")


def test_an_edited_proof_is_caught_with_and_without_resealing_the_manifest(signed, trust):
    proof = signed / "proof.json"
    proof.write_text(proof.read_text().replace('"frozen(\\"B\\")"', '"frozen(\\"C\\")"', 1))
    verdict = verify_bundle(signed, trust=trust)
    assert (verdict.valid, verdict.step) == (False, "proof.json")
    assert verdict.reason == "its SHA-256 differs from the manifest: the file was changed"
    reseal(signed, "proof.json")
    verdict = verify_bundle(signed, trust=trust)
    assert (verdict.valid, verdict.step) == (False, "manifest.sig")
    assert "manifest.json was changed after UK-OFSI signed it" in verdict.reason


def test_edited_evidence_is_caught(signed, trust):
    def raise_stake(records):
        next(r for r in records if r["predicate"] == "owns")["args"][2] = 90
    edit_json(signed, "evidence.json", raise_stake)
    verdict = verify_bundle(signed, trust=trust)
    assert (verdict.valid, verdict.step) == (False, "manifest.sig")
    assert "manifest.json was changed after UK-OFSI signed it" in verdict.reason


def test_an_edited_graph_is_caught_with_and_without_resealing(signed, trust):
    svg = signed / "proof.svg"
    svg.write_text(svg.read_text().replace("60", "90"))
    verdict = verify_bundle(signed, trust=trust)
    assert (verdict.valid, verdict.step, verdict.reason) == (
        False, "proof.svg", "its SHA-256 differs from the manifest: the file was changed")
    reseal(signed, "proof.svg")
    verdict = verify_bundle(signed, trust=trust)
    assert (verdict.valid, verdict.step) == (False, "manifest.sig")
    assert "manifest.json was changed after UK-OFSI signed it" in str(verdict)


def test_edited_signature_bytes_are_caught(signed, trust):
    sig = json.loads((signed / "manifest.sig").read_text())
    raw = bytearray(base64.b64decode(sig["signature"]))
    raw[5] ^= 1
    sig["signature"] = base64.b64encode(bytes(raw)).decode()
    (signed / "manifest.sig").write_text(json.dumps(sig))
    verdict = verify_bundle(signed, trust=trust)
    assert (verdict.valid, verdict.step) == (False, "manifest.sig")
    assert verdict.reason.startswith("the signature of the bundle's manifest does not verify with the key it names "
                                     "(UK-OFSI, sha256:")
    code, out, _ = cli("verify-proof", signed)  # caught without a trust store too
    assert code == 1 and out.startswith("invalid: manifest.sig: the signature of the bundle's manifest does not verify")


def test_a_signature_relabelled_with_another_agency_does_not_verify(signed, trust):
    sig = json.loads((signed / "manifest.sig").read_text())
    sig["agency"] = "FR-DGT"
    (signed / "manifest.sig").write_text(json.dumps(sig))
    verdict = verify_bundle(signed, trust=trust)
    assert not verdict.valid and "does not verify with the key it names (FR-DGT" in verdict.reason


def test_a_key_swap_is_not_valid_as_issued(world, signed, trust):
    """A forger edits the picture, reseals the manifest and signs it with their own key, claiming UK-OFSI."""
    svg = signed / "proof.svg"
    svg.write_text(svg.read_text().replace("60", "90"))
    reseal(signed, "proof.svg")
    sign_bundle(signed, world["forger"])
    verdict = verify_bundle(signed, trust=trust)
    assert not verdict.valid and verdict.issued == "swapped"
    ours, theirs = world["ofsi"].entry.fingerprint[:23], world["forger"].entry.fingerprint[:23]
    code, out, _ = cli("verify-proof", signed, "--trust", world["root"] / "trust.json")
    assert code == 1
    assert out.startswith(f"not valid as issued: the bundle's manifest is signed in the name of UK-OFSI with key "
                          f"{theirs}, but the trust store's key for UK-OFSI is {ours}: another key signed it")
    assert "proof.svg differs from this machine's drawing of the verified proof" in out


def test_an_unknown_issuer_is_not_valid_as_issued(world, signed, trust):
    sign_bundle(signed, world["dgt"])
    code, out, _ = cli("verify-proof", signed, "--trust", world["root"] / "trust.json")
    assert code == 1
    assert out.startswith("not valid as issued: the bundle's manifest is signed by FR-DGT (key sha256:")
    assert "an agency the trust store" in out and "does not know" in out
    assert 'its content checks: frozen("B")' in out


def test_an_unsigned_bundle_given_a_trust_store_says_it_is_not_signed(world):
    code, out, _ = cli("verify-proof", world["root"] / "bundle", "--trust", world["root"] / "trust.json")
    assert code == 1 and out.startswith("not valid as issued: the bundle is not signed (it has no manifest.sig)")
    code, out, _ = cli("verify-proof", world["root"] / "bundle")
    assert code == 0 and out.splitlines()[0] == "valid"


def test_a_re_export_without_signing_leaves_no_stale_signature(world, tmp_path):
    out = tmp_path / "b"
    with api.Case.open(world["root"] / "case.db", create=False) as case:
        case.export('frozen("B")', out, world["run"], key=world["ofsi"])
        case.export('frozen("B")', out, world["run"])
    assert not (out / "manifest.sig").exists()


def test_keys_init_makes_a_private_key_only_its_owner_reads_and_never_overwrites_it(tmp_path):
    code, out, _ = cli("keys", "init", "--agency", "UK-OFSI", "--keys", tmp_path / "k")
    assert code == 0 and "UK-OFSI" in out
    assert stat.S_IMODE(os.stat(tmp_path / "k" / "signing-key.pem").st_mode) == 0o600
    before = (tmp_path / "k" / "signing-key.pem").read_bytes()
    code, _, err = cli("keys", "init", "--agency", "UK-OFSI", "--keys", tmp_path / "k")
    assert code == 2 and "an agency key already exists here; it is not overwritten [K001]" in err
    assert (tmp_path / "k" / "signing-key.pem").read_bytes() == before
    code, out, _ = cli("keys", "export", env={"WARRANT_KEYS": str(tmp_path / "k")})
    assert code == 0 and json.loads(out) == load_key(tmp_path / "k").entry.model_dump()


def test_the_default_key_folder_is_in_the_users_config_folder(tmp_path):
    env = {"WARRANT_KEYS": None, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    assert cli("keys", "init", "--agency", "FR-DGT", env=env)[0] == 0
    assert (tmp_path / "config" / "warrant" / "keys" / "public.json").is_file()


def test_key_and_trust_store_problems_are_bad_input_saying_what_to_do(world, tmp_path):
    code, _, err = cli("export", 'frozen("B")', "-o", tmp_path / "b", "--sign", "--keys", tmp_path / "none",
                       "--db", world["root"] / "case.db")
    assert code == 2 and "no agency key in this folder [K002]" in err
    assert f"warrant keys init --agency NAME --keys {tmp_path / 'none'}" in err
    assert cli("keys", "init", "--agency", "UK OFSI/../x", "--keys", tmp_path / "k")[0] == 2
    code, _, err = cli("verify-proof", world["root"] / "signed", "--trust", tmp_path / "nowhere.json")
    assert code == 2 and "no trust store here [K005]" in err
    entry = json.loads(world["ofsi"].entry.to_json())
    entry["fingerprint"] = "sha256:" + "0" * 64
    (tmp_path / "bad.json").write_text(json.dumps(entry))
    code, _, err = cli("verify-proof", world["root"] / "signed", "--trust", tmp_path / "bad.json")
    assert code == 2 and "not a trust-store entry" in err and "fingerprint is not the SHA-256" in err
