"""The case file's tables, WAL mode, evidence tables from declarations, rulebook registration."""

import os

import pytest

from engine.diagnostics import WarrantError
from engine.store import cores, ensure_evidence_tables, open_store, register_program, schema
from engine.store.backend import POSTGRES, dialect
from engine.syntax.program import load_program

from .conftest import FIXTURES, count
from .conftest import indexes as indexes_of
from .conftest import rows as rows_of


def test_open_store_creates_base_tables(store):
    names = set(schema.table_names(store.conn))
    assert {"meta", "sources", "rulebooks", "loads", "runs"} <= names
    assert store.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("5",)


@pytest.mark.sqlite_only(reason="the write-ahead log is the SQLite case file's own")
def test_a_case_file_is_in_wal_mode(store):
    assert store.db.journal_mode == "wal"


@pytest.mark.sqlite_only(reason="copies the SQLite case file without its write-ahead log, as a power cut leaves it")
def test_commits_wait_for_the_disk_only_at_checkpoints_and_closing_makes_everything_durable(tmp_path, program):
    st = open_store(tmp_path / "case.db")
    assert st.db.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL: atomic, durable at checkpoint
    register_program(st, program)
    reader = open_store(tmp_path / "case.db")  # a second connection: closing the first is not the last close
    st.close()
    copy = tmp_path / "copy.db"  # the main file alone, as a power cut would leave it without the log
    copy.write_bytes((tmp_path / "case.db").read_bytes())
    reader.close()
    again = open_store(copy)
    assert again.db.execute("SELECT COUNT(*) FROM rulebooks").fetchone() == (len(program.rulebooks),)
    again.close()


def test_evidence_tables_have_declared_and_metadata_columns(store, program):
    ensure_evidence_tables(store, program)
    ensure_evidence_tables(store, program)  # idempotent
    postgres = dialect(store.conn) == POSTGRES
    whole = "BIGINT" if postgres else "INTEGER"  # number and percent: NUMERIC on PostgreSQL, exact there too
    cols = schema.table_columns(store.conn, "ev_incorporated")
    assert cols[:3] == [("party", "TEXT"), ("on", "TEXT"), ("public", whole)]
    assert [n for n, _ in cols[3:]] == ["_hash", "_source", "_document", "_credibility", "_observed",
                                         "_valid_from", "_valid_to", "_recorded_at", "_action", "_batch"]
    assert schema.table_columns(store.conn, "ev_owns")[2] == ("percent", "NUMERIC" if postgres else "INTEGER")
    assert "ev_blocked" not in schema.table_names(store.conn)  # conclusions get no evidence table
    indexes = {name: (columns, unique, partial) for name, columns, unique, partial in indexes_of(store, "ev_owns")}
    assert indexes["ev_owns_hash"] == (("_hash",), True, False)
    assert indexes["ev_owns_retract"] == (("owner", "owned", "percent", "_recorded_at"), False, True)
    assert _condition(store.conn, "ev_owns_retract") == (
        "(_action = 'retract'::text)" if postgres else "_action = 'retract'")  # retractions only
    assert indexes["ev_owns_args"][0] == ("owner", "owned", "percent")
    assert indexes["ev_owns__owned"][0] == ("owned",) and "ev_owns__percent" not in indexes


def _condition(conn, index: str) -> str:
    """The condition of the partial index `index`, as the database keeps it."""
    if dialect(conn) == POSTGRES:
        return conn.execute("SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = to_regclass(?)",
                            [index]).fetchone()[0]
    return conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", [index]).fetchone()[0].split(" WHERE ", 1)[1]


def test_a_different_declaration_of_a_predicate_is_refused(store, program, tmp_path):
    ensure_evidence_tables(store, program)
    other = tmp_path / "other.rules"
    other.write_text('rulebook other "Other" version "1"\n'
                     'evidence owns(owner: entity, owned: entity) "no percent"\n', encoding="utf-8")
    changed, diags, _ = load_program(other)
    assert changed is not None and not diags
    with pytest.raises(WarrantError) as info:
        ensure_evidence_tables(store, changed)
    assert info.value.diagnostics[0].code == "S001"
    assert "different declaration of 'owns'" in str(info.value)


def test_register_program_is_idempotent(store, program):
    register_program(store, program)
    register_program(store, program)
    rows = rows_of(store.conn, "rulebooks")
    assert len(rows) == 1
    assert rows[0]["id"] == "demo" and rows[0]["version"] == "1"
    assert rows[0]["sha256"] == program.root.sha256
    assert rows[0]["text"] == (FIXTURES / "demo.rules").read_text(encoding="utf-8")


def test_reopening_keeps_content(tmp_path, program):
    path = tmp_path / "case.db"
    with open_store(path) as st:
        register_program(st, program)
    with open_store(path) as st:
        assert count(st.conn, "rulebooks") == 1


@pytest.mark.sqlite_only(reason="a file that is not an SQLite database")
def test_a_foreign_file_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(WarrantError) as info:
        open_store(junk)
    assert info.value.diagnostics[0].code == "S003"


@pytest.mark.parametrize("cpus, load, idle", [(2, 0.9, True), (2, 1.6, False), (4, 3.2, True), (4, 3.6, False),
                                              (1, 0.0, False), (2, None, True)])
def test_a_core_is_spare_when_the_load_average_leaves_one_idle(monkeypatch, cpus, load, idle):
    def loadavg():
        if load is None:
            raise OSError("no load average here")
        return load, load, load

    monkeypatch.setattr(cores.os, "cpu_count", lambda: cpus)
    monkeypatch.setattr(cores.os, "getloadavg", loadavg)
    assert cores.spare_core() is idle


@pytest.mark.sqlite_only(reason="PRAGMA threads: SQLite's own sorter threads")
@pytest.mark.parametrize("idle", [True, False])
def test_sqlite_sorts_on_helper_threads_only_when_a_core_is_idle(tmp_path, monkeypatch, idle):
    monkeypatch.setattr(schema, "spare_core", lambda: idle)
    store = open_store(tmp_path / "case.db")
    threads = store.conn.execute("PRAGMA threads").fetchone()[0]
    store.close()
    assert (threads > 0) is (idle and (os.cpu_count() or 1) > 1)
