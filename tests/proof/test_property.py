"""Every proof the builder returns checks out against the stored run, on generated ownership graphs."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.proof import facts, why

from .checks import check_proof
from .harness import load_rules, make_case, provider

PROGRAM = load_rules("faq401.rules")
NAMES = ["A", "B", "C", "D", "E", "F"]


@st.composite
def ownership(draw):
    n = draw(st.integers(3, 6))
    names = NAMES[:n]
    listed = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
    edges = draw(st.lists(st.tuples(st.sampled_from(names), st.sampled_from(names),
                                    st.sampled_from([10, 20, 25, 30, 50, 60])), max_size=10, unique_by=lambda e: e[:2]))
    licensed = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    press = draw(st.lists(st.sampled_from(listed), max_size=2, unique=True))
    return {
        "listed": [(p, "SDN") for p in listed] + [((p, "SDN"), {"source": "press", "source_kind": "press",
                                                                 "reliability": "C", "credibility": 3}) for p in press],
        "owns": [e for e in edges if e[0] != e[1]],
        "licensed": [(p, "GL-1") for p in licensed],
    }


@settings(max_examples=50, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ownership())
def test_every_proof_checks_out(data):
    conn, run = make_case(PROGRAM, data)
    for pred in ("blocked", "prohibited", "official_listing"):
        for atom in facts(conn, PROGRAM, run, pred):
            check_proof(conn, PROGRAM, why(conn, PROGRAM, run, atom, provider))


def test_two_hundred_node_proof(tmp_path):
    """A fan-in case big enough for 200 nodes: it checks out and renders; the PNG is kept in docs/images."""
    import os
    from pathlib import Path

    from engine.proof import render

    from .big import fan_in

    conn, run = make_case(PROGRAM, fan_in())
    proof = why(conn, PROGRAM, run, 'blocked("H")', provider)
    assert len(proof.nodes) >= 200
    check_proof(conn, PROGRAM, proof)
    png = render(proof, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    target = Path(__file__).resolve().parents[2] / "docs" / "images" / "proof-200.png"
    if os.environ.get("WARRANT_UPDATE_GOLDEN") == "1" or not target.exists():
        target.write_bytes(png)
