"""Loading good facts: CSV, JSON and JSONL, manifest metadata, idempotence, the loads table."""

import json

import pytest

from engine.store import LoadError, load_facts, record_by_hash, write_transaction
from engine.store.backend import POSTGRES, dialect
from engine.store.schema import table_names

from .conftest import FIXTURES, count, dump, indexes, rows, stored

NOW = "2024-06-01T12:00:00Z"


def test_csv_json_and_jsonl_load_with_manifest_metadata(store, program):
    report = load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    by_pred = {f.predicate: (f.rows_read, f.added, f.duplicates) for f in report.files}
    assert by_pred == {"listed": (2, 2, 0), "owns": (2, 2, 0), "incorporated": (2, 2, 0)}
    assert (report.rows_read, report.added, report.duplicates, report.batch) == (6, 6, 0, 1)

    listed = {r["party"]: r for r in rows(store.conn, "ev_listed")}
    assert set(listed) == {"ACME", "Beta, Ltd"}
    assert listed["ACME"]["_source"] == "ofac-sdn" and listed["ACME"]["_credibility"] == 2
    assert listed["ACME"]["_document"] == "SDN list 2024-05-01" and listed["ACME"]["_observed"] == "2024-05-01"
    assert listed["Beta, Ltd"]["_observed"] is None
    assert listed["ACME"]["_recorded_at"] == "2024-06-01T12:00:00.000000Z"
    assert listed["ACME"]["_action"] == "assert" and listed["ACME"]["_batch"] == 1

    owns = {r["owned"]: r for r in rows(store.conn, "ev_owns")}
    assert owns["Gamma"]["percent"] == 12.5 and owns["Gamma"]["_credibility"] == 3
    assert owns["Gamma"]["_valid_from"] == "2023-01-01"
    assert owns["Beta, Ltd"]["_source"] == "owns.json"  # no manifest entry: the file is the source

    inc = {r["party"]: r for r in rows(store.conn, "ev_incorporated")}
    assert (inc["ACME"]["on"], inc["ACME"]["public"], inc["Gamma"]["public"]) == ("2001-02-03", 1, 0)
    assert inc["Gamma"]["_document"] == "filing 42" and inc["Gamma"]["_source"] == "registry-gb"

    sources = {r["id"]: r for r in rows(store.conn, "sources")}
    assert sources["ofac-sdn"]["reliability"] == "A" and sources["ofac-sdn"]["kind"] == "sanctions-list"
    assert sources["owns.json"]["kind"] == "file" and sources["owns.json"]["reliability"] is None
    assert "README.md" not in sources and "notes.txt" not in sources


def test_reloading_adds_nothing_and_counts_duplicates(store, program):
    load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    evidence_before = {t: dump(store)[t] for t in ("ev_listed", "ev_owns", "ev_incorporated", "sources")}
    again = load_facts(store, program, FIXTURES / "facts_ok", now="2024-07-01T00:00:00Z")
    assert (again.batch, again.added, again.duplicates) == (2, 0, 6)
    assert {t: dump(store)[t] for t in evidence_before} == evidence_before
    loads = sorted(rows(store.conn, "loads"), key=lambda r: r["id"])
    assert [(r["id"], r["rows_added"], r["rows_duplicate"]) for r in loads] == [(1, 6, 0), (2, 0, 6)]
    files = json.loads(loads[1]["files"])
    assert {f["predicate"]: f["duplicates"] for f in files} == {"listed": 2, "owns": 2, "incorporated": 2}


def test_same_fact_in_csv_and_json_text_is_one_record(store, program, facts):
    facts("owns.csv", "owner,owned,percent\nA,B,50\nA,B,50.0\n")
    report = load_facts(store, program, facts("owns.json", '[{"owner": "A", "owned": "B", "percent": 50}]'),
                        now=NOW)
    assert (report.rows_read, report.added, report.duplicates) == (3, 2, 1)  # two sources: two records
    assert count(store.conn, "ev_owns") == 2
    assert len({(r["owner"], r["owned"], r["percent"]) for r in rows(store.conn, "ev_owns")}) == 1


def test_record_by_hash_gives_the_record_with_its_source(store, program):
    load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    row = rows(store.conn, "ev_listed", "party = ?", ["ACME"])[0]
    record = record_by_hash(store, row["_hash"])
    assert record["predicate"] == "listed"
    assert record["args"] == {"party": "ACME", "list": "SDN"}
    assert (record["_source_name"], record["_reliability"], record["_jurisdiction"]) == ("OFAC SDN list", "A", "US")
    assert record["_classification"] == "OFFICIAL" and record["_credibility"] == 2
    assert record_by_hash(store, "0" * 64) is None


