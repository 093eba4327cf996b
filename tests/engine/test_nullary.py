"""Nullary predicates (`evidence alarm()`, `conclusion noisy()`) end to end: check, load (a CSV whose header
holds only metadata columns, JSON lines `{}`, a JSON list of objects), run, query (true/false), why, whynot,
export and verify, examples. Never a traceback."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from engine.cli import main

RULES = textwrap.dedent("""\
    rulebook m "nullary" version "1"
    evidence alarm() "an alarm was raised"
    evidence a(x: entity, y: number)
    derived quiet() "no alarm"
    conclusion clear(x: entity)
    conclusion many() "more than one row"
    conclusion noisy() "the alarm and a row"

    rule QU "quiet" cites "none":
      quiet() if not alarm().
      because "no alarm".

    rule CL "clear" cites "none":
      clear(X) if a(X, _) and quiet().
      because "{X} is clear".

    rule MA "many" cites "none":
      many() if N = count(1 for a(_, _)) and N > 1.
      because "{N} rows".

    rule NO "noisy" cites "none":
      noisy() if alarm() and a(_, _) and not quiet().
      because "alarm".

    example "quiet":
      given a("A", 1), a("B", 1).
      expect quiet().
      expect clear("A").
      expect many().
      expect not noisy().

    example "alarm":
      given alarm().
      given a("A", 1).
      expect not quiet().
      expect noisy().
      expect not many().
    """)

ALARM_FILES = {
    "csv": ("alarm.csv", "_document,_valid_from\nreport-1,2024-01-01\nreport-2,2024-02-01\n"),
    "jsonl": ("alarm.jsonl", '{}\n{"_document": "report-3"}\n'),
    "json": ("alarm.json", '[{"_document": "report-4"}]'),
}


def warrant(*args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.rules").write_text(RULES)
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "a.csv").write_text("x,y\nA,1\nB,1\n")
    return tmp_path


def test_examples_pass_and_fail_on_nullary_expectations(folder):
    assert warrant("check", "m.rules")[0] == 0
    assert warrant("test", "m.rules")[0] == 0
    (folder / "bad.rules").write_text(RULES.replace("  expect not noisy().", "  expect noisy()."))
    code, out, err = warrant("test", "bad.rules")
    assert code == 1 and "expected noisy() to hold, but it does not" in out + err


@pytest.mark.parametrize("lane", sorted(ALARM_FILES))
def test_a_nullary_fact_file_loads_and_the_run_reaches_it(folder, lane):
    name, text = ALARM_FILES[lane]
    (folder / "facts" / name).write_text(text)
    code, out, err = warrant("run", "m.rules", "--facts", "facts", "--db", "case.db", "--json")
    assert code == 0, err
    assert json.loads(out)["conclusions"] == {"clear": [], "many": [[]], "noisy": [[]]}
    assert warrant("query", "noisy()", "--db", "case.db")[1] == "true\n"
    assert warrant("query", "quiet()", "--db", "case.db", "--json")[1] == "false\n"
    assert warrant("query", "alarm()", "--db", "case.db", "--json")[1] == "true\n"


def test_without_the_nullary_evidence_it_does_not_hold(folder):
    assert warrant("run", "m.rules", "--facts", "facts", "--db", "case.db")[0] == 0
    assert warrant("query", "noisy()", "--db", "case.db")[1] == "false\n"
    assert warrant("query", "quiet()", "--db", "case.db", "--json")[1] == "true\n"
    code, out, _ = warrant("whynot", "noisy()", "--db", "case.db")
    assert code == 0 and "NO needs alarm(), but no evidence record of it is in force" in out
    code, out, _ = warrant("why", "clear(\"A\")", "--db", "case.db")
    assert code == 0 and "quiet()" in out


@pytest.mark.parametrize("atom", ["noisy()", "many()"])
def test_proofs_of_nullary_facts_export_and_verify(folder, atom):
    (folder / "facts" / "alarm.jsonl").write_text("{}\n")
    assert warrant("run", "m.rules", "--facts", "facts", "--db", "case.db")[0] == 0
    code, out, _ = warrant("why", atom, "--db", "case.db", "--format", "json")
    proof = json.loads(out)
    assert code == 0 and proof["atom"] == atom and proof["nodes"][proof["root"]]["args"] == []
    assert warrant("export", atom, "-o", "bundle", "--db", "case.db")[0] == 0
    code, out, err = warrant("verify-proof", "bundle", "--db", "case.db")
    assert code == 0 and out.startswith("valid"), out + err


def test_a_query_giving_arguments_to_a_nullary_predicate_is_refused(folder):
    assert warrant("run", "m.rules", "--facts", "facts", "--db", "case.db")[0] == 0
    code, out, err = warrant("query", "noisy(X)", "--db", "case.db")
    assert code == 2 and "noisy takes no arguments (write noisy()), not 1 [Q002]" in out + err
