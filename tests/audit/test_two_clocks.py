"""Two clocks: a past day assessed on today's evidence (--as-of), and what was known on a past day (--known-at).

The evidence is loaded today; the assessment dates lie in 2024."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import api
from engine.cli import main

RULEBOOKS = Path(__file__).resolve().parents[2] / "rulebooks"
EU = RULEBOOKS / "eu_ownership_control.rules"


@pytest.fixture
def eu_case(tmp_path):
    """Exactly 50% held by a listed person: frozen under the EU rules from 3 July 2024, not before."""
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list,_valid_from\nL,EU,2022-03-15\n")
    (facts / "owns.csv").write_text("owner,owned,percent,_valid_from,_valid_to\n"
                                    "L,HALF,50,2023-01-01,\n"
                                    "L,LATER,60,2025-01-10,\n"
                                    "L,SOLD,70,2020-01-01,2024-01-01\n")
    program = api.load_rulebook(EU)
    with api.Case.open(tmp_path / "case.db") as case:
        case.load(program, facts)
    return tmp_path, program


def folders(root: Path, **files: dict[str, str]) -> list[Path]:
    """One facts folder per keyword, holding the files given (name -> text)."""
    made = []
    for name, contents in files.items():
        (root / name).mkdir()
        for file, text in contents.items():
            (root / name / file).write_text(text)
        made.append(root / name)
    return made


def blocked(case, run_id):
    return sorted(r[0] for r in case.query("blocked(X)", run_id)[1])


def test_a_past_day_is_assessed_on_the_evidence_recorded_since(eu_case):
    path, program = eu_case
    with api.Case.open(path / "case.db") as case:
        before = case.run(program, as_of="2024-07-02").run_id
        since = case.run(program, as_of="2024-07-03").run_id
        assert blocked(case, before) == ["L"]
        assert blocked(case, since) == ["HALF", "L"]
        for run_id in (before, since):
            assert case.replay(run_id).identical


def test_known_at_before_the_load_sees_none_of_it(eu_case):
    path, program = eu_case
    with api.Case.open(path / "case.db") as case:
        run_id = case.run(program, as_of="2024-07-03", known_at="2024-07-03").run_id
        assert blocked(case, run_id) == []
        assert case.run_info(run_id)["known_at"] == "2024-07-03T23:59:59.999999Z"
        assert case.replay(run_id).identical


def test_a_backdated_load_reproduces_what_was_known_then(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nL,EU\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nL,HALF,50\n")
    program = api.load_rulebook(EU)
    with api.Case.open(tmp_path / "case.db") as case:
        case.load(program, facts, recorded_at="2024-03-01")
        earlier = case.run(program, as_of="2024-07-03", known_at="2024-02-29").run_id
        later = case.run(program, as_of="2024-07-03", known_at="2024-03-02").run_id
        assert blocked(case, earlier) == []
        assert blocked(case, later) == ["HALF", "L"]
        entry = [e for e in case.audit_entries(action="evidence.load")][-1]
        assert entry.details["recorded_at"] == "2024-03-01T00:00:00.000000Z"
        assert not entry.at.startswith("2024")  # the audit log keeps the real time of the load


def test_a_later_backdated_load_does_not_change_what_an_earlier_run_saw(tmp_path):
    first, second = folders(tmp_path, first={"listed.csv": "party,list\nL,EU\n"},
                            second={"owns.csv": "owner,owned,percent\nL,HALF,50\n"})
    program = api.load_rulebook(EU)
    with api.Case.open(tmp_path / "case.db") as case:
        case.load(program, first, recorded_at="2024-01-01")
        run_id = case.run(program, as_of="2024-07-03", known_at="2024-06-01").run_id
        case.load(program, second, recorded_at="2024-02-01")  # claims to have been known before the run's cutoff
        assert blocked(case, run_id) == ["L"]
        assert case.replay(run_id).identical
        assert blocked(case, case.run(program, as_of="2024-07-03", known_at="2024-06-01").run_id) == ["HALF", "L"]


def test_whynot_names_each_record_the_clocks_keep_out_with_its_dates(eu_case):
    path, program = eu_case
    with api.Case.open(path / "case.db") as case:
        run_id = case.run(program, as_of="2024-09-30").run_id
        later = case.whynot('blocked("LATER")', run_id)
        sold = case.whynot('blocked("SOLD")', run_id)
        early = case.run(program, as_of="2024-09-30", known_at="2024-03-02").run_id
        listed = case.whynot('blocked("L")', early)
    assert 'owns("L", "LATER", 60) is valid only from 2025-01-10 (assessed as of 2024-09-30)' in later.message
    assert 'owns("L", "SOLD", 70) held only until 2024-01-01, exclusive (assessed as of 2024-09-30)' in sold.message
    today = listed.run.recorded_until
    assert today == "2024-03-02"
    assert "check the spelling" not in listed.message
    assert "after the known-at time 2024-03-02" in listed.message
    assert 'listed("L", "EU") was recorded on ' in listed.message


def test_whynot_explains_a_retraction_with_its_date(tmp_path):
    facts, later = folders(tmp_path, facts={"listed.csv": "party,list\nL,EU\n"},
                           later={"listed.csv": "party,list,_action,_valid_from\nL,EU,retract,2024-05-01\n"})
    program = api.load_rulebook(EU)
    with api.Case.open(tmp_path / "case.db") as case:
        case.load(program, facts, recorded_at="2024-01-01")
        case.load(program, later, recorded_at="2024-06-01")
        assert blocked(case, case.run(program, as_of="2024-04-30").run_id) == ["L"]
        run_id = case.run(program, as_of="2024-05-01").run_id
        answer = case.whynot('blocked("L")', run_id)
    assert 'listed("L", "EU") was retracted with effect from 2024-05-01 (recorded 2024-06-01)' in answer.message


def test_the_cli_states_both_clocks_and_refuses_a_future_receipt_time(eu_case, cli, capsys):
    path, _ = eu_case
    db = str(path / "case.db")
    code, out, err = cli(["run", str(EU), "--as-of", "2024-07-03", "--known-at", "2024-07-05", "--db", db])
    assert code == 0, err
    assert "assessed as of 2024-07-03 on the evidence recorded up to 2024-07-05" in out
    code, out, _ = cli(["runs", "--db", db])
    assert "assessed as of 2024-07-03 on the evidence recorded up to 2024-07-05" in out
    code, out, _ = cli(["runs", "--db", db, "--json"])
    assert json.loads(out)[-1]["known_at"] == "2024-07-05T23:59:59.999999Z"
    code, _, err = cli(["load", str(EU), str(path / "facts"), "--recorded-at", "2999-01-01", "--db", db])
    assert code == 2 and "S006" in err and "future" in err
    code, _, err = cli(["run", str(EU), "--known-at", "last week", "--db", db])
    assert code == 2 and "S002" in err


@pytest.fixture
def cli():
    from click.testing import CliRunner

    def invoke(args):
        result = CliRunner().invoke(main, args, catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr
    return invoke


def test_valid_to_is_the_first_day_a_record_no_longer_holds_and_a_correction_keeps_the_old_record(tmp_path):
    """owns L->A 60% held until 2024-07-03 (exclusive); a correction retracts it from then and records 40%."""
    base, fix = folders(tmp_path, base={"listed.csv": "party,list\nL,EU\n",
                                        "owns.csv": "owner,owned,percent,_valid_to\nL,A,60,2024-07-03\n"},
                        fix={"owns.csv": "owner,owned,percent,_action,_valid_from\n"
                                         "L,B,60,retract,2024-07-03\nL,B,40,assert,2024-07-03\n"})
    (base / "owns.csv").write_text("owner,owned,percent,_valid_to\nL,A,60,2024-07-03\nL,B,60,\n")
    program = api.load_rulebook(EU)
    with api.Case.open(tmp_path / "case.db") as case:
        case.load(program, base)
        case.load(program, fix)
        assert blocked(case, case.run(program, as_of="2024-07-02").run_id) == ["A", "B", "L"]
        assert blocked(case, case.run(program, as_of="2024-07-03").run_id) == ["L"]
        kept = case.conn.execute("SELECT COUNT(*) FROM ev_owns WHERE owned = 'B'").fetchone()[0]
    assert kept == 3  # the first record, its retraction and the correction: nothing is deleted
