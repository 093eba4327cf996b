"""In-force queries: what the case file held, and what was valid, at a moment; retractions and corrections."""

import pytest

from engine.diagnostics import WarrantError
from engine.store import ensure_evidence_tables, every_record_in_force, in_force_sql, load_facts
from engine.store.backend import POSTGRES, dialect


@pytest.fixture
def history(store, program, tmp_path):
    """Three batches: facts, a correction of a holding, a retraction of a listing."""
    def batch(name, files, now):
        folder = tmp_path / name
        folder.mkdir()
        for file, text in files.items():
            (folder / file).write_text(text, encoding="utf-8")
        load_facts(store, program, folder, now=now)

    batch("b1", {"owns.csv": "owner,owned,percent,_valid_from\nA,B,50,2023-01-01\n",
                 "listed.csv": "party,list\nA,SDN\nC,SDN\n"}, "2024-01-10T12:00:00Z")
    batch("b2", {"owns.csv": "owner,owned,percent,_valid_from,_action\n"
                             "A,B,50,2024-03-01,retract\nA,B,60,2024-03-01,assert\n"}, "2024-03-10T12:00:00Z")
    batch("b3", {"listed.jsonl": '{"party": "A", "list": "SDN", "_action": "retract"}\n'}, "2024-04-10T12:00:00Z")

    def in_force(predicate, as_of):
        sql, params = in_force_sql(program.declaration(predicate), as_of)
        return store.conn.execute(sql, params).fetchall()

    return in_force


def _owns(in_force, as_of):
    return sorted(row[:3] for row in in_force("owns", as_of))


def _listed(in_force, as_of):
    return sorted(row[0] for row in in_force("listed", as_of))


def test_correction_replaces_a_holding_from_its_date(history):
    assert _owns(history, "2024-01-09") == []  # not yet recorded
    assert _owns(history, "2024-02-01") == [("A", "B", 50)]
    assert _owns(history, "2024-03-09") == [("A", "B", 50)]  # correction not yet recorded
    assert _owns(history, "2024-03-10") == [("A", "B", 60)]  # a date: up to the end of that day
    assert _owns(history, "2024-03-10T11:59:59Z") == [("A", "B", 50)]
    assert _owns(history, "2024-03-10T13:00:00+01:00") == [("A", "B", 60)]  # 12:00 UTC
    assert _owns(history, None) == [("A", "B", 60)]


def test_retraction_ends_a_listing_from_when_it_was_recorded(history):
    assert _listed(history, "2024-04-09") == ["A", "C"]
    assert _listed(history, "2024-04-10") == ["C"]
    assert _listed(history, None) == ["C"]


def test_evidence_is_never_deleted(history, store):
    assert store.conn.execute('SELECT COUNT(*) FROM "ev_owns"').fetchone()[0] == 3
    assert store.conn.execute('SELECT COUNT(*) FROM "ev_listed"').fetchone()[0] == 3


def test_a_fact_asserted_again_after_its_retraction_is_in_force(history, store, program, facts):
    load_facts(store, program, facts("listed.csv", "party,list,_document\nA,SDN,reinstated\n"),
               now="2024-05-01T00:00:00Z")
    assert _listed(history, "2024-04-30") == ["C"]
    assert _listed(history, "2024-05-01") == ["A", "C"]


def test_validity_interval_is_half_open(store, program, facts):
    load_facts(store, program, facts("incorporated.csv",
                                     "party,on,public,_valid_from,_valid_to\nA,2000-01-01,yes,2020-01-01,2021-01-01\n"),
               now="2019-01-01")
    sql, params = in_force_sql(program.declaration("incorporated"), "2019-12-31")
    assert store.conn.execute(sql, params).fetchall() == []
    for day, expected in (("2020-01-01", 1), ("2020-12-31", 1), ("2021-01-01", 0)):
        sql, params = in_force_sql(program.declaration("incorporated"), day)
        assert len(store.conn.execute(sql, params).fetchall()) == expected


