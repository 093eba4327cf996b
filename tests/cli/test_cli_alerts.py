"""warrant alerts: what each rulebook's latest run gained or lost, with a reason, exit 1 when anything did."""

import json

from click.testing import CliRunner

from engine.cli import main


def warrant(*args):
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_alerts_name_each_conclusion_gained_or_lost_with_its_reason(case):
    later = case / "later"
    later.mkdir()
    (later / "listed.csv").write_text("party,list\nZ,SDN\n")
    (later / "owns.csv").write_text("owner,owned,percent,_action\nY,A,25.5,retract\n")
    assert warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")[0] == 0
    code, out, err = warrant("alerts", "--db", "c.db")
    assert code == 0 and out == "" and "no conclusion changed" in err  # one run: nothing to compare with
    assert warrant("run", "mini.rules", "--facts", "later", "--db", "c.db")[0] == 0
    code, out, _ = warrant("alerts", "--db", "c.db")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith('+ blocked("C")  [mini: run-000001 -> run-000002]  ')
    assert 'listed("Z", "SDN")' in lines[0] and "is new evidence" in lines[0]
    assert any(line.startswith('- blocked("A")') for line in lines)
    code, out, _ = warrant("alerts", "--db", "c.db", "--json")
    data = json.loads(out)
    assert {(a["atom"], a["change"]) for a in data} >= {('blocked("C")', "gained"), ('blocked("A")', "lost")}
    assert all(a["since"] == "run-000001" and a["run"] == "run-000002" and a["reason"] for a in data)


def test_alerts_since_a_run_and_an_unknown_run(case):
    assert warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")[0] == 0
    assert warrant("run", "mini.rules", "--db", "c.db")[0] == 0
    code, out, _ = warrant("alerts", "--db", "c.db", "--since", "run-000001")
    assert code == 0 and out == ""  # the same evidence: nothing changed
    code, _, err = warrant("alerts", "--db", "c.db", "--since", "run-000099")
    assert code == 2 and "R002" in err


def test_the_case_report_lists_the_alerts(case):
    later = case / "later"
    later.mkdir()
    (later / "listed.csv").write_text("party,list\nZ,SDN\n")
    warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")
    warrant("run", "mini.rules", "--facts", "later", "--db", "c.db")
    code, _, err = warrant("report", "--db", "c.db", "-o", "report")
    assert code == 0, err
    index = (case / "report" / "index.md").read_text()
    assert "## Alerts: what each rulebook's latest run gained or lost" in index
    assert '| gained | blocked("C") | mini | run-000001 to run-000002 |' in index
    assert "<td>gained</td><td><code>blocked(&quot;C&quot;)</code></td>" in (case / "report" / "index.html").read_text()
