"""Point questions through the CLI: --rulebook answers without a run, stores none, and uses a current run."""

import json

from click.testing import CliRunner

from engine import api
from engine.cli import main


def warrant(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_why_whynot_and_query_without_a_run(case):
    assert warrant("load", "mini.rules", "facts", "--db", "c.db")[0] == 0
    code, out, err = warrant("why", 'blocked("B")', "--rulebook", "mini.rules", "--db", "c.db", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["run"]["run_id"] == "partial"
    code, out, _ = warrant("whynot", 'blocked("D")', "--rulebook", "mini.rules", "--db", "c.db")
    assert code == 0 and "49.9" in out
    code, out, _ = warrant("query", "blocked(X)", "--rulebook", "mini.rules", "--db", "c.db", "--json")
    assert code == 0 and json.loads(out)["rows"] == [["A"], ["B"], ["X"], ["Y"]]
    with api.Case.open(case / "c.db") as opened:
        assert opened.runs() == []
    code, _, err = warrant("why", "--all", "blocked", "-o", "out", "--rulebook", "mini.rules", "--db", "c.db")
    assert code == 2 and "--all reads a stored run" in err


def test_a_current_run_answers(case):
    assert warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")[0] == 0
    code, out, err = warrant("why", 'blocked("B")', "--rulebook", "mini.rules", "--db", "c.db", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["run"]["run_id"] == "run-000001"
