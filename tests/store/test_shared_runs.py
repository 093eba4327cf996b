"""Runs that continue a lineage share the facts they did not change (store/facts.py); version-4 case files
are upgraded when opened (store/upgrade.py)."""

import sqlite3
from pathlib import Path

import pytest

from engine import api
from engine.audit.runs import facts_digest
from engine.store.facts import is_latest, lineage_of

OFAC = Path(__file__).resolve().parents[2] / "benchmarks" / "ofac_bench.rules"  # rules R1 (listed), R2 (50%)


@pytest.fixture
def setup(tmp_path):
    for name, listed, owns in (("day1", "X,SDN\n", "X,A,60\nA,C,70\nC,D,80\nD,B,90\n"),
                               ("day2", "B,SDN\n", "B,E,55\n"),
                               ("day3", "D,SDN\n", "")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "listed.csv").write_text("party,list\n" + listed)
        (folder / "owns.csv").write_text("owner,owned,percent\n" + owns)
    return tmp_path, api.load_rulebook(OFAC)


def rows(conn):
    """Every row of fact_blocked as stored (lineage, party, round, rule, born, died)."""
    return conn.execute("SELECT run_id, party, _round, _rule, _born, _died FROM fact_blocked "
                        "ORDER BY run_id, party, _born").fetchall()


@pytest.mark.sqlite_only(reason="how a case file shares a run's unchanged facts with the run before; runs on "
                                "PostgreSQL store every fact (test_runs_on_postgresql_are_lineages_of_their_own)")