def test_columns_are_the_declared_then_the_metadata(history, store, program):
    sql, params = in_force_sql(program.declaration("listed"), None)
    cursor = store.conn.execute(sql, params)
    assert [d[0] for d in cursor.description] == [
        "party", "list", "_hash", "_source", "_source_name", "_source_kind", "_reliability", "_credibility",
        "_jurisdiction", "_document", "_observed", "_valid_from", "_valid_to", "_recorded_at"]


def test_the_query_uses_the_partial_retraction_index(history, store, program):
    """On PostgreSQL, with sequential scans priced out: its planner would scan a table this small whole."""
    sql, params = in_force_sql(program.declaration("owns"), "2024-05-01")
    if dialect(store.conn) == POSTGRES:
        store.conn.execute("SET enable_seqscan = off")
        plan = " ".join(row[0] for row in store.conn.execute("EXPLAIN " + sql, params))
        assert "Index Scan using ev_owns_retract on ev_owns r" in plan  # the retractions looked up
    else:
        plan = " ".join(row[3] for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "USING INDEX ev_owns_retract" in plan


def test_a_bad_as_of_is_refused(program):
    with pytest.raises(WarrantError) as info:
        in_force_sql(program.declaration("owns"), "last tuesday")
    assert info.value.diagnostics[0].code == "S002"


def _rows(store, decl, as_of, every):
    sql, params = in_force_sql(decl, as_of, every)
    return sorted(store.conn.execute(sql, params).fetchall(), key=repr)


def _batch(store, program, tmp_path, name, files, now):
    folder = tmp_path / name
    folder.mkdir()
    for file, text in files.items():
        (folder / file).write_text(text, encoding="utf-8")
    load_facts(store, program, folder, now=now)


def test_a_table_whose_every_record_is_in_force_is_read_whole_with_the_same_rows(store, program, tmp_path):
    listed = program.declaration("listed")
    _batch(store, program, tmp_path, "b1", {"listed.csv": "party,list\nA,SDN\nB,EU\n"}, "2024-01-10T12:00:00Z")
    for as_of in ("2024-02-01", "2024-01-10", None):
        assert every_record_in_force(store.conn, listed, as_of)
        assert _rows(store, listed, as_of, True) == _rows(store, listed, as_of, False)
    assert not every_record_in_force(store.conn, listed, "2024-01-09")  # a load after the moment asked
    assert not every_record_in_force(store.conn, listed, "2024-01-10T11:00:00Z")


@pytest.mark.parametrize("files", [
    {"listed.csv": "party,list,_action\nA,SDN,retract\n"},          # a retraction
    {"listed.csv": "party,list,_valid_to\nC,UN,2024-05-01\n"},       # a validity window that has ended
    {"listed.csv": "party,list,_valid_from\nC,UN,2025-01-01\n"},     # and one not yet begun
])
def test_a_retraction_or_a_validity_window_means_testing_each_record(store, program, tmp_path, files):
    listed = program.declaration("listed")
    _batch(store, program, tmp_path, "b1", {"listed.csv": "party,list\nA,SDN\nB,EU\n"}, "2024-01-10T12:00:00Z")
    assert every_record_in_force(store.conn, listed, "2024-06-01")
    _batch(store, program, tmp_path, "b2", files, "2024-03-10T12:00:00Z")
    assert not every_record_in_force(store.conn, listed, "2024-06-01")
    assert _rows(store, listed, "2024-06-01", False) != _rows(store, listed, "2024-06-01", True)  # so it matters


def test_without_the_partial_indexes_every_record_is_tested(store, program, tmp_path):
    """On SQLite, whose test names the indexes; PostgreSQL's planner tells as well without them."""
    listed = program.declaration("listed")
    _batch(store, program, tmp_path, "b1", {"listed.csv": "party,list\nA,SDN\n"}, "2024-01-10T12:00:00Z")
    store.conn.execute('DROP INDEX "ev_listed_windows"')
    if dialect(store.conn) == POSTGRES:
        assert every_record_in_force(store.conn, listed, None)
        assert _rows(store, listed, None, True) == _rows(store, listed, None, False)
    else:
        assert not every_record_in_force(store.conn, listed, None)


def test_a_case_file_with_no_load_is_tested_record_by_record(store, program):
    ensure_evidence_tables(store, program)
    assert not every_record_in_force(store.conn, program.declaration("listed"), None)
