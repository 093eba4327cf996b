"""In-force queries: what the case file held, and what was valid, at a moment; retractions and corrections."""

import pytest

from engine.diagnostics import WarrantError
from engine.store import in_force_sql, load_facts


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
        return store.db.execute(sql, params).fetchall()

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
    assert store.db.table("ev_owns").count == 3
    assert store.db.table("ev_listed").count == 3


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
    assert store.db.execute(sql, params).fetchall() == []
    for day, expected in (("2020-01-01", 1), ("2020-12-31", 1), ("2021-01-01", 0)):
        sql, params = in_force_sql(program.declaration("incorporated"), day)
        assert len(store.db.execute(sql, params).fetchall()) == expected


def test_columns_are_the_declared_then_the_metadata(history, store, program):
    sql, params = in_force_sql(program.declaration("listed"), None)
    cursor = store.db.execute(sql, params)
    assert [d[0] for d in cursor.description] == [
        "party", "list", "_hash", "_source", "_source_name", "_source_kind", "_reliability", "_credibility",
        "_jurisdiction", "_document", "_observed", "_valid_from", "_valid_to", "_recorded_at"]


def test_the_query_uses_the_partial_retraction_index(history, store, program):
    sql, params = in_force_sql(program.declaration("owns"), "2024-05-01")
    plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql, params))
    assert "USING INDEX ev_owns_retract" in plan


def test_a_bad_as_of_is_refused(program):
    with pytest.raises(WarrantError) as info:
        in_force_sql(program.declaration("owns"), "last tuesday")
    assert info.value.diagnostics[0].code == "S002"
