"""warrant view-bundle: a reviewer with a bundle and no case file reads its proof (court or analyst view, with
the bundle's names), only after the bundle verifies."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from bundle_case import reseal  # noqa: E402
from test_bundle_names import named_bundle  # noqa: E402,F401  (the fixture)


def _view(*args):
    return CliRunner().invoke(main, ["view-bundle", *map(str, args)])


def test_the_court_view_of_a_bundle_names_the_entities(named_bundle):
    out = _view(named_bundle, "--court")
    assert out.exit_code == 0, out.output
    assert "Borealis Trading <Ltd>" in out.output
    assert "Exhibits" in out.output and "round" not in out.output


def test_the_analyst_view_keeps_every_detail_with_names(named_bundle):
    out = _view(named_bundle)
    assert out.exit_code == 0, out.output
    assert 'frozen("co:borealis-trading") [Borealis Trading <Ltd> (co:borealis-trading)]' in out.output
    assert "round" in out.output


def test_the_court_exhibit_is_written_from_the_bundle(named_bundle, tmp_path):
    pdf = tmp_path / "exhibit.pdf"
    out = _view(named_bundle, "--court", "--format", "pdf", "-o", pdf)
    assert out.exit_code == 0, out.output
    assert pdf.read_bytes().startswith(b"%PDF")
    assert _view(named_bundle, "--court", "--format", "pdf").exit_code == 2


def test_json_is_the_proof_itself(named_bundle):
    out = _view(named_bundle, "--format", "json")
    assert json.loads(out.output) == json.loads((named_bundle / "proof.json").read_text())


def test_a_bundle_that_does_not_verify_is_not_shown(named_bundle, tmp_path):
    bundle = Path(shutil.copytree(named_bundle, tmp_path / "bundle"))
    proof = json.loads((bundle / "proof.json").read_text())
    proof["atom"] = proof["atom"].replace("borealis", "other")
    (bundle / "proof.json").write_text(json.dumps(proof))
    reseal(bundle, "proof.json")
    out = _view(bundle, "--court")
    assert out.exit_code == 1
    assert "Borealis" not in out.stdout and "Exhibits" not in out.stdout


def test_an_unsigned_bundle_is_not_shown_when_a_trust_store_is_given(named_bundle, tmp_path):
    store = tmp_path / "trust"
    store.mkdir()
    out = _view(named_bundle, "--court", "--trust", store)
    assert out.exit_code == 1, out.output
    assert "Exhibits" not in out.stdout
