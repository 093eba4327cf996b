"""A small case with graded sources, two runs and an exported bundle, and the forger's tools."""

from __future__ import annotations

import hashlib
import json
import shutil
import textwrap
from pathlib import Path

from engine import api

RULES = textwrap.dedent('''\
    rulebook screen "Screening" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    evidence licence(licence_id: text, party: entity) "a licence"
    derived blocked(party: entity) "blocked"
    conclusion frozen(party: entity) "assets frozen"
    threshold ownership_threshold = 50
    rule R1 "Listed" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    rule R2 "Owned" cites "OFAC guidance":
      blocked(E) if T = sum(Pct for owns(O, E, Pct) and blocked(O)) and T >= ownership_threshold.
      because "{E} is owned {T}%".
    rule F1 "Blocked and unlicensed" cites "31 CFR 501.801(b)":
      frozen(P) if blocked(P) and not licence(_, P).
      because "{P} is blocked and holds no licence".
    ''')
SOURCES = {"sources": [{"id": "ofac", "name": "OFAC SDN list", "kind": "sanctions-list", "jurisdiction": "US",
                        "reliability": "A"}],
           "files": {"listed.csv": {"source": "ofac", "credibility": 1, "document": "sdn.xml"},
                     "owns.csv": {"source": "ofac", "credibility": 2, "document": "filing.pdf"},
                     "licence.csv": {"source": "ofac", "credibility": 1, "document": "gl.pdf"}}}


def make_case(root: Path) -> dict:
    """case.db with run 1 (as of 2001-01-01: no evidence yet, nothing concluded) and run 2 (today),
    and the bundle of frozen("B") from run 2; returns the run ids."""
    (root / "screen.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nX,SDN\nY,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,30\nY,A,20\nA,B,60\n")
    (facts / "licence.csv").write_text("licence_id,party\nGL-8,Y\n")
    (facts / "manifest.json").write_text(json.dumps(SOURCES))
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db", create=True) as case:
        case.load(program, facts)
        empty = case.run(program, as_of="2001-01-01").run_id
        full = case.run(program).run_id
        case.export('frozen("B")', root / "bundle", full)
    return {"empty": empty, "full": full}


PARTNER_RULES = textwrap.dedent('''\
    rulebook ours "Our screening" version "1"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    evidence partner_finding(party: entity, agency: text) "a partner state's finding"
    conclusion corroborated(party: entity) "corroborated by a partner state's assessment"
    rule C1 "Corroborated by a partner" cites "MoU art. 4":
      corroborated(P) if partner_finding(P, A).
      because "{P} is found frozen by {A}, a partner state".
    ''')


def make_partner_world(root: Path) -> Path:
    """What `warrant import bundle` takes, in `root`: a partner's case (partner/), its bundle of frozen("B")
    signed by FR-DGT (signed/), a trust store naming FR-DGT (trust.json) and one naming another agency
    (other.json), and the receiving case's rulebook (ours.rules, whose partner_finding takes the conclusion)."""
    from engine.audit.keys import init_keys

    (root / "partner").mkdir()
    runs = make_case(root / "partner")
    dgt, other = init_keys("FR-DGT", root / "dgt"), init_keys("DE-BAFA", root / "bafa")
    (root / "trust.json").write_text(dgt.entry.to_json())
    (root / "other.json").write_text(other.entry.to_json())
    with api.Case.open(root / "partner" / "case.db", create=False) as case:
        case.export('frozen("B")', root / "signed", runs["full"], key=dgt)
    (root / "ours.rules").write_text(PARTNER_RULES)
    return root


def fresh_bundle(case_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(case_dir / "bundle", tmp_path / "bundle"))


def reseal(bundle: Path, name: str) -> None:
    """Re-hash one file into the manifest, as a forger would."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256((bundle / name).read_bytes()).hexdigest()
    (bundle / "manifest.json").write_text(json.dumps(manifest))


def edit_json(bundle: Path, name: str, change) -> None:
    path = bundle / name
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    reseal(bundle, name)


def nodes_of(proof: dict, kind: str) -> list[dict]:
    return [n for n in proof["nodes"].values() if n["kind"] == kind]
