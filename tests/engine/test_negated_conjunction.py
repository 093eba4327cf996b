"""`not (A and B ...)`: no way for the conditions to hold together; the rule's variables come from outside the
brackets, the others are the brackets' own. Evaluation, proofs (a no_match node), why-not (the values for
which the conditions hold), and the independent checker's own search on exported bundles."""

from __future__ import annotations

import textwrap

import pytest

from case_files import diagnostics, forged, run_case
from engine.audit.bundle import verify_bundle
from engine.audit.no_match import Search
from engine.check import check_files
from engine.proof import render
from engine.source import SourceFile
from engine.syntax import ast
from engine.syntax.parser import parse_text

RULES = textwrap.dedent('''\
    rulebook lists "Lists" version "1"
    evidence vessel(who: entity) "a vessel"
    evidence listed(who: entity, list: text) "a listing"
    evidence listed_on(who: entity, since: date) "when listed"
    derived cleared(who: entity) "cleared by a review"
    conclusion un_only(who: entity) "on no list but the UN's"
    conclusion not_future(who: entity) "listed, not in the future"
    conclusion uncleared_listing(who: entity) "listed somewhere not cleared"

    rule UN-1 "On no list but the UN's" cites "internal 4":
      un_only(X) if vessel(X) and not (listed(X, L) and L != "UN").
      because "{X} is on no list but the UN's".

    rule FUT-1 "Listed, not in the future" cites "internal 5":
      not_future(X) if listed_on(X, D) and not (D > as_of).
      because "{X} is listed since {D}".

    rule CLR-1 "Cleared by the UN's review" cites "internal 6":
      cleared(X) if listed(X, "UN").
      because "{X} is cleared".

    rule UNC-1 "A vessel with no listing both outside the UN and uncleared" cites "internal 7":
      uncleared_listing(X) if vessel(X) and not (listed(X, L) and L != "UN" and not cleared(X)).
      because "{X}".
    ''')


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("negated")
    case, result = run_case(root, RULES, {
        "vessel": "who\na\nb\nc\n",
        "listed": "who,list\na,UN\nb,UN\nb,EU\nc,EU\n",
        "listed_on": "who,since\na,2024-01-01\nb,2030-01-01\n"}, as_of="2024-07-03")
    yield root, case, result
    case.close()


def test_the_rulebook_checks_clean(case):
    assert not diagnostics(case[0])


def test_no_way_for_the_conditions_to_hold_together(case):
    _, _, result = case
    assert result.conclusions["un_only"] == [["a"]]
    assert result.conclusions["not_future"] == [["a"]]
    assert result.conclusions["uncleared_listing"] == [["a"], ["b"]]


def test_the_proof_states_the_search_with_the_rules_values(case):
    _, case, result = case
    proof = case.why('un_only("a")', result.run_id)
    [node] = [n for n in proof.nodes.values() if n.kind == "no_match"]
    assert (node.conditions, node.binding) == ('listed(X, L) and L != "UN"', {"X": "a"})
    assert node.statement == f'nothing satisfies listed(X, L) and L != "UN" with X = "a", as of 2024-07-03 in run {result.run_id}'
    premise = next(p for d in proof.nodes.values() if d.kind == "derivation" for p in d.premises if p.kind == "negation")
    assert premise.literal == 'not (listed(X, L) and L != "UN")'
    assert "absent nothing satisfies" in render(proof, "text")


def test_whynot_gives_the_values_for_which_the_conditions_hold(case):
    _, case, result = case
    answer = case.whynot('un_only("b")', result.run_id)
    assert answer.message.endswith('UN-1 needs not (listed(X, L) and L != "UN"), but listed(X, L) and L != "UN" '
                                   'holds with L = "EU"')


@pytest.mark.parametrize("atom", ['un_only("a")', 'not_future("a")', 'uncleared_listing("b")'])
def test_the_checker_confirms_by_its_own_search(case, tmp_path, atom):
    _, case, result = case
    case.export(atom, tmp_path / "b", result.run_id)
    assert verify_bundle(tmp_path / "b").valid


def test_a_forged_binding_is_found_out_by_the_search(case, tmp_path):
    _, case, result = case
    case.export('un_only("a")', tmp_path / "b", result.run_id)

    def forge(node):
        if node["kind"] == "no_match":
            node["binding"] = {"X": "b"}
            node["statement"] = node["statement"].replace('X = "a"', 'X = "b"')
    assert "should read" in forged(tmp_path / "b" / "proof.json", forge)


def test_the_checkers_search_finds_a_way_the_conditions_hold():
    rule = parse_text(SourceFile("x.rules", RULES)).rules[-1]
    negated = rule.body[1]
    rows = {"listed": [["a", "UN"], ["b", "UN"], ["b", "EU"], ["c", "EU"]], "cleared": [["a"], ["b"]]}
    search = Search(lambda p: rows.get(p, []), lambda e, b: b[e.name] if isinstance(e, ast.Var) else e.value,
                    lambda x, y: x == y)
    assert search.first(negated.body, {"X": "a"}) is None
    assert search.first(negated.body, {"X": "b"}) is None  # listed by the EU, but cleared
    assert search.first(negated.body, {"X": "c"}) == {"X": "c", "L": "EU"}


@pytest.mark.parametrize("body, code", [
    ('vessel(X) and not (listed(X, L) or listed(X, "EU"))', "E164"),
    ('vessel(X) and not (N = count(L for listed(X, L)) and N > 1)', "E164"),
    ('vessel(X) and not (listed(X, L)) and not (listed(X, "EU") and L != "UN")', "E303"),
    ('vessel(X) and L != "EU" and not (listed(X, L))', "E302"),
    ('vessel(X) and not (listed(X, _) and L != "UN")', "E303"),
    ('vessel(X) and not (listed(X, L) with source = "s" and L != "UN")', "E113"),
    ('vessel(X) and not (listed(X, L) and L != 3)', "E202"),
    ('not (listed(X, L) and L != "UN")', "E301"),
    ('vessel(X) and not (listed(X, L) and un_only(X))', "E401"),
])
def test_a_bad_not_is_located(body, code, tmp_path):
    path = tmp_path / "bad.rules"
    path.write_text(RULES.replace('vessel(X) and not (listed(X, L) and L != "UN")', body, 1))
    diags, _ = check_files([path])
    assert code in [d.code for d in diags if d.is_error], diags


def test_two_brackets_may_each_have_their_own_variable_of_one_name(tmp_path):
    path = tmp_path / "ok.rules"
    path.write_text(RULES.replace('not (listed(X, L) and L != "UN")',
                                  'not (listed(X, L) and L != "UN") and not (listed_on(X, L) and L > as_of)', 1))
    diags, _ = check_files([path])
    assert not [d for d in diags if d.is_error], diags
