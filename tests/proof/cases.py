"""The small fixed case used by the golden files and the why-not tests."""

from .harness import load_rules, make_case

REUTERS = {"source": "reuters-2026-03", "source_name": "Reuters", "source_kind": "press", "reliability": "C",
           "credibility": 3, "document": "https://example.org/x-sanctioned", "observed": "2026-03-02",
           "valid_from": "2026-03-02", "recorded_at": "2026-03-03"}
REGISTRY = {"source": "companies-house", "source_name": "Companies register", "source_kind": "registry",
            "reliability": "B", "credibility": 2, "jurisdiction": "GB", "document": "filing-2026-0117.pdf",
            "observed": "2026-01-17", "valid_from": "2026-01-17", "recorded_at": "2026-01-20"}

FAQ401 = {
    "listed": [("X", "SDN"), (("X", "SDN"), REUTERS), ("Y", "SDN")],
    "owns": [(("X", "A", 25), REGISTRY), (("Y", "A", 25), REGISTRY), (("A", "B", 50), REGISTRY),
             (("X", "C", 25), REGISTRY), (("Y", "C", 15), REGISTRY), (("Z", "C", 30), REGISTRY)],
    "licensed": [(("B", "GL-13"), {"source": "ofac-licences", "source_name": "OFAC licence register"})],
}


def faq401():
    program = load_rules("faq401.rules")
    conn, run_id = make_case(program, FAQ401)
    return program, conn, run_id
