"""`or` (compiled to one rule per branch; the proof names the branch that held) and `in` / `not in` (one of a
list): evaluation, proofs, why-not, and the independent checker on exported bundles."""

from __future__ import annotations

import textwrap

import pytest

from case_files import diagnostics, forged, run_case
from engine.audit.bundle import verify_bundle
from engine.check import check_files
from engine.proof import render
from engine.source import SourceFile
from engine.syntax.parser import parse_text
from engine.syntax.program import Program

RULES = textwrap.dedent('''\
    rulebook ships "Ship-to-ship transfers" version "1"
    evidence vessel(vessel: entity) "a vessel"
    evidence flag(vessel: entity, country: text) "the flag a vessel flies"
    evidence ais_gap(vessel: entity, hours: number) "AIS switched off"
    conclusion flagged(vessel: entity) "ship-to-ship risk"
    conclusion odd_flag(vessel: entity, country: text) "a flag of convenience"
    conclusion dark(vessel: entity) "dark and flagged"
    threshold dark_hours = 24
    constant home = "Panama"

    rule STS-1 "Flag of convenience or dark activity" cites "internal 1":
      flagged(V) if vessel(V) and (flag(V, "Comoros") or flag(V, "Palau") or ais_gap(V, H) and H > dark_hours).
      because "{V} is flagged".

    rule STS-2 "Odd flag" cites "internal 2":
      odd_flag(V, F) if flag(V, F) and F in ("Comoros", "Palau", "Cameroon") and F not in (home, "Tonga").
      because "{V} flies {F}".

    rule STS-3 "Two alternatives" cites "internal 3":
      dark(V) if (flag(V, "Comoros") or flag(V, "Palau")) and (ais_gap(V, _) or vessel(V) and (flag(V, "X") or flag(V, "Y"))).
      because "{V} is dark".
    ''')


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("alternatives")
    case, result = run_case(root, RULES, {
        "vessel": "vessel\na\nb\nc\nd\n",
        "flag": "vessel,country\na,Comoros\nb,Panama\nc,Palau\nd,Tonga\n",
        "ais_gap": "vessel,hours\nc,30\nd,3\n"}, as_of="2024-07-03")
    yield root, case, result
    case.close()


def test_the_rulebook_checks_clean(case):
    assert not diagnostics(case[0])


def test_a_rule_with_or_is_one_rule_per_branch_in_the_order_written():
    rb = parse_text(SourceFile("x.rules", RULES))
    program = Program(rb, (rb,))
    assert [r.key for r in program.rules] == ["STS-1#1", "STS-1#2", "STS-1#3", "STS-2",
                                              "STS-3#1", "STS-3#2", "STS-3#3", "STS-3#4", "STS-3#5", "STS-3#6"]
    assert [r.id for r in program.written_rules] == ["STS-1", "STS-2", "STS-3"]
    third = program.rules[2]
    assert [type(lit).__name__ for lit in third.body] == ["Atom", "Atom", "Comparison"]
    assert third.alternative == third.body[1:]


def test_each_alternative_concludes_on_its_own_and_in_filters(case):
    _, _, result = case
    assert result.conclusions["flagged"] == [["a"], ["c"]]
    assert result.conclusions["odd_flag"] == [["a", "Comoros"], ["c", "Palau"]]
    assert result.conclusions["dark"] == [["c"]]


def test_the_proof_names_each_branch_that_held(case):
    _, case, result = case
    proof = case.why('flagged("c")', result.run_id)
    shown = sorted((n.branch, n.alternative, [p.literal for p in n.premises])
                   for n in proof.nodes.values() if n.kind == "derivation")
    assert shown == [(2, 'flag(V, "Palau")', ["vessel(V)", 'flag(V, "Palau")']),
                     (3, "ais_gap(V, H) and H > dark_hours", ["vessel(V)", "ais_gap(V, H)", "H > dark_hours"])]
    assert "by branch 3: ais_gap(V, H) and H > dark_hours" in render(proof, "text")
    assert "by its branch 2: flag(V, \"Palau\")" in render(proof, "md")


