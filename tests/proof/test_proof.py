"""Proof building, renderers (golden files), schema, SVG and the why-not answers on the FAQ 401 case.

Update the golden files with WARRANT_UPDATE_GOLDEN=1 pytest tests/proof.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.proof import Limits, ProofError, render, why, whynot
from engine.proof.model import schema_text

from .cases import faq401
from .checks import check_proof
from .harness import provider

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden" / "proof"
UPDATE = os.environ.get("WARRANT_UPDATE_GOLDEN") == "1"


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden {path}; run with WARRANT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"


@pytest.fixture(scope="module")
def case():
    return faq401()


def test_proof_of_prohibited_a(case):
    program, conn, run = case
    proof = why(conn, program, run, 'prohibited("A")', provider)
    check_proof(conn, program, proof)
    kinds = {n.kind for n in proof.nodes.values()}
    assert kinds == {"fact", "derivation", "evidence", "absence", "aggregate"}
    # blocked("X") rests on two sources: two leaves
    x = next(n for n in proof.nodes.values() if n.kind == "derivation" and n.binding == {"P": "X"})
    assert [proof.nodes[k].grade for k in x.children] == ["A1", "C3"]


@pytest.mark.parametrize("fmt", ["text", "json", "dot", "md", "html"])
def test_golden_renderers(case, fmt):
    program, conn, run = case
    proof = why(conn, program, run, 'prohibited("A")', provider)
    golden(f"prohibited_A.{fmt}", render(proof, fmt))


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_golden_metadata_rule(case, fmt):
    program, conn, run = case
    proof = why(conn, program, run, 'official_listing("X", "OFAC SDN list")', provider)
    check_proof(conn, program, proof)
    golden(f"official_listing_X.{fmt}", render(proof, fmt))


@pytest.mark.parametrize("fmt", ["text", "json", "md", "html", "dot"])
def test_golden_whynot(case, fmt):
    program, conn, run = case
    golden(f"whynot_blocked_C.{fmt}", render(whynot(conn, program, run, 'blocked("C")', provider), fmt))


def test_byte_identical_across_runs():
    outs = []
    for _ in range(2):
        program, conn, run = faq401()
        proof = why(conn, program, run, 'prohibited("A")', provider)
        outs.append([render(proof, f) for f in ("text", "json", "dot", "md", "html")])
    assert outs[0] == outs[1]


def test_json_round_trips(case):
    from engine.proof import Proof
    program, conn, run = case
    proof = why(conn, program, run, 'blocked("B")', provider)
    again = Proof.model_validate(json.loads(render(proof, "json")))
    assert again == proof


def test_schema_file_is_current():
    path = ROOT / "docs" / "proof-schema.json"
    if UPDATE:
        path.write_text(schema_text(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == schema_text(), "docs/proof-schema.json is stale"


def test_svg_names_every_rule_and_record(case):
    program, conn, run = case
    proof = why(conn, program, run, 'prohibited("A")', provider)
    svg = render(proof, "svg")
    tree = ET.fromstring(svg)
    text = " ".join(filter(None, (t for el in tree.iter() for t in [el.text, *el.attrib.values()])))
    for n in proof.nodes.values():
        if n.kind == "derivation":
            assert n.rule in text
        if n.kind == "evidence":
            assert n.record in text


def test_html_escapes_everything(case):
    program, conn, run = case
    proof = why(conn, program, run, 'blocked("A")', provider)
    page = render(proof, "html")
    assert "<script" not in page and 'blocked("A")' not in page and "blocked(&quot;A&quot;)" in page
    assert "http" not in page.split("<body>")[0]  # self-contained: no external stylesheet


def test_limits_mark_what_is_cut(case):
    program, conn, run = case
    proof = why(conn, program, run, 'prohibited("A")', provider, limits=Limits(max_depth=1))
    marks = [n for n in proof.nodes.values() if n.kind == "omitted"]
    assert marks and all(m.message.startswith("deeper proof not shown") for m in marks)
    assert "deeper proof not shown" in render(proof, "text")


def test_width_limit():
    from .harness import make_case, program_from_text
    program = program_from_text('''rulebook w "W" version "1"
evidence listed(party: entity, list: text)
conclusion flagged(party: entity)
rule F1 "Any list" cites "policy 1":
  flagged(P) if listed(P, L).
  because "{P} is on {L}".
''')
    conn, run = make_case(program, {"listed": [("P", "EU"), ("P", "SDN"), ("P", "UK"), ("P", "UN")]})
    proof = why(conn, program, run, 'flagged("P")', provider, limits=Limits(max_derivations=2))
    fact = proof.nodes[proof.root]
    assert len(fact.derivations) == 3
    last = proof.nodes[fact.derivations[-1]]
    assert last.kind == "omitted" and last.message == "2 more derivations not shown"
    assert [proof.nodes[d].binding["L"] for d in fact.derivations[:2]] == ["EU", "SDN"]


def test_not_holding_is_an_error(case):
    program, conn, run = case
    with pytest.raises(ProofError, match="does not hold.*whynot"):
        why(conn, program, run, 'blocked("C")', provider)


def test_whynot_forty_percent(case):
    program, conn, run = case
    w = whynot(conn, program, run, 'blocked("C")', provider)
    assert not w.holds
    r2 = next(a for a in w.attempts if a.rule == "R2")
    assert r2.summary.startswith("R2 needs at least 50 (ownership_threshold) from sum(Pct for owns(O, E, Pct) "
                                 "and blocked(O)); it comes to 40: X 25, Y 15")
    assert "not counted: Z 30 (blocked(\"Z\") does not hold)" in r2.summary
    (f,) = r2.failures
    assert [s.atom for s in f.subgoals] == ['blocked("Z")']
    r1 = next(a for a in w.attempts if a.rule == "R1")
    assert 'listed("C", "SDN")' in r1.summary


def test_whynot_negation_and_metadata(case):
    program, conn, run = case
    w = whynot(conn, program, run, 'prohibited("B")', provider)
    assert "R3 needs no licensed(\"B\", _), but 1 record(s) are in force" in w.message
    w = whynot(conn, program, run, 'official_listing("X", "Reuters")', provider)
    assert 'source_name = "Reuters", source_kind = "official"' in w.message


def test_whynot_unknown_entity(case):
    program, conn, run = case
    w = whynot(conn, program, run, 'blocked("Q")', provider)
    assert w.message == 'blocked("Q") does not hold: no evidence mentions "Q"; check the spelling'
    w = whynot(conn, program, run, 'blocked("Yy")', provider)
    assert 'close: "Y"' in w.message


def test_whynot_unknown_predicate_and_arity(case):
    program, conn, run = case
    with pytest.raises(ProofError, match="unknown predicate blocke; did you mean blocked"):
        whynot(conn, program, run, 'blocke("C")', provider)
    with pytest.raises(ProofError, match="blocked takes 1 argument"):
        whynot(conn, program, run, 'blocked("C", 2)', provider)
    with pytest.raises(ProofError, match="cannot read"):
        why(conn, program, run, "blocked(C", provider)


def test_whynot_when_it_holds(case):
    program, conn, run = case
    w = whynot(conn, program, run, 'blocked("A")', provider)
    assert w.holds and "ask why" in w.message


def test_evidence_root_and_unknown_run(case):
    program, conn, run = case
    proof = why(conn, program, run, 'listed("X", "SDN")', provider)
    assert len(proof.nodes[proof.root].evidence) == 2
    with pytest.raises(ProofError, match="no run run-000099"):
        why(conn, program, "run-000099", 'blocked("A")', provider)


def test_a_record_without_a_grade_says_not_graded(case):
    program, conn, run = case
    proof = why(conn, program, run, 'licensed("B", "GL-13")', provider)
    leaf = proof.nodes[proof.root].evidence[0]
    ungraded = proof.model_copy(update={"nodes": {**proof.nodes, leaf: proof.nodes[leaf].model_copy(
        update={"grade": None, "reliability": None, "credibility": None})}})
    dot = render(ungraded, "dot")
    assert "<I>not graded</I>" in dot and "??" not in dot


def test_whynot_stays_the_function_after_its_search_module_loads():
    """`engine.proof.whynot` is the API function whatever was imported before: a submodule of the same name
    once replaced it on the package when it was first imported (the workbench imported it first)."""
    import importlib

    import engine.proof

    importlib.import_module("engine.proof.whynot_search")
    importlib.import_module("engine.workbench.view")
    assert engine.proof.whynot is whynot
    assert whynot.__module__ == "engine.proof.api"
