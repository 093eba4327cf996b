"""The checker on valid rulebooks (no diagnostic at all), and its public helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.check import (
    check_files, check_program, fill_explanation, has_errors, monotone_recursive_aggregates, parse_explanation,
    rule_types,
)
from engine.check.depgraph import is_recursive, strata
from engine.diagnostics import render_all
from engine.syntax.program import load_program

VALID = Path(__file__).resolve().parent / "valid"


@pytest.mark.parametrize("name", sorted(p.name for p in VALID.glob("*.rules")))
def test_valid_rulebook_has_no_diagnostic(name, monkeypatch):
    monkeypatch.chdir(VALID)
    diags, sources = check_files([name])
    assert diags == [], render_all(diags, sources)


def _program(tmp_path, text: str):
    path = tmp_path / "t.rules"
    path.write_text('rulebook t "T" version "1"\n' + text, encoding="utf-8")
    program, diags, _ = load_program(path)
    assert program is not None, diags
    return program


def _codes(tmp_path, text: str) -> list[str]:
    return [d.code for d in check_program(_program(tmp_path, text))]


def test_missing_top_level_file_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        check_files([tmp_path / "nowhere.rules"])


def test_syntax_error_comes_back_as_diagnostic(tmp_path):
    path = tmp_path / "bad.rules"
    path.write_text('rulebook t "T" version "1"\nevidence p(x: entity)\nrule R1 "t" cites "c": q(X) if p(X)\n')
    diags, sources = check_files([path])
    assert [d.code for d in diags] == ["E001"] and has_errors(diags)
    assert "rule R1" in render_all(diags, sources)


def test_diagnostics_are_sorted_and_unique(tmp_path):
    program = _program(tmp_path, "evidence p(x: entity)\nconclusion q(x: entity)\n"
                                 'rule R1 "t" cites "c": q(Y) if pp(X) and r(Z). because "{W}".\n')
    diags = check_program(program)
    assert diags == sorted(diags, key=lambda d: d.sort_key()) and len(set(diags)) == len(diags)
    assert {"E101", "E301", "E140"} <= {d.code for d in diags}


def test_assignment_binds_and_types(tmp_path):
    text = ("evidence listed(who: entity, since: date)\nconclusion late(who: entity, days: number)\n"
            'rule R1 "t" cites "c": late(X, Days) if listed(X, D) and Days = as_of - D and Days > 30.\n'
            '  because "{X}: {Days} days".\n')
    program = _program(tmp_path, text)
    assert check_program(program) == []
    assert rule_types(program, program.rules[0]) == {"X": "entity", "D": "date", "Days": "integer"}  # a whole number


def test_date_arithmetic_types(tmp_path):
    base = "evidence listed(who: entity, since: date)\nconclusion q(who: entity)\n"
    ok = base + 'rule R1 "t" cites "c": q(X) if listed(X, D) and D + 30 <= as_of. because "{X}".\n'
    bad = base + 'rule R1 "t" cites "c": q(X) if listed(X, D) and D + as_of <= as_of. because "{X}".\n'
    assert _codes(tmp_path, ok) == []
    assert _codes(tmp_path, bad) == ["E203"]


def test_entity_and_text_join_percent_and_number_compare(tmp_path):
    text = ("evidence name(who: entity, name: text)\nevidence owns(a: entity, b: entity, p: percent)\n"
            "conclusion q(who: text)\n"
            'rule R1 "t" cites "c": q(N) if name(X, N) and owns(N, X, P) and P > 10. because "{N}".\n')
    assert _codes(tmp_path, text) == []


def test_monotone_recursive_aggregates_are_exposed(tmp_path):
    text = ("evidence owns(a: entity, b: entity, p: percent)\nevidence listed(x: entity)\n"
            "conclusion blocked(x: entity)\n"
            'rule R1 "t" cites "c": blocked(X) if listed(X). because "{X}".\n'
            'rule R2 "t" cites "c": blocked(Y) if owns(_, Y, _) and S = sum(P for owns(X, Y, P) and blocked(X))'
            ' and S >= 50. because "{Y}".\n')
    program = _program(tmp_path, text)
    assert check_program(program) == []
    [(rule, agg)] = monotone_recursive_aggregates(program)
    assert rule.id == "R2" and agg.func == "sum"
    [component] = strata(program)
    assert is_recursive(component, program)


@pytest.mark.parametrize("agg,code", [
    ("min(P for owns(X, Y, P) and blocked(X))", "E402"),
    ("count(X for owns(X, Y, _) and blocked(X))", None),
    ("count distinct(X for owns(X, Y, _) and blocked(X))", None),
    ("max(P for owns(X, Y, P) and blocked(X))", None),
])
def test_recursive_aggregate_functions(tmp_path, agg, code):
    text = ("evidence owns(a: entity, b: entity, p: percent)\nevidence listed(x: entity)\n"
            "conclusion blocked(x: entity)\n"
            'rule R1 "t" cites "c": blocked(X) if listed(X). because "{X}".\n'
            f'rule R2 "t" cites "c": blocked(Y) if owns(_, Y, _) and S = {agg} and S >= 2. because "{{Y}}".\n')
    assert _codes(tmp_path, text) == ([code] if code else [])


def test_recursive_total_against_recursive_value_is_an_error(tmp_path):
    text = ("evidence owns(a: entity, b: entity, p: percent)\nevidence listed(x: entity)\n"
            "derived level(x: entity, p: percent)\nconclusion blocked(x: entity)\n"
            'rule R1 "t" cites "c": blocked(X) if listed(X). because "{X}".\n'
            'rule R0 "t" cites "c": level(X, P) if blocked(X) and owns(X, _, P). because "{X}".\n'
            'rule R2 "t" cites "c": blocked(Y) if level(Y, L) and S = sum(P for owns(X, Y, P) and blocked(X))'
            ' and S >= L. because "{Y}".\n')
    assert _codes(tmp_path, text) == ["E403"]


def test_explanation_placeholders_and_escapes():
    parts, problems = parse_explanation("{X} owns {{50}}% of {Y}")
    assert parts == [("var", "X"), ("text", " owns {50}% of "), ("var", "Y")] and problems == []
    assert fill_explanation("{X} owns {{50}}% of {Y}", {"X": "A", "Y": "B"}) == "A owns {50}% of B"
    assert [p for p, _ in parse_explanation("a } b { c")[1]] == ["} without {", "unclosed {"]


AGGREGATES = '''evidence owns(owner: entity, owned: entity, share: percent) "holding"
evidence filed(party: entity, on: date) "a filing"
conclusion busy(party: entity, n: number) "busy"
rule R1 "busy" cites "none":
  busy(E, N) if owns(_, E, _) and N = count(X for owns(X, E, _)) and M = count(X for filed(E, X)) and N > 0 and M > 0.
  because "{E} has {N} owners".
'''


def test_two_aggregates_own_variables_of_one_name_are_two_variables(tmp_path):
    # X is an entity in the first aggregate and a date in the second: each aggregate's own X
    assert _codes(tmp_path, AGGREGATES) == []


def test_a_variable_shared_with_the_rule_keeps_one_type(tmp_path):
    text = AGGREGATES.replace("owns(_, E, _) and N", "owns(X, E, _) and N")  # now X is the rule's, an entity
    assert "E204" in _codes(tmp_path, text)
