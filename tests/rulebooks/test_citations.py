"""The shipped rulebooks cite the provisions that say what their rules do, and state the criteria they apply
in full (issue 14's legal review).

Citations and explanations are text, so the rulebooks' own examples cannot test them; these tests hold the
corrections: no rulebook cites a provision the review found to be about something else, each corrected
rule cites the provision that does apply, and its explanation keeps the conditions the instrument sets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.syntax.program import load_program

RULEBOOKS = Path(__file__).resolve().parents[2] / "rulebooks"

# provision as miscited -> what it is in fact
MISCITED = {
    r"501\.807": "31 CFR 501.807 is the procedure for delisting, not the blocking of listed persons",
    r"501\.201": "31 CFR 501.201 does not exist: each programme's prohibitions are its own 5xx.201",
    r"5xx\.411": "the codified 50% rule is each programme's 5xx.406 (for example 31 CFR 587.406)",
    r"Schedule 1, paragraphs? 5\b": "Schedule 1 paragraph 5 of the SAMLA regulations defines voting rights, not indirect holdings",
}

# rule id -> provisions its citation must name
REQUIRED = {
    "ofac.sdn": ["5xx.201"],
    "ofac.50": ["5xx.406"],
    "scr.prohibited": ["5xx.201"],
    "uk.hold.indirect": ["Schedule 1, paragraph 7"],
    "ofac.caution.stake": ["house threshold caution_stake = 25%", "house policy"],
}

# rule id -> words of the instrument its explanation must keep
EXPLAINED = {
    "eu.criterion.b": ["who have held office during the present and previous financial year"],
    "uk.means.appointed": ["who have held office during the present and previous financial year"],
}


def _citations() -> dict[str, list[tuple[str, str]]]:
    """Every rulebook's citations: (what cites, the text), rules and `implements` lines alike."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(RULEBOOKS.glob("*.rules")):
        program, diags, _ = load_program(path)
        assert program is not None and not diags
        book = program.root
        texts = [(f"implements {i}", text) for i, text in enumerate(book.implements)]
        texts += [(f"rule {r.id}", r.citation) for r in book.rules]
        texts += [(f"fact {f.atom.predicate}", f.citation) for f in book.facts]
        found[path.name] = texts
    return found


CITATIONS = _citations()


@pytest.mark.parametrize("name", sorted(CITATIONS))
def test_no_rulebook_cites_a_provision_about_something_else(name):
    wrong = [f"{where}: {meaning}" for where, text in CITATIONS[name]
             for pattern, meaning in MISCITED.items() if re.search(pattern, text)]
    assert not wrong, wrong


@pytest.mark.parametrize("rule", sorted(REQUIRED))
def test_corrected_rules_cite_the_provision_that_applies(rule):
    texts = [text for cited in CITATIONS.values() for where, text in cited if where == f"rule {rule}"]
    assert len(texts) == 1, f"rule {rule} is not in exactly one shipped rulebook"
    missing = [p for p in REQUIRED[rule] if p not in texts[0]]
    assert not missing, f"{rule} cites {texts[0]!r}, without {missing}"


@pytest.mark.parametrize("rule", sorted(EXPLAINED))
def test_explanations_keep_the_conditions_of_the_criterion(rule):
    found = [r.explanation for path in sorted(RULEBOOKS.glob("*.rules"))
             for r in load_program(path)[0].root.rules if r.id == rule]
    assert len(found) == 1, f"rule {rule} is not in exactly one shipped rulebook"
    missing = [words for words in EXPLAINED[rule] if words not in found[0]]
    assert not missing, f"{rule} explains {found[0]!r}, without {missing}"
