"""A small case with a secret partner source: blocked("A") rests on X's visible 30% and Y's secret 25%."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from engine import api

from bundle_case import RULES as BUNDLE_RULES

RULES = BUNDLE_RULES  # frozen(P) if blocked(P) and not licence(_, P); blocked by listing or by 50% owned
MANIFEST = {"sources": [{"id": "registry", "name": "Companies registry", "kind": "registry", "reliability": "A",
                         "classification": "OFFICIAL"},
                        {"id": "fiu", "name": "Partner FIU Zeta", "kind": "partner-state", "reliability": "B",
                         "classification": "SECRET", "releasability": "REL TO UK"}],
            "files": {"listed.csv": {"source": "registry", "credibility": 1},
                      "owns.csv": {"source": "registry", "credibility": 2, "document": "filing"}}}
BLOCKED_STAKE = '''
derived blocked_stake(party: entity, total: percent) "the stake blocked owners hold"
rule S1 "Blocked stake" cites "OFAC guidance":
  blocked_stake(E, T) if T = sum(Pct for owns(O, E, Pct) and blocked(O)).
  because "blocked owners hold {T}% of {E}".
'''  # a sum with a stake of a blocked owner, carried into a derived fact's argument
SECRETS = ["co:yarrow-holdings", "Partner FIU Zeta", "fiu-note-77", '"fiu"']


def make_case(root: Path) -> str:
    """case.db with the run, and the principals: owner (implicit), analyst (SECRET UK), liaison (OFFICIAL UK)."""
    (root / "screen.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list,_source,_document\nX,SDN,registry,\n"
                                      "co:yarrow-holdings,SDN,fiu,fiu-note-77\n")
    (facts / "owns.csv").write_text("owner,owned,percent,_source\nX,A,30,registry\nco:yarrow-holdings,A,25,fiu\n")
    (facts / "manifest.json").write_text(json.dumps(MANIFEST, indent=2))
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db", create=True) as case:
        case.load(program, facts)
        run = case.run(program).run_id
        case.add_principal("analyst", "user", "SECRET", "UK")
        case.add_principal("liaison", "user", "OFFICIAL", "UK")
    return run


def exported(case_dir: Path, who: str, atom: str, dest: Path) -> tuple[dict, dict, list]:
    """`atom`'s bundle as `who` gets it: the proof, the rulebook texts and the evidence records, as JSON."""
    with api.Case.open(case_dir / "case.db", as_principal=who) as case:
        case.export(atom, dest)
    books = {p.name: p.read_text() for p in sorted((dest / "rulebooks").iterdir())}
    return json.loads((dest / "proof.json").read_text()), books, json.loads((dest / "evidence.json").read_text())


def shown_numbers(text: str) -> set[str]:
    """The numbers a rendering shows, not counting dates and times nor a drawing's geometry."""
    text = re.sub(r'\s(?:x|y|d|points|width|height|viewBox|transform|cx|cy|rx|ry|font-size|stroke-width|[xy][12])="[^"]*"',
                  " ", text)
    text = re.sub(r"\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:\d\d)?)?", " ", html.unescape(text))
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\w)", text))