def test_hash_ignores_recorded_at_but_not_metadata(store, program, facts):
    facts("listed.csv", "party,list\nA,SDN\n")
    load_facts(store, program, facts.folder, now="2024-01-01")
    facts("listed.csv", "party,list,_document\nA,SDN,\nA,SDN,memo 7\n")
    report = load_facts(store, program, facts.folder, now="2024-02-01")
    assert (report.added, report.duplicates) == (1, 1)


def test_a_manifest_source_cannot_change_once_recorded(store, program, facts):
    facts("listed.csv", "party,list\nA,SDN\n")
    facts("manifest.json", '{"sources": [{"id": "s1", "name": "One", "reliability": "B"}],'
                           ' "files": {"listed.csv": {"source": "s1"}}}')
    load_facts(store, program, facts.folder, now=NOW)
    facts("manifest.json", '{"sources": [{"id": "s1", "name": "One", "reliability": "C"}],'
                           ' "files": {"listed.csv": {"source": "s1"}}}')
    with pytest.raises(LoadError) as info:
        load_facts(store, program, facts.folder, now=NOW)
    assert [(p.code, p.column, p.value) for p in info.value.problems] == [("L012", "id", "s1")]
    assert "different reliability" in info.value.problems[0].reason


def test_a_row_may_name_a_source_already_in_the_case_file(store, program, facts):
    load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    report = load_facts(store, program, facts("listed.jsonl", '{"party": "Z", "list": "EU", "_source": "ofac-sdn"}\n'))
    assert report.added == 1
    assert rows(store.conn, "ev_listed", "party = 'Z'")[0]["_source"] == "ofac-sdn"


def test_a_load_inside_an_outer_transaction_commits_or_rolls_back_with_it(store, program, facts):
    folder = facts("listed.csv", "party,list\nA,SDN\n")
    with pytest.raises(RuntimeError):
        with write_transaction(store):
            load_facts(store, program, folder, now=NOW)
            raise RuntimeError("the caller's later step failed")
    assert "ev_listed" not in table_names(store.conn) and count(store.conn, "loads") == 0
    with write_transaction(store):
        report = load_facts(store, program, folder, now=NOW)
    assert report.added == 1 and count(store.conn, "ev_listed") == 1


def test_a_refused_load_inside_an_outer_transaction_undoes_only_itself(store, program, facts):
    with write_transaction(store):
        store.conn.execute("INSERT INTO runs (id, status) VALUES ('r1', 'kept')")
        with pytest.raises(LoadError):
            load_facts(store, program, facts("owns.csv", "owner,owned,percent\nA,B,101\n"), now=NOW)
    assert [r["id"] for r in rows(store.conn, "runs")] == ["r1"]
    assert "ev_owns" not in table_names(store.conn)


def test_a_big_load_rebuilds_the_indexes_and_keeps_file_order_once_per_hash(store, program, facts):
    facts("owns.csv", "owner,owned,percent\nA,B,10\n")
    load_facts(store, program, facts.folder, now="2024-01-01")
    fresh = indexes(store, "ev_owns")
    facts("owns.csv", "owner,owned,percent\nZ,Y,1\nA,B,10\nC,D,20\nZ,Y,1.0\nE,F,30\n")  # more rows than the table
    report = load_facts(store, program, facts.folder, now="2024-02-01")
    assert (report.rows_read, report.added, report.duplicates) == (5, 3, 2)
    assert stored(store.conn, "ev_owns", "owner, _batch") == [("A", 1), ("Z", 2), ("C", 2), ("E", 2)]
    assert indexes(store, "ev_owns") == fresh
    assert _intact(store.conn, "ev_owns")


def _intact(conn, table: str) -> bool:
    """Whether the case's storage of `table` is sound: SQLite's integrity check of the case file; on PostgreSQL,
    amcheck's check of each index of the table, holding every row of it (it raises when not)."""
    if dialect(conn) != POSTGRES:
        return conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
    checked = conn.execute("SELECT bt_index_check(indexrelid, true) FROM pg_index WHERE indrelid = to_regclass(?)",
                           [f'"{table}"']).fetchall()
    return len(checked) > 0


def test_a_small_load_into_a_big_table_inserts_around_theindexes(store, program, facts):
    facts("owns.csv", "owner,owned,percent\n" + "".join(f"E{i},F{i},{i}\n" for i in range(20)))
    load_facts(store, program, facts.folder, now="2024-01-01")
    fresh = indexes(store, "ev_owns")
    facts("owns.csv", "owner,owned,percent\nE3,F3,3\nN,M,5\nN,M,5\n")
    report = load_facts(store, program, facts.folder, now="2024-02-01")
    assert (report.added, report.duplicates) == (1, 2)
    assert stored(store.conn, "ev_owns", "owner", last=True) == [("N",)]
    assert indexes(store, "ev_owns") == fresh and count(store.conn, "ev_owns") == 21
