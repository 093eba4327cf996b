"""Loading good facts: CSV, JSON and JSONL, manifest metadata, idempotence, the loads table."""

import json

import pytest

from engine.store import LoadError, load_facts, record_by_hash, write_transaction

from .conftest import FIXTURES, dump

NOW = "2024-06-01T12:00:00Z"


def test_csv_json_and_jsonl_load_with_manifest_metadata(store, program):
    report = load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    by_pred = {f.predicate: (f.rows_read, f.added, f.duplicates) for f in report.files}
    assert by_pred == {"listed": (2, 2, 0), "owns": (2, 2, 0), "incorporated": (2, 2, 0)}
    assert (report.rows_read, report.added, report.duplicates, report.batch) == (6, 6, 0, 1)

    listed = {r["party"]: r for r in store.db.table("ev_listed").rows}
    assert set(listed) == {"ACME", "Beta, Ltd"}
    assert listed["ACME"]["_source"] == "ofac-sdn" and listed["ACME"]["_credibility"] == 2
    assert listed["ACME"]["_document"] == "SDN list 2024-05-01" and listed["ACME"]["_observed"] == "2024-05-01"
    assert listed["Beta, Ltd"]["_observed"] is None
    assert listed["ACME"]["_recorded_at"] == "2024-06-01T12:00:00.000000Z"
    assert listed["ACME"]["_action"] == "assert" and listed["ACME"]["_batch"] == 1

    owns = {r["owned"]: r for r in store.db.table("ev_owns").rows}
    assert owns["Gamma"]["percent"] == 12.5 and owns["Gamma"]["_credibility"] == 3
    assert owns["Gamma"]["_valid_from"] == "2023-01-01"
    assert owns["Beta, Ltd"]["_source"] == "owns.json"  # no manifest entry: the file is the source

    inc = {r["party"]: r for r in store.db.table("ev_incorporated").rows}
    assert (inc["ACME"]["on"], inc["ACME"]["public"], inc["Gamma"]["public"]) == ("2001-02-03", 1, 0)
    assert inc["Gamma"]["_document"] == "filing 42" and inc["Gamma"]["_source"] == "registry-gb"

    sources = {r["id"]: r for r in store.db.table("sources").rows}
    assert sources["ofac-sdn"]["reliability"] == "A" and sources["ofac-sdn"]["kind"] == "sanctions-list"
    assert sources["owns.json"]["kind"] == "file" and sources["owns.json"]["reliability"] is None
    assert "README.md" not in sources and "notes.txt" not in sources


def test_reloading_adds_nothing_and_counts_duplicates(store, program):
    load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    evidence_before = {t: dump(store)[t] for t in ("ev_listed", "ev_owns", "ev_incorporated", "sources")}
    again = load_facts(store, program, FIXTURES / "facts_ok", now="2024-07-01T00:00:00Z")
    assert (again.batch, again.added, again.duplicates) == (2, 0, 6)
    assert {t: dump(store)[t] for t in evidence_before} == evidence_before
    loads = list(store.db.table("loads").rows_where(order_by="id"))
    assert [(r["id"], r["rows_added"], r["rows_duplicate"]) for r in loads] == [(1, 6, 0), (2, 0, 6)]
    files = json.loads(loads[1]["files"])
    assert {f["predicate"]: f["duplicates"] for f in files} == {"listed": 2, "owns": 2, "incorporated": 2}


def test_same_fact_in_csv_and_json_text_is_one_record(store, program, facts):
    facts("owns.csv", "owner,owned,percent\nA,B,50\nA,B,50.0\n")
    report = load_facts(store, program, facts("owns.json", '[{"owner": "A", "owned": "B", "percent": 50}]'),
                        now=NOW)
    assert (report.rows_read, report.added, report.duplicates) == (3, 2, 1)  # two sources: two records
    assert store.db.table("ev_owns").count == 2
    assert len({(r["owner"], r["owned"], r["percent"]) for r in store.db.table("ev_owns").rows}) == 1


def test_record_by_hash_gives_the_record_with_its_source(store, program):
    load_facts(store, program, FIXTURES / "facts_ok", now=NOW)
    row = next(store.db.table("ev_listed").rows_where("party = ?", ["ACME"]))
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
    assert next(store.db.table("ev_listed").rows_where("party = 'Z'"))["_source"] == "ofac-sdn"


def test_a_load_inside_an_outer_transaction_commits_or_rolls_back_with_it(store, program, facts):
    folder = facts("listed.csv", "party,list\nA,SDN\n")
    with pytest.raises(RuntimeError):
        with write_transaction(store.db):
            load_facts(store, program, folder, now=NOW)
            raise RuntimeError("the caller's later step failed")
    assert "ev_listed" not in store.db.table_names() and store.db.table("loads").count == 0
    with write_transaction(store.db):
        report = load_facts(store, program, folder, now=NOW)
    assert report.added == 1 and store.db.table("ev_listed").count == 1


def test_a_refused_load_inside_an_outer_transaction_undoes_only_itself(store, program, facts):
    with write_transaction(store.db):
        store.db.execute("INSERT INTO runs (id, status) VALUES ('r1', 'kept')")
        with pytest.raises(LoadError):
            load_facts(store, program, facts("owns.csv", "owner,owned,percent\nA,B,101\n"), now=NOW)
    assert [r["id"] for r in store.db.table("runs").rows] == ["r1"]
    assert "ev_owns" not in store.db.table_names()


def _indexes(store, table):
    return sorted((ix.name, tuple(ix.columns), ix.unique, ix.partial) for ix in store.db.table(table).indexes)


def test_a_big_load_rebuilds_the_indexes_and_keeps_file_order_once_per_hash(store, program, facts):
    facts("owns.csv", "owner,owned,percent\nA,B,10\n")
    load_facts(store, program, facts.folder, now="2024-01-01")
    fresh = _indexes(store, "ev_owns")
    facts("owns.csv", "owner,owned,percent\nZ,Y,1\nA,B,10\nC,D,20\nZ,Y,1.0\nE,F,30\n")  # more rows than the table
    report = load_facts(store, program, facts.folder, now="2024-02-01")
    assert (report.rows_read, report.added, report.duplicates) == (5, 3, 2)
    rows = store.db.execute("SELECT owner, _batch FROM ev_owns ORDER BY rowid").fetchall()
    assert rows == [("A", 1), ("Z", 2), ("C", 2), ("E", 2)]
    assert _indexes(store, "ev_owns") == fresh
    assert store.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_small_load_into_a_big_table_inserts_around_the_indexes(store, program, facts):
    facts("owns.csv", "owner,owned,percent\n" + "".join(f"E{i},F{i},{i}\n" for i in range(20)))
    load_facts(store, program, facts.folder, now="2024-01-01")
    fresh = _indexes(store, "ev_owns")
    facts("owns.csv", "owner,owned,percent\nE3,F3,3\nN,M,5\nN,M,5\n")
    report = load_facts(store, program, facts.folder, now="2024-02-01")
    assert (report.added, report.duplicates) == (1, 2)
    assert store.db.execute("SELECT owner FROM ev_owns ORDER BY rowid DESC LIMIT 1").fetchone() == ("N",)
    assert _indexes(store, "ev_owns") == fresh and store.db.table("ev_owns").count == 21