def test_a_membership_test_is_a_premise_with_its_values(case):
    _, case, result = case
    proof = case.why('odd_flag("c", "Palau")', result.run_id)
    tests = sorted(n.text for n in proof.nodes.values() if n.kind == "membership")
    assert tests == ['F in ("Comoros", "Palau", "Cameroon"): "Palau" in ("Comoros", "Palau", "Cameroon")',
                     'F not in (home, "Tonga"): "Palau" not in ("Panama", "Tonga")']


def test_whynot_explains_the_failure_of_each_branch(case):
    _, case, result = case
    answer = case.whynot('flagged("d")', result.run_id)
    assert "rule STS-1, branch 3 (ais_gap(V, H) and H > dark_hours)" in render(answer, "text")
    assert [(a.branch, a.alternative) for a in answer.attempts] == [
        (1, 'flag(V, "Comoros")'), (2, 'flag(V, "Palau")'), (3, "ais_gap(V, H) and H > dark_hours")]
    assert "STS-1 (branch 3) needs H > dark_hours, but 3 > 24 is false" in answer.message
    assert 'STS-1 (branch 1) needs flag("d", "Comoros")' in answer.message


def test_whynot_names_the_membership_that_fails(case):
    _, case, result = case
    answer = case.whynot('odd_flag("b", "Panama")', result.run_id)
    assert answer.attempts[0].failures[0].kind == "membership"
    assert 'but "Panama" in ("Comoros", "Palau", "Cameroon") is false' in answer.message


def _export(case, atom: str, folder):
    _, case, result = case
    case.export(atom, folder, result.run_id)
    assert verify_bundle(folder).valid
    return folder / "proof.json"


def test_the_checker_recomputes_the_branch_from_the_rulebook(case, tmp_path):
    path = _export(case, 'flagged("c")', tmp_path / "b")

    def relabel(node):
        if node["kind"] == "derivation" and node["branch"] == 3:
            node["branch"] = 2
    assert "branch 2 of rule STS-1 reads 'flag(V, \"Palau\")'" in forged(path, relabel)


@pytest.mark.parametrize("field, value, reason", [
    ("alternative", "ais_gap(V, H)", "branch 3 of rule STS-1 reads"),
    ("branch", 4, "has branches 1 to 3"),
    ("branch", None, "has branches 1 to 3"),
])
def test_a_forged_branch_is_rejected(case, tmp_path, field, value, reason):
    path = _export(case, 'flagged("c")', tmp_path / "b")

    def forge(node):
        if node["kind"] == "derivation" and node["branch"] == 3:
            node[field] = value
    assert reason in forged(path, forge)


def test_the_checker_recomputes_a_membership_test(case, tmp_path):
    path = _export(case, 'odd_flag("c", "Palau")', tmp_path / "b")

    def forge(node):
        if node["kind"] == "membership" and not node["negated"]:
            node["members"] = ["Palau"]
    assert "other values" in forged(path, forge)


@pytest.mark.parametrize("body, code", [
    ('flag(V, F) and F in ("Comoros", 3)', "E202"),
    ('vessel(V) and F in ("Comoros")', "E303"),
    ('vessel(V) and V in (_)', "E308"),
    ('(flag(V, "Comoros") or ais_gap(V, H)) and H > 3', "E303"),
    ('(flag(V, F) or vessel(V)) and F != "X"', "E303"),
])
def test_each_branch_is_checked_as_a_rule(body, code, tmp_path):
    path = tmp_path / "bad.rules"
    path.write_text(RULES.replace('vessel(V) and (flag(V, "Comoros") or flag(V, "Palau") or ais_gap(V, H) '
                                  'and H > dark_hours)', body))
    diags, _ = check_files([path])
    assert [d.code for d in diags if d.is_error] == [code]


def test_a_variable_used_once_in_each_branch_is_not_a_singleton(tmp_path):
    path = tmp_path / "ok.rules"
    path.write_text(RULES.replace("ais_gap(V, H) and H > dark_hours", "ais_gap(V, H) and H > dark_hours and H < 99"))
    diags, _ = check_files([path])
    assert not diags, diags
