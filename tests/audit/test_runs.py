"""Runs are immutable, reproducible as of their day, and replay confirms them exactly."""

import textwrap

import pytest

from engine import api

from tamper import refuse, tamper

RULES = textwrap.dedent('''\
    rulebook mini "Mini" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    rule R2 "Owned" cites "OFAC guidance":
      blocked(E) if T = sum(Pct for owns(O, E, Pct) and blocked(O)) and T >= 50.
      because "{E} is owned {T}%".
    ''')


@pytest.fixture
def setup(tmp_path):
    (tmp_path / "mini.rules").write_text(RULES)
    first = tmp_path / "day1"
    first.mkdir()
    (first / "listed.csv").write_text("party,list\nX,SDN\n")
    (first / "owns.csv").write_text("owner,owned,percent\nX,A,50\n")
    later = tmp_path / "day2"
    later.mkdir()
    (later / "owns.csv").write_text("owner,owned,percent,_action,_valid_from\nX,A,50,retract,2024-03-01\nX,B,60,assert,\n")
    return tmp_path, api.load_rulebook(tmp_path / "mini.rules")


def blocked(case, run_id):
    return [r[0] for r in case.query("blocked(X)", run_id)[1]]


def test_later_runs_never_change_earlier_ones_and_replay_reproduces_them(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        first = case.run(program, facts=path / "day1").run_id
        case.load(program, path / "day2")
        second = case.run(program).run_id
        assert blocked(case, first) == ["A", "X"]
        assert blocked(case, second) == ["B", "X"]
        for run_id in (first, second):
            report = case.replay(run_id)
            assert report.identical, report.diff
        assert case.verify_audit().ok


def test_known_at_reproduces_the_state_of_knowledge_on_a_past_day(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        case.load(program, path / "day1", recorded_at="2024-01-10T09:00:00Z")
        case.load(program, path / "day2", recorded_at="2024-03-20T09:00:00Z")
        runs = {day: case.run(program, as_of=day, known_at=day).run_id
                for day in ("2024-02-15", "2024-03-15", "2024-03-25")}
        assert blocked(case, runs["2024-02-15"]) == ["A", "X"]
        assert blocked(case, runs["2024-03-15"]) == ["A", "X"]  # the retraction was not yet recorded on 15 March
        assert blocked(case, runs["2024-03-25"]) == ["B", "X"]  # recorded on 20 March, effective from 1 March
        for run_id in runs.values():
            assert case.replay(run_id).identical


def test_as_of_alone_judges_a_past_day_on_all_the_evidence_recorded_since(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        case.load(program, path / "day1", recorded_at="2024-01-10T09:00:00Z")
        case.load(program, path / "day2", recorded_at="2024-03-20T09:00:00Z")
        feb, mar = case.run(program, as_of="2024-02-15").run_id, case.run(program, as_of="2024-03-15").run_id
        # the retraction, recorded on 20 March, takes effect on 1 March: not yet on 15 February
        assert blocked(case, feb) == ["A", "B", "X"]
        assert blocked(case, mar) == ["B", "X"]
        assert case.run_info(feb)["known_at"] > "2024-03-20"


def test_recorded_after_the_known_at_moment_is_not_seen(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        case.load(program, path / "day1")
        assert blocked(case, case.run(program, as_of="2001-01-01", known_at="2001-01-01").run_id) == []
        assert blocked(case, case.run(program, as_of="2001-01-01").run_id) == ["A", "X"]


def test_stored_runs_refuse_edits(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        run_id = case.run(program, facts=path / "day1").run_id
    refuse(path / "case.db", "UPDATE fact_blocked SET party = 'Q'", "DELETE FROM fact_blocked", "DELETE FROM runs",
           "UPDATE ev_owns SET percent = 10", "DELETE FROM ev_listed")
    with api.Case.open(path / "case.db") as case:
        assert blocked(case, run_id) == ["A", "X"]


def test_replay_detects_a_tampered_fact(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        run_id = case.run(program, facts=path / "day1").run_id
    tamper(path / "case.db", "fact_blocked_no_update", "UPDATE fact_blocked SET _round = 7 WHERE party = 'A'")
    with api.Case.open(path / "case.db") as case:
        report = case.replay(run_id)
    assert not report.identical
    assert report.diff.only_a["blocked"] == [("A", 7, "R2")]
    assert report.diff.only_b["blocked"] == [("A", 2, "R2")]


def test_diff_names_the_evidence_behind_each_change(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        first = case.run(program, facts=path / "day1").run_id
        case.load(program, path / "day2")
        second = case.run(program).run_id
        diff = case.diff(first, second)
    assert diff.rule_changes == ()
    by_atom = {c.atom: c for c in diff.changes}
    assert set(by_atom) == {'blocked("A")', 'blocked("B")'}
    assert not by_atom['blocked("A")'].gained and by_atom['blocked("B")'].gained
    assert 'owns("X", "A", 50)' in by_atom['blocked("A")'].reasons[0] and "no longer in force" in by_atom['blocked("A")'].reasons[0]
    assert 'owns("X", "B", 60)' in by_atom['blocked("B")'].reasons[0] and "new evidence" in by_atom['blocked("B")'].reasons[0]


def test_diff_names_a_changed_threshold(setup):
    path, program = setup
    stricter = path / "stricter.rules"
    stricter.write_text(RULES.replace("T >= 50", "T > 50").replace('version "1"', 'version "2"'))
    with api.Case.open(path / "case.db") as case:
        first = case.run(program, facts=path / "day1").run_id
        second = case.run(api.load_rulebook(stricter)).run_id
        diff = case.diff(first, second)
    assert diff.rule_changes == ("rule R2 changed",)
    assert [(c.atom, c.gained, c.reasons) for c in diff.changes] == [('blocked("A")', False, ("rule R2 changed",))]


def _counted_snapshot(case, program, as_of):
    """The evidence snapshot as first defined: counts read from the evidence tables themselves."""
    import hashlib

    cutoff = as_of if len(as_of) > 10 else f"{as_of}T23:59:59.999999Z"
    h = hashlib.sha256(f"as_of={as_of}\n".encode())
    batches = set()
    for decl in sorted((d for d in program.declarations if d.is_evidence), key=lambda d: d.name):
        rows = case.conn.execute(f"SELECT _batch, COUNT(*) FROM ev_{decl.name} WHERE _recorded_at <= ? "
                                 "GROUP BY _batch ORDER BY _batch", [cutoff]).fetchall()
        h.update(f"{decl.name}:{rows}\n".encode())
        batches |= {b for b, _ in rows}
    for batch, files in case.conn.execute("SELECT id, files FROM loads ORDER BY id"):
        if batch in batches:
            h.update(f"batch {batch}: {files}\n".encode())
    return h.hexdigest()


def test_the_evidence_snapshot_from_the_loads_table_counts_what_the_evidence_tables_hold(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        case.load(program, path / "day1", recorded_at="2024-01-10T09:00:00Z")
        case.load(program, path / "day1", recorded_at="2024-02-01T09:00:00Z")  # nothing new: no rows in batch 2
        case.load(program, path / "day2", recorded_at="2024-03-20T09:00:00Z")
        for as_of in ("2024-01-01", "2024-01-10", "2024-02-15", "2024-03-20", "2024-03-20T08:00:00.000000Z", "2025-01-01"):
            assert case.evidence_snapshot(program, as_of) == _counted_snapshot(case, program, as_of), as_of
