"""The court view of a proof for a reader not cleared for every record: a withheld node shows as its
statement, never its content, in every court format (the sum says only what may be said of it)."""

from __future__ import annotations

import shutil

import pytest

from engine import api

from redaction_case import SECRETS, make_case


@pytest.fixture(scope="module")
def liaison_proof(tmp_path_factory):
    root = tmp_path_factory.mktemp("court-redaction")
    make_case(root)
    with api.Case.open(root / "case.db", as_principal="liaison") as case:
        proof = case.why('frozen("A")')
        formats = ["text", "md", "html", "dot"] + (["svg"] if shutil.which("dot") else [])
        yield proof, {fmt: case.court(proof, fmt) for fmt in formats}


def test_withheld_parts_show_their_statement_and_nothing_else(liaison_proof):
    proof, shown = liaison_proof
    withheld = [n for n in proof.nodes.values() if n.kind == "withheld"]
    assert withheld
    for fmt, out in shown.items():
        assert not [s for s in SECRETS if s in out], fmt
    text = shown["text"]
    assert text.splitlines()[2].startswith("frozen: A rests in part on evidence withheld from you")
    assert "withheld" in text and "plus withheld" in text
    flat = " ".join(text.split())
    assert all(" ".join(n.statement.split()) in flat for n in withheld)
