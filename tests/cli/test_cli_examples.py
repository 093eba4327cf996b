"""warrant test: a failed expectation is explained from the example's own evaluation (the why-not of a fact
that should hold, the proof of one that should not), in text and JSON; --coverage reports the rules,
branches of `or`, thresholds and constants, and dated values no example exercises, and exits 0 for them."""

import json
import textwrap

from click.testing import CliRunner

from engine.cli import main

RULES = textwrap.dedent('''\
    rulebook ex "Examples" version "1"
    evidence listed(who: entity, list: text)
    evidence owns(owner: entity, owned: entity, share: percent)
    conclusion blocked(who: entity)
    conclusion caution(who: entity)
    threshold majority = 50%
    threshold caution_stake = 25% until 2024-07-02, 20% from 2024-07-03
    constant unused_list = "EU"

    rule R1 "Listed" cites "31 CFR 501.801":
      blocked(X) if listed(X, "SDN").
      because "{X} is listed".

    rule R2 "Owned" cites "OFAC FAQ 398":
      blocked(E) if Total = sum(P for owns(O, E, P) and blocked(O)) and Total >= majority.
      because "{E} is owned {Total}%, at least {majority}%".

    rule R3 "Caution" cites "OFAC guidance":
      caution(E) if Total = sum(P for owns(O, E, P) and blocked(O)) and Total >= caution_stake and not blocked(E).
      because "{E} is owned {Total}% by blocked persons".

    example "owned 40%":
      given listed("A", "SDN"), owns("A", "B", 40).
      expect caution("B").
      as of 2024-07-03.
    ''')
WRONG = RULES.replace('  expect caution("B").\n', '  expect blocked("B").\n  expect not blocked("A").\n')


def warrant(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def write(tmp_path, text):
    path = tmp_path / "ex.rules"
    path.write_text(text)
    return str(path)


def test_a_failed_expectation_shows_its_why_not_and_an_unexpected_fact_its_proof(tmp_path):
    code, out, err = warrant("test", write(tmp_path, WRONG))
    assert code == 1 and "0 passed, 1 failed" in out
    first, second = err.split("[T001]")[1:3]
    assert 'blocked("B") does not hold' in first
    assert "fails at Total >= majority: R2 needs at least 50 (majority)" in first
    assert "    blocked(\"A\") [1] holds (conclusion, round 1)" in second
    assert "because A is listed" in second
    assert "run-000001" not in err and "recorded up to" not in err  # the scratch run's header is left out


def test_json_carries_the_explanations(tmp_path):
    code, out, _ = warrant("test", write(tmp_path, WRONG), "--json")
    assert code == 1
    (failed,) = json.loads(out)["failed"]
    assert len(failed["failures"]) == len(failed["explanations"]) == 2
    assert failed["explanations"][0].startswith('blocked("B") does not hold')
    assert failed["explanations"][1].startswith('blocked("A") [1] holds')


def test_coverage_names_what_no_example_exercises_and_exits_0(tmp_path):
    path = write(tmp_path, RULES)
    code, out, _ = warrant("test", path, "--coverage")
    assert code == 0, out
    assert "2/3 rules, 1/3 thresholds and constants, 1/2 dated values" in out
    assert f"{path}:6: threshold majority: no exercised rule uses it" in out
    assert f"{path}:7: dated value caution_stake 25% until 2024-07-02: no example on a day it covers" in out
    assert f"{path}:8: constant unused_list: no rule uses it" in out
    assert f"{path}:14: rule R2: no example derives a fact with it" in out
    assert "rule R1" not in out and "rule R3" not in out


def test_coverage_json(tmp_path):
    code, out, _ = warrant("test", write(tmp_path, RULES), "--coverage", "--json")
    assert code == 0
    (cov,) = json.loads(out)["coverage"]
    assert cov["totals"] == {"rules": 3, "thresholds and constants": 3, "dated values": 2}
    assert [(g["kind"], g["name"]) for g in cov["gaps"]] == [
        ("threshold", "majority"), ("dated value", "caution_stake 25% until 2024-07-02"),
        ("constant", "unused_list"), ("rule", "R2")]


def test_a_rule_that_only_repeats_another_rules_fact_is_exercised(tmp_path):
    text = RULES.replace('example "owned 40%"', textwrap.dedent('''\
        rule R4 "Listed, again" cites "31 CFR 501.801":
          blocked(X) if listed(X, _).
          because "{X} is listed".

        example "owned 40%"'''))
    code, out, _ = warrant("test", write(tmp_path, text), "--coverage")
    assert code == 0 and "3/4 rules" in out and "rule R4" not in out and "rule R1" not in out


BRANCHES = RULES.replace('example "owned 40%"', textwrap.dedent('''\
    conclusion flagged(who: entity)

    rule F1 "Listed here or there" cites "internal policy 3":
      flagged(X) if (listed(X, "SDN")
        or listed(X, "EU") and not blocked(X)
        or owns(X, _, P) and P > 90).
      because "{X} is flagged".

    example "listed by OFAC only":
      given listed("A", "SDN").
      expect flagged("A").

    example "owned 40%"'''))


def test_coverage_names_the_branches_of_or_that_no_example_exercises(tmp_path):
    path = write(tmp_path, BRANCHES)
    code, out, _ = warrant("test", path, "--coverage")
    assert code == 0, out
    assert "3/4 rules, 1/3 branches of or, " in out
    assert f"{path}:26: branch F1 branch 2: no example derives a fact with this branch: listed(X, \"EU\") and " \
           "not blocked(X)" in out
    assert f"{path}:27: branch F1 branch 3: no example derives a fact with this branch: owns(X, _, P) and P > 90" in out
    assert "branch F1 branch 1" not in out and "rule F1" not in out


def test_an_example_of_every_branch_leaves_no_branch_gap(tmp_path):
    text = BRANCHES.replace('  given listed("A", "SDN").\n', '  given listed("A", "SDN"), listed("B", "EU"), '
                            'owns("C", "D", 95).\n')
    code, out, _ = warrant("test", write(tmp_path, text), "--coverage", "--json")
    (cov,) = json.loads(out)["coverage"]
    assert code == 0 and cov["totals"]["branches of or"] == 3
    assert not [g for g in cov["gaps"] if g["kind"] == "branch"]
