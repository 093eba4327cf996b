"""Facts and tables a rulebook states itself (`fact`, `table`): they hold in every run, proofs show them as the
rulebook's (with its version and the citation), the independent checker verifies them against the rulebook
text, and why-not says when a fact is not among them."""

from __future__ import annotations

import textwrap

import pytest

from case_files import diagnostics, forged, run_case
from engine import api
from engine.audit.bundle import verify_bundle
from engine.check import check_files
from engine.proof import render
from engine.source import SourceFile
from engine.syntax.parser import parse_text

COMMON = textwrap.dedent('''\
    rulebook lists "Shared lists" version "2024-06"
    table high_risk_flag(flag: text) "a flag of convenience" cites "FATF list, June 2024":
      "Comoros"; "Palau"; "Cameroon".
    ''')

RULES = textwrap.dedent('''\
    rulebook ships "Ship-to-ship transfers" version "1"
    use "common.rules"
    evidence flag(vessel: entity, country: text) "the flag a vessel flies"
    conclusion flagged(vessel: entity) "ship-to-ship risk"
    conclusion watched_flag(flag: text) "a flag the desk watches"
    table weight(flag: text, points: number, since: date) cites "internal weights 2":
      "Comoros", 3, 2024-06-28;
      "Tonga", -1, 2024-01-01.

    fact watched_flag("Tonga"), watched_flag("Palau") cites "desk memo 7".

    rule STS-1 "High-risk or watched flag" cites "internal 1":
      flagged(V) if flag(V, F) and (high_risk_flag(F) or watched_flag(F) and weight(F, P, _) and P < 0).
      because "{V} flies {F}".

    rule STS-2 "Watched because weighted" cites "internal 2":
      watched_flag(F) if weight(F, P, _) and P > 2.
      because "{F} weighs {P}".
    ''')


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("stated")
    (root / "common.rules").write_text(COMMON)
    case, result = run_case(root, RULES, {"flag": "vessel,country\na,Palau\nb,Panama\nc,Tonga\n"},
                            as_of="2024-07-03")
    yield root, case, result
    case.close()


def test_the_rulebooks_check_clean(case):
    assert not diagnostics(case[0])


def test_stated_facts_hold_in_every_run_and_rules_read_them(case):
    _, _, result = case
    assert result.conclusions["flagged"] == [["a"], ["c"]]
    assert result.conclusions["watched_flag"] == [["Comoros"], ["Palau"], ["Tonga"]]


def test_the_proof_shows_the_rulebook_and_its_citation(case):
    _, case, result = case
    proof = case.why('flagged("a")', result.run_id)
    stated = [n for n in proof.nodes.values() if n.kind == "rulebook_fact"]
    assert sorted((n.text, n.rulebook, n.version, n.citation) for n in stated) == [
        ('high_risk_flag("Palau")', "lists", "2024-06", "FATF list, June 2024")]
    fact = next(n for n in proof.nodes.values() if n.kind == "fact" and n.predicate == "high_risk_flag")
    assert (fact.round, fact.role, fact.derivations) == (0, "derived", [stated[0].id])
    assert "stated by the rulebook: lists 2024-06 (cites FATF list, June 2024)" in render(proof, "text")


def test_a_fact_both_stated_and_derived_shows_the_statement(case):
    _, case, result = case
    proof = case.why('watched_flag("Palau")', result.run_id)
    assert [n.citation for n in proof.nodes.values() if n.kind == "rulebook_fact"] == ["desk memo 7"]
    derived = case.why('watched_flag("Comoros")', result.run_id)
    assert [n.rule for n in derived.nodes.values() if n.kind == "derivation"] == ["STS-2"]


def test_whynot_says_the_fact_is_not_among_those_stated(case):
    _, case, result = case
    answer = case.whynot('high_risk_flag("Panama")', result.run_id)
    assert answer.message == ('high_risk_flag("Panama") does not hold: it is not among the 3 fact(s) of '
                              'high_risk_flag the rulebook states (citing FATF list, June 2024)')


def test_the_checker_verifies_a_stated_fact(case, tmp_path):
    _, case, result = case
    case.export('flagged("c")', tmp_path / "b", result.run_id)
    assert verify_bundle(tmp_path / "b").valid


@pytest.mark.parametrize("field, value, reason", [
    ("citation", "FATF list, June 2023", "does not state high_risk_flag(\"Palau\") citing 'FATF list, June 2023'"),
    ("version", "2024-07", "no rulebook lists version 2024-07"),
    ("args", ["Panama"], "the rulebook fact shown is"),
])
def test_a_forged_rulebook_fact_is_rejected(case, tmp_path, field, value, reason):
    _, case, result = case
    case.export('flagged("a")', tmp_path / "b", result.run_id)

    def forge(node):
        if node["kind"] == "rulebook_fact":
            node[field] = value
    assert reason in forged(tmp_path / "b" / "proof.json", forge)


def test_changing_a_table_changes_the_rulebooks_hash():
    before = parse_text(SourceFile("c.rules", COMMON))
    after = parse_text(SourceFile("c.rules", COMMON.replace('"Palau"; ', "")))
    assert len(before.facts) == 3 and len(after.facts) == 2 and before.sha256 != after.sha256
    assert [(d.kind, d.name, d.description) for d in before.declarations] == [
        ("derived", "high_risk_flag", "a flag of convenience")]


@pytest.mark.parametrize("items, code", [
    ('evidence listed(who: entity)\nfact listed("A") cites "x".', "E162"),
    ('derived ok(who: entity)\nfact ok(X) cites "x".', "E163"),
    ('derived ok(who: entity)\nfact ok(_) cites "x".', "E163"),
    ('derived ok(n: number)\nfact ok(1 + 2) cites "x".', "E163"),
    ('derived ok(who: entity)\nfact ok("A") with source = "s" cites "x".', "E163"),
    ('fact unknown("A") cites "x".', "E101"),
    ('table t(a: text, n: number) cites "x":\n  "A", 1; "B".', "E102"),
    ('table t(a: text, n: number) cites "x":\n  "A", "one".', "E201"),
    ('table t(d: date) cites "x":\n  2024-02-30.', "E208"),
])
def test_a_bad_fact_is_located(items, code, tmp_path):
    path = tmp_path / "bad.rules"
    path.write_text(f'rulebook bad "Bad" version "1"\n{items}\n')
    diags, _ = check_files([path])
    assert [d.code for d in diags if d.is_error] == [code]


def test_a_table_with_no_rule_concluding_it_is_no_warning(tmp_path):
    path = tmp_path / "ok.rules"
    path.write_text(RULES.replace('use "common.rules"\n', COMMON.split("\n", 1)[1]))
    diags, _ = check_files([path])
    assert not diags, diags
    program = api.load_rulebook(path)
    assert len(program.facts) == 7
