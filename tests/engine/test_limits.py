"""Limits that are errors, not hangs or tracebacks (issue 19): rule bodies and calculations past what the
database takes are refused by check; a run past its time or fact limit, or storing Infinity, stops
with a message and leaves the case file as it was; JSON output is always JSON."""

from __future__ import annotations

import hashlib
import textwrap

import pytest

from engine import api, cli
from engine.check import check_program
from engine.check import stratification
from engine.diagnostics import WarrantError
from engine.eval import EvalError, plan
from engine.store.backend import SQLITE, dialect
from engine.store.schema import table_names
from engine.syntax.parser import parse_atom
from engine.syntax.program import load_program

HEAD = 'rulebook t "T" version "1"\nevidence p(a: entity, v: number)\n'


def write(tmp_path, text: str, name: str = "t.rules"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def facts(tmp_path):
    folder = tmp_path / "facts"
    folder.mkdir()
    (folder / "p.csv").write_text("a,v\n" + "".join(f"e{i},{i}\n" for i in range(1, 61)))
    return folder


def codes(path) -> set[str]:
    with pytest.raises(WarrantError) as err:
        api.load_rulebook(path)
    return {d.code for d in err.value.diagnostics}


def digest(path) -> str:
    """Every table of the case and its rows, in any order (on SQLite the file as well, byte for byte)."""
    with api.Case.open(path) as case:
        tables = {t: sorted(map(repr, case.conn.execute(f'SELECT * FROM "{t}"'))) for t in table_names(case.conn)}
        on_sqlite = dialect(case.conn) == SQLITE
    return hashlib.sha256(repr(sorted(tables.items())).encode() + (path.read_bytes() if on_sqlite else b"")).hexdigest()


def test_64_conditions_run_and_65_are_refused_by_check(tmp_path, facts):
    def rulebook(n):
        conds = " and ".join(["p(A, V)"] + ["p(A, _)"] * (n - 1))
        return write(tmp_path, HEAD + f'conclusion c(a: entity, v: number)\nrule R1 "r" cites "x":\n'
                                      f'  c(A, V) if {conds}.\n  because "{{A}}".\n', f"c{n}.rules")

    assert codes(rulebook(65)) == {"E006"}
    with api.Case.open(tmp_path / "case.db") as case:
        assert len(case.run(api.load_rulebook(rulebook(64)), facts=facts).conclusions["c"]) == 60


@pytest.mark.parametrize("calculation", [" + ".join(["V"] * 100), " + ".join(["V"] * 1000), "-" * 1000 + "V"])
def test_long_sums_and_deep_minus_are_refused_at_parse(tmp_path, calculation):
    path = write(tmp_path, HEAD + 'conclusion c(a: entity, v: number)\nrule R1 "r" cites "x":\n'
                                  f'  c(A, S) if p(A, V) and S = {calculation}.\n  because "{{A}}".\n')
    assert codes(path) == {"E005"}


def test_a_deep_query_pattern_is_a_located_error():
    with pytest.raises(WarrantError) as err:
        parse_atom("p(" + "-" * 1000 + "X)")
    assert [d.code for d in err.value.diagnostics] == ["E005"]


def test_a_calculation_the_database_cannot_parse_is_refused_by_check(tmp_path, facts):
    nested = "V"
    for _ in range(40):
        nested = f"(V - {nested})"
    path = write(tmp_path, HEAD + 'conclusion c(a: entity, v: number)\nrule R1 "r" cites "x":\n'
                                  f'  c(A, S) if p(A, V) and S = {nested}.\n  because "{{A}}".\n')
    assert codes(path) == {"E006"}


def test_check_computes_the_strata_a_bounded_number_of_times(tmp_path, monkeypatch):
    """4,000 rules took 31 s: the components were recomputed for every rule. Counted, not timed."""
    calls = []
    real = stratification.strata
    monkeypatch.setattr(stratification, "strata", lambda p: calls.append(1) or real(p))
    monkeypatch.setattr(plan, "strata", lambda p: calls.append(1) or real(p))
    rules = "".join(f'derived d{i}(a: entity)\nrule R{i} "r" cites "x":\n  d{i}(A) if {"p(A, _)" if i == 0 else f"d{i - 1}(A)"}.\n'
                    f'  because "{{A}}".\n' for i in range(200))
    program, _, _ = load_program(write(tmp_path, HEAD + rules))
    check_program(program)
    plan.make_plan(program)
    assert len(calls) <= 3


CROSS = HEAD + '''conclusion c(a: entity, b: entity, d: entity)
rule X1 "Every triple" cites "x":
  c(A, B, D) if p(A, _) and p(B, _) and p(D, _).
  because "{A}".
'''


def stopped_run(tmp_path, facts, rulebook: str, **limits) -> str:
    """Load, run with `limits`, and return the error; the case file must be as it was before the run."""
    program = api.load_rulebook(write(tmp_path, rulebook))
    db = tmp_path / "case.db"
    with api.Case.open(db) as case:
        case.load(program, facts)
    before = digest(db)
    with api.Case.open(db) as case, pytest.raises(EvalError) as err:
        case.run(program, **limits)
    assert digest(db) == before
    with api.Case.open(db) as case:
        assert case.runs() == [] and case.verify_audit().ok
    return str(err.value)


def test_a_run_past_its_fact_limit_stops_and_stores_nothing(tmp_path, facts):
    message = stopped_run(tmp_path, facts, CROSS, max_facts=1000)
    assert "more than 1,000 facts" in message and "--max-facts" in message and "X1" in message


def test_a_run_past_its_time_limit_stops_and_stores_nothing(tmp_path, facts):
    rulebook = HEAD + '''conclusion c(n: number)
    rule X1 "Count quadruples" cites "x":
      c(N) if p(_, _) and N = count(A for p(A, _) and p(B, _) and p(C, _) and p(D, _) and p(E, _)).
      because "{N}".
    '''
    message = stopped_run(tmp_path, facts, rulebook, max_seconds=0.3)
    assert "after 0.3 s" in message and "--max-seconds" in message


def test_overflow_from_recursion_names_the_rule_and_stores_nothing(tmp_path, facts):
    rulebook = HEAD + '''derived grow(a: entity, v: number)
    conclusion big(a: entity, v: number)
    rule G1 "Start" cites "x":
      grow(A, V) if p(A, V).
      because "{A}".
    rule G2 "Grow" cites "x":
      grow(A, W) if grow(A, V) and W = V * 1000000.
      because "{A}".
    rule B1 "Big" cites "x":
      big(A, V) if grow(A, V).
      because "{A}".
    '''
    message = stopped_run(tmp_path, facts, rulebook)
    assert "rule G2 (" in message and "t.rules:8:" in message and "is too large" in message


def test_json_output_refuses_non_finite_numbers(capsys):
    with pytest.raises(SystemExit) as done:
        cli._echo_json({"rows": [[float("inf"), float("-inf")]]})
    out = capsys.readouterr()
    assert done.value.code == 2 and out.out == "" and "not finite" in out.err


def test_run_limits_on_the_command_line(tmp_path):
    from click.testing import CliRunner

    facts = tmp_path / "small"
    facts.mkdir()
    (facts / "p.csv").write_text("a,v\n" + "".join(f"e{i},{i}\n" for i in range(10)))
    path = write(tmp_path, CROSS)
    db = str(tmp_path / "case.db")
    result = CliRunner().invoke(cli.main, ["run", str(path), "--facts", str(facts), "--db", db, "--max-facts", "999"])
    assert result.exit_code == 2 and "--max-facts" in result.output and "Traceback" not in result.output
    result = CliRunner().invoke(cli.main, ["run", str(path), "--db", db, "--max-facts", "0", "--max-seconds", "0"])
    assert result.exit_code == 0, result.output