def test_an_incremental_run_stores_only_what_changed_and_earlier_runs_read_as_before(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        first = case.run(program, facts=path / "day1")
        before = case.conclusions(first.run_id)
        case.load(program, path / "day2")  # B listed: round 1 (was 5), E blocked through B
        second = case.run(program)
        assert second.reuse.incremental and second.reuse.strata_propagated == 1
        assert lineage_of(case.conn, second.run_id) == (first.run_id, 1)
        stored = rows(case.conn)
        assert [r for r in stored if r[4] == 1] == [(first.run_id, "B", 1, "R1", 1, None),
                                                    (first.run_id, "E", 2, "R2", 1, None)]
        assert [r[1] for r in stored if r[5] == 1] == ["B"]  # its old row, round 5 by R2, ends at step 1
        assert case.conclusions(first.run_id) == before
        full = case.run(program, full=True)
        assert lineage_of(case.conn, full.run_id) == (full.run_id, 0)
        assert facts_digest(case.conn, program, full.run_id) == facts_digest(case.conn, program, second.run_id)
        assert second.counts == full.counts
        case.load(program, path / "day3")
        third = case.run(program)  # continues the lineage of the full run, the latest
        assert lineage_of(case.conn, third.run_id) == (full.run_id, 1)
        for run in (first, second, full, third):
            assert case.replay(run.run_id).identical
        assert case.verify_audit().ok


@pytest.mark.sqlite_only(reason="how a case file shares a run's unchanged facts with the run before; runs on "
                                "PostgreSQL store every fact (test_runs_on_postgresql_are_lineages_of_their_own)")
def test_a_run_that_changes_nothing_stores_nothing_and_only_the_last_step_is_continued(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        first = case.run(program, facts=path / "day1")
        second = case.run(program)
        assert lineage_of(case.conn, second.run_id) == (first.run_id, 1)
        assert not [r for r in rows(case.conn) if r[4] == 1]
        assert case.conclusions(second.run_id) == case.conclusions(first.run_id)
        assert is_latest(case.conn, second.run_id) and not is_latest(case.conn, first.run_id)


@pytest.mark.sqlite_only(reason="how a case file shares a run's unchanged facts with the run before; runs on "
                                "PostgreSQL store every fact (test_runs_on_postgresql_are_lineages_of_their_own)")
def test_no_one_ends_or_changes_a_finished_runs_facts(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        first = case.run(program, facts=path / "day1").run_id
    conn = sqlite3.connect(path / "case.db")
    for sql in ("UPDATE fact_blocked SET _died = 1", "UPDATE fact_blocked SET _died = 0",
                "UPDATE fact_blocked SET _round = 9", "INSERT INTO run_lineage VALUES ('x', 'y', 0)",
                "DELETE FROM run_lineage", "UPDATE run_lineage SET seq = 5"):
        if sql.startswith("INSERT"):
            conn.execute(sql)  # a step no finished run is: nothing it sees can change
            continue
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
    conn.rollback()
    # a step in progress (no runs row) may end rows of its lineage, and only set _died from NULL to its step
    conn.execute("INSERT INTO run_lineage VALUES ('run-x', ?, 1)", [first])
    conn.execute("UPDATE fact_blocked SET _died = 1 WHERE party = 'A'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE fact_blocked SET _died = 2 WHERE party = 'X'")
    conn.rollback()
    conn.close()


def _as_version_4(db) -> None:
    """Rewrite a case file as version 4 kept it: fact tables keyed by (run_id, args), no run_lineage."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TABLE fact_blocked")
    conn.execute("DROP TABLE run_lineage")
    conn.execute("DELETE FROM sqlite_stat1")
    conn.execute('CREATE TABLE fact_blocked (run_id TEXT NOT NULL, "party", _round INTEGER, _rule TEXT, '
                 'PRIMARY KEY (run_id, "party")) WITHOUT ROWID')
    conn.executemany("INSERT INTO fact_blocked VALUES (?, ?, ?, ?)", FACTS_V4)
    conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    conn.close()


FACTS_V4 = [("run-000001", "A", 2, "R2"), ("run-000001", "B", 5, "R2"), ("run-000001", "C", 3, "R2"),
            ("run-000001", "D", 4, "R2"), ("run-000001", "X", 1, "R1")]


@pytest.mark.sqlite_only(reason="rewrites the case file as version 4 made it (on PostgreSQL: "
                                "test_a_version_4_case_on_postgresql_is_upgraded_when_opened)")
def test_a_version_4_case_file_is_upgraded_when_opened_and_its_runs_read_on(setup):
    path, program = setup
    with api.Case.open(path / "case.db") as case:
        run_id = case.run(program, facts=path / "day1").run_id
        assert [(run_id,) + r[1:4] for r in rows(case.conn)] == FACTS_V4
    _as_version_4(path / "case.db")
    with api.Case.open(path / "case.db") as case:
        assert case.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("5",)
        assert rows(case.conn) == [r + (0, None) for r in FACTS_V4]
        assert lineage_of(case.conn, run_id) == (run_id, 0)
        assert case.replay(run_id).identical
        case.load(program, path / "day2")
        second = case.run(program)
        assert lineage_of(case.conn, second.run_id) == (run_id, 1)
        full = case.run(program, full=True)
        assert facts_digest(case.conn, program, full.run_id) == facts_digest(case.conn, program, second.run_id)
    conn = sqlite3.connect(path / "case.db")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the rebuilt table is protected again
        conn.execute("DELETE FROM fact_blocked")
    conn.close()


def test_a_version_4_case_on_postgresql_is_upgraded_when_opened(setup, postgres_url):
    import psycopg

    path, program = setup
    with api.Case.open(postgres_url) as case:
        run_id = case.run(program, facts=path / "day1").run_id
        before = case.conclusions(run_id)
    with psycopg.connect(postgres_url, autocommit=True) as conn:  # as version 4 made it
        conn.execute("ALTER TABLE fact_blocked DROP COLUMN _born, DROP COLUMN _died")
        conn.execute("ALTER TABLE fact_blocked ADD PRIMARY KEY (run_id, party)")
        conn.execute("DROP TABLE run_lineage")
        conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    with api.Case.open(postgres_url) as case:
        assert lineage_of(case.conn, run_id) == (run_id, 0)
        assert case.conclusions(run_id) == before
        case.load(program, path / "day2")
        second = case.run(program)
        full = case.run(program, full=True)
        assert facts_digest(case.conn, program, full.run_id) == facts_digest(case.conn, program, second.run_id)
        with pytest.raises(Exception, match="append-only"):
            case.conn.execute("DELETE FROM run_lineage")


def test_runs_on_postgresql_are_lineages_of_their_own(setup, postgres_url):
    path, program = setup
    with api.Case.open(postgres_url) as case:
        first = case.run(program, facts=path / "day1")
        before = case.conclusions(first.run_id)
        case.load(program, path / "day2")
        second = case.run(program)
        assert second.reuse.incremental and second.reuse.strata_propagated == 1
        assert lineage_of(case.conn, second.run_id) == (second.run_id, 0)
        assert [r[1:4] for r in rows(case.conn) if r[0] == second.run_id] == [
            ("A", 2, "R2"), ("B", 1, "R1"), ("C", 3, "R2"), ("D", 4, "R2"), ("E", 2, "R2"), ("X", 1, "R1")]
        assert case.conclusions(first.run_id) == before
        full = case.run(program, full=True)
        assert facts_digest(case.conn, program, full.run_id) == facts_digest(case.conn, program, second.run_id)
        for run in (first, second, full):
            assert case.replay(run.run_id).identical
        assert case.verify_audit().ok
        for sql in ("UPDATE fact_blocked SET _round = 9", "DELETE FROM fact_blocked", "DELETE FROM run_lineage"):
            with pytest.raises(Exception, match="append-only"):
                case.conn.execute(sql)
