"""The warrant command: output formats and exit codes (0 ok, 1 finding, 2 bad input)."""

import json
import subprocess
import sys

from click.testing import CliRunner

from engine.cli import main


def warrant(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_json_loads_and_evaluates_in_one_step(case):
    code, out, err = warrant("run", "mini.rules", "--facts", "facts", "--db", "new.db", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) == {"run_id", "rulebook", "as_of", "known_at", "evaluation", "conclusions"}
    assert data["run_id"] == "run-000001"
    assert data["evaluation"] == {"mode": "full", "reason": "no earlier run of these rulebooks"}
    assert data["known_at"] >= data["as_of"]  # both default to now
    assert data["rulebook"]["id"] == "mini" and data["rulebook"]["version"] == "1"
    assert len(data["rulebook"]["sha256"]) == 64
    assert data["conclusions"] == {"blocked": [["A"], ["B"], ["X"], ["Y"]]}


def test_numbers_stay_numbers_in_query_json(case):
    warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")
    code, out, _ = warrant("query", 'owns(X, "A", P)', "--db", "c.db", "--json")
    assert code == 0
    assert json.loads(out) == {"columns": ["owner", "owned", "percent"], "rows": [["X", "A", 25], ["Y", "A", 25.5]]}


def test_query_derived_facts_with_repeated_pattern(case):
    warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")
    code, out, _ = warrant("query", "blocked(X)", "--db", "c.db")
    assert code == 0
    assert out.split() == ["A", "B", "X", "Y"]


def test_check_exit_codes(case):
    assert warrant("check", "mini.rules")[0] == 0
    (case / "bad.rules").write_text(case.joinpath("mini.rules").read_text().replace("listed(P, \"SDN\")", "lsted(P, \"SDN\")"))
    code, _, err = warrant("check", "bad.rules")
    assert code == 1
    assert "bad.rules:11:17: error:" in err and "listed" in err
    code, _, err = warrant("check", "missing.rules")
    assert code == 2 and "missing.rules" in err


def test_failing_example_exits_1_with_its_name_and_location(case):
    text = case.joinpath("mini.rules").read_text().replace('expect blocked("A").', 'expect not blocked("A").')
    (case / "wrong.rules").write_text(text)
    code, out, err = warrant("test", "wrong.rules")
    assert code == 1
    assert 'wrong.rules:20:14: error: example "two owners of 25% each" failed: expected blocked("A") not to hold' in err
    assert "0 passed, 1 failed" in out


def test_bad_row_exits_2_with_location_and_stores_nothing(case):
    (case / "facts" / "owns.csv").write_text("owner,owned,percent\nX,A,25\nY,A,250\n")
    code, _, err = warrant("load", "mini.rules", "facts", "--db", "c.db")
    assert code == 2
    assert "owns.csv:3:" in err and "250" in err
    code, _, err = warrant("query", "owns(X, Y, P)", "--db", "c.db")
    assert code == 2 and "no runs" in err


def test_unknown_predicate_in_query_suggests_the_nearest(case):
    warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")
    code, _, err = warrant("query", "blockd(X)", "--db", "c.db")
    assert code == 2
    assert "unknown predicate 'blockd'" in err and "blocked" in err


def test_installed_entry_point_runs(case):
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "run", "mini.rules", "--facts", "facts", "--db",
                           "p.db", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["conclusions"]["blocked"] == [["A"], ["B"], ["X"], ["Y"]]


def test_show_prints_each_stage(case):
    code, out, _ = warrant("show", "mini.rules", "--stage", "plan")
    assert code == 0 and out == "stratum 1 (recursive): blocked; rules R1, R2\n"
    code, out, _ = warrant("show", "mini.rules", "--stage", "sql")
    assert code == 0 and out.count("INSERT OR IGNORE INTO \"r_blocked\"") == 3
    code, out, _ = warrant("show", "mini.rules", "--stage", "ast")
    assert "rule R2: blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= ownership_threshold." in out


def test_why_and_whynot_in_every_format(case):
    warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")
    code, out, _ = warrant("why", 'blocked("B")', "--db", "c.db")
    assert code == 0 and "rule R2" in out and 'evidence owns("A", "B", 50)' in out
    code, out, _ = warrant("why", 'blocked("B")', "--db", "c.db", "--format", "json")
    assert code == 0 and json.loads(out)["atom"] == 'blocked("B")'
    for fmt in ("svg", "png", "pdf", "md", "html", "dot"):
        code, _, err = warrant("why", 'blocked("B")', "--db", "c.db", "--format", fmt, "-o", f"p.{fmt}")
        assert code == 0, err
        assert (case / f"p.{fmt}").stat().st_size > 100
    code, out, _ = warrant("whynot", 'blocked("D")', "--db", "c.db")
    assert code == 0 and "49.9" in out
    code, _, err = warrant("why", 'blocked("D")', "--db", "c.db")
    assert code == 2 and "does not hold" in err and "whynot" in err
    code, _, err = warrant("why", "--all", "blocked", "-o", "proofs", "--format", "svg", "--db", "c.db")
    assert code == 0 and len(list((case / "proofs").glob("*.svg"))) == 4
