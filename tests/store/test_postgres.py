"""A case on PostgreSQL (issue 18, first slice): opening and making one, its audit log (one chain under
concurrent appends, append-only in the database), and `warrant migrate` from a case file. Each test gets a
fresh database (tests/conftest.py)."""

import sqlite3
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main
from engine.diagnostics import WarrantError
from engine.store.schema import open_store

ROOT = Path(__file__).resolve().parents[2]
OFAC = ROOT / "rulebooks/ofac_50.rules"
FACTS = ROOT / "examples/demo/facts"


def _codes(exc: WarrantError) -> list[str]:
    return [d.code for d in exc.diagnostics]


def test_placeholders_translate_outside_quoted_text_and_casts():
    from engine.store.backend_pg import translate

    assert translate("SELECT a FROM t WHERE b = ? AND c = :name") == "SELECT a FROM t WHERE b = %s AND c = %(name)s"
    assert translate("SELECT '?:x', \"a?\" FROM t WHERE d LIKE ?") == "SELECT '?:x', \"a?\" FROM t WHERE d LIKE %s"
    assert translate("SELECT x::numeric, 5 % 2 FROM t WHERE y = ?") == "SELECT x::numeric, 5 %% 2 FROM t WHERE y = %s"
    assert translate("SELECT 'it''s ?' WHERE z = ?") == "SELECT 'it''s ?' WHERE z = %s"
    assert translate("SELECT a + (b) FROM t WHERE +t.x IN (1) AND (+\"c\") = '+y' AND k = ?") == \
        "SELECT a + (b) FROM t WHERE t.x IN (1) AND (\"c\") = '+y' AND k = %s"  # SQLite's index hint goes
    assert translate("SELECT 1 WHERE f LIKE '%\"L014\"%' AND i < ?") == "SELECT 1 WHERE f LIKE '%%\"L014\"%%' AND i < %s"


def test_a_database_without_a_case_is_s004_unless_made(postgres_url):
    with pytest.raises(WarrantError) as err:
        open_store(postgres_url, create=False)
    assert _codes(err.value) == ["S004"]
    with open_store(postgres_url) as store:
        assert store.path == postgres_url
        assert {"meta", "sources", "rulebooks", "loads", "runs", "audit_log"} <= set(store.tables())
    with open_store(postgres_url, create=False) as store:  # made once; opened again as it is
        assert store.conn.execute("SELECT value FROM meta WHERE key = ?", ["schema_version"]).fetchone() == ("5",)


def test_a_case_of_another_schema_version_is_refused(postgres_url):
    with open_store(postgres_url) as store:
        store.conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    with pytest.raises(WarrantError) as err:
        open_store(postgres_url)
    assert _codes(err.value) == ["S003"] and "schema version 3" in str(err.value.diagnostics[0].message)


def test_numbers_come_back_as_the_engine_stores_them(postgres_url):
    with open_store(postgres_url) as store:
        row = store.conn.execute("SELECT ?::numeric + 0, ?::numeric * 1, ?, 9223372036854775807::numeric",
                                 [5, 49.99, 0.1]).fetchone()
    assert row == (5, 49.99, 0.1, 2 ** 63 - 1)
    assert [type(v) for v in row] == [int, float, float, int]


def test_the_audit_log_is_one_chain_and_append_only(postgres_url):
    with api.Case.open(postgres_url, actor="alice") as case:
        for i in range(3):
            case.audit("test.step", f"subject-{i}", {"n": i, "share": 12.5})
        report = case.verify_audit()
        assert report.ok and report.entries == 3
        assert [e.details["n"] for e in case.audit_entries(action="test.step")] == [0, 1, 2]
        for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(Exception, match="append-only"):
                case.conn.execute(statement)
        # someone with the server's superuser role goes around the triggers: the chain names the entry
        case.conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
        case.conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        broken = case.verify_audit()
    assert not broken.ok and broken.first_bad == 2 and "edited" in broken.reason


def test_concurrent_appends_wait_for_each_other(postgres_url):
    """Appends from several connections at once: each one reads the head and writes after it, never beside it."""
    api.Case.open(postgres_url).close()
    failures: list[BaseException] = []

    def append_many(worker: int) -> None:
        try:
            with api.Case.open(postgres_url, actor=f"worker-{worker}") as case:
                for i in range(15):
                    case.audit("test.concurrent", f"{worker}-{i}", {})
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=append_many, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    with api.Case.open(postgres_url) as case:
        report = case.verify_audit()
        subjects = sorted(e.entity for e in case.audit_entries(action="test.concurrent"))
    assert report.ok and report.entries == 60
    assert subjects == sorted(f"{w}-{i}" for w in range(4) for i in range(15))


def test_a_writer_waits_for_another_then_gives_up_with_s005(postgres_url):
    """Writers take turns, as on a case file: one holding the write lock past the busy timeout is S005."""
    with api.Case.open(postgres_url) as holder:
        holder.conn.execute("BEGIN IMMEDIATE")
        result = CliRunner().invoke(main, ["load", str(OFAC), str(FACTS / "lists"), "--db", postgres_url],
                                    env={"WARRANT_BUSY_TIMEOUT": "0.3"})
        holder.conn.execute("ROLLBACK")
    assert result.exit_code == 2 and "[S005]" in result.output and "is busy" in result.output, result.output
    with api.Case.open(postgres_url) as case:  # nothing of the refused load was stored
        assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone()[0] == 0


def test_an_unreachable_server_is_s009_without_the_password():
    result = CliRunner().invoke(main, ["audit", "log", "--db", "postgresql://alice:s3cret@127.0.0.1:1/nowhere"])
    assert result.exit_code == 2 and "[S009]" in result.output
    assert "s3cret" not in result.output and "alice:***@127.0.0.1:1" in result.output


@pytest.fixture
def case_file(tmp_path):
    """A case file with evidence, a run and a signed checkpoint."""
    db = str(tmp_path / "case.db")
    runner = CliRunner()
    for folder in ("lists", "registry", "leak"):
        assert runner.invoke(main, ["load", str(OFAC), str(FACTS / folder), "--db", db]).exit_code == 0
    assert runner.invoke(main, ["run", str(OFAC), "--db", db, "--as-of", "2024-09-30"]).exit_code == 0
    keys = str(tmp_path / "keys")
    assert runner.invoke(main, ["keys", "init", "--agency", "TEST", "--keys", keys]).exit_code == 0
    assert runner.invoke(main, ["audit", "checkpoint", "--db", db, "--keys", keys]).exit_code == 0
    return db


def test_migrate_copies_a_case_file_whole_and_its_chain_verifies(case_file, postgres_url):
    runner = CliRunner()
    result = runner.invoke(main, ["migrate", "--from", case_file, "--to", postgres_url])
    assert result.exit_code == 0, result.output
    assert "audit log intact: 9 entries" in result.output
    source = sqlite3.connect(case_file)
    with open_store(postgres_url, create=False) as pg:
        tables = [r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if not r[0].startswith("sqlite_")]  # SQLite's own (the planner's statistics) stay behind
        assert set(tables) <= set(pg.tables())
        for table in tables:  # every row, with the same values: 49.99 stays 49.99, 55 stays 55
            expected = sorted(tuple(r) for r in source.execute(f'SELECT * FROM "{table}"'))
            got = sorted(tuple(r) for r in pg.conn.execute(f'SELECT * FROM "{table}"'))
            if table == "audit_log":
                assert got[:-1] == expected and got[-1][3] == "case.migrate"
            else:
                assert got == expected, table
        batches = {r[0] for r in pg.conn.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ev%batch'")}
        assert batches == {f"{t}_batch" for t in tables if t.startswith("ev_")}  # for incremental runs
        with pytest.raises(Exception, match="append-only"):
            pg.conn.execute("DELETE FROM ev_owns")
    verify = runner.invoke(main, ["audit", "verify", "--db", postgres_url])
    assert verify.exit_code == 0, verify.output
    assert "checkpoint 1 (signed by TEST" in verify.output and "anchors entry 8: it holds" in verify.output
    run = runner.invoke(main, ["run", str(OFAC), "--db", postgres_url, "--as-of", "2024-09-30"])
    assert run.exit_code == 0 and "incremental run from run-000001: 7 of 7 strata taken over" in run.output, run.output
    again = runner.invoke(main, ["migrate", "--from", case_file, "--to", postgres_url])
    assert again.exit_code == 2 and "[S008]" in again.output


def test_migrate_is_all_or_nothing(case_file, postgres_url):
    source = sqlite3.connect(case_file)
    with source:  # an untyped column holding text and numbers, as no case file warrant wrote would
        source.execute("CREATE TABLE zz_mixed (x)")
        source.executemany("INSERT INTO zz_mixed VALUES (?)", [("a",), (1,)])
    source.close()
    with pytest.raises(WarrantError) as err:
        api.migrate_case(case_file, postgres_url)
    assert _codes(err.value) == ["S003"] and "zz_mixed" in err.value.diagnostics[0].message
    from engine.store.backend_pg import open_database

    with open_database(postgres_url) as pg:  # the tables copied before it were undone with it
        assert pg.tables() == []


def _demo_case(location: str):
    """The demo case's evidence (every folder, the FtM names, the updates, the determinations), loaded into
    `location` as examples/demo builds it."""
    import sys

    sys.path.insert(0, str(ROOT / "examples/demo"))
    try:
        from generate import BASE_RECORDED, RULEBOOKS, build_case
    finally:
        sys.path.pop(0)
    case = build_case(location, with_updates=True)
    screening = api.load_rulebook(RULEBOOKS / "screening.rules")
    case.load(screening, ROOT / "examples/demo/determinations", progress=False, recorded_at=BASE_RECORDED)
    return case


# what differs between two loads of the same files: when they happened
_WHEN = {"rulebooks": ("registered_at",), "loads": ("started_at", "finished_at"), "audit_log": ("at", "prev_hash", "hash"),
         "principals": ("added_at",)}


def _same_folder(value):
    """The FtM import's temporary folder, whose name is drawn afresh each time, as one name."""
    import re

    return re.sub(r"warrant-ftm-\w+", "warrant-ftm-TMP", value) if isinstance(value, str) else value


def _contents(conn, tables: list[str]) -> dict[str, list[tuple]]:
    from engine.store.schema import table_columns

    out = {}
    for table in tables:
        columns = [name for name, _ in table_columns(conn, table) if name not in _WHEN.get(table, ())]
        if table == "audit_log":
            columns = [c for c in columns if c != "details"]  # holds file paths and timings
        listed = ", ".join(f'"{c}"' for c in columns)
        rows = (tuple(_same_folder(v) for v in r) for r in conn.execute(f'SELECT {listed} FROM "{table}"'))
        out[table] = sorted(rows, key=repr)
    return out


def test_loads_store_the_same_records_on_both_databases(tmp_path, postgres_url):
    """The demo's evidence, loaded through every lane (plain and quoted CSV, JSON, per-row metadata and
    markings, FtM entities with names), is the same record for record, hash for hash, on both."""
    from engine.store.schema import table_names

    with _demo_case(str(tmp_path / "case.db")) as sqlite_case, _demo_case(postgres_url) as pg_case:
        tables = sorted(table_names(sqlite_case.conn))
        assert any(t.startswith("ev_") for t in tables) and "entity_names" in tables
        assert set(tables) <= set(table_names(pg_case.conn))
        on_sqlite, on_pg = _contents(sqlite_case.conn, tables), _contents(pg_case.conn, tables)
        for table in tables:
            assert on_pg[table] == on_sqlite[table], table
        assert pg_case.verify_audit().ok


def test_a_load_with_a_bad_row_stores_nothing_on_postgres(tmp_path, postgres_url):
    from engine.store.errors import LoadError

    program = api.load_rulebook(OFAC)
    bad = tmp_path / "facts"
    bad.mkdir()
    (bad / "owns.csv").write_text("owner,owned,percent\nA,B,30\nC,D,lots\n")
    with api.Case.open(postgres_url) as case:
        case.load(program, FACTS / "lists")
        before = _contents(case.conn, ["ev_listed", "ev_owns", "loads", "audit_log", "sources"])
        with pytest.raises(LoadError) as err:
            case.load(program, bad)
        assert [p.code for p in err.value.problems] == ["L004"]
        assert _contents(case.conn, ["ev_listed", "ev_owns", "loads", "audit_log", "sources"]) == before


def test_a_load_leaves_statistics_of_the_tables_it_filled(postgres_url):
    """A run right after a load is planned by the evidence's statistics (evidence.analyze), not by guesses
    until autovacuum comes to the tables a minute later."""
    program = api.load_rulebook(OFAC)
    with api.Case.open(postgres_url) as case:
        case.load(program, FACTS / "lists")
        analyzed = {r[0] for r in case.conn.execute("SELECT DISTINCT tablename FROM pg_stats "
                                                    "WHERE schemaname = current_schema()")}
        assert case.conn.execute("SELECT count(*) FROM ev_listed").fetchone()[0] > 0
        assert "ev_listed" in analyzed


def test_load_run_query_and_why_through_the_command_line(postgres_url):
    runner = CliRunner()
    first = runner.invoke(main, ["load", str(OFAC), str(FACTS / "registry"), "--db", postgres_url])
    assert first.exit_code == 0, first.output
    assert f"loaded into {postgres_url}: 99 new records, 0 already present" in first.output
    again = runner.invoke(main, ["load", str(OFAC), str(FACTS / "registry"), "--db", postgres_url, "--json"])
    assert again.exit_code == 0 and '"added": 0' in again.output and '"duplicates": 99' in again.output
    assert runner.invoke(main, ["load", str(OFAC), str(FACTS / "lists"), "--db", postgres_url]).exit_code == 0
    run = runner.invoke(main, ["run", str(OFAC), "--db", postgres_url, "--as-of", "2024-09-30"])
    assert run.exit_code == 0 and "full run: no earlier run of these rulebooks" in run.output
    query = runner.invoke(main, ["query", "blocked_stake(X, T)", "--db", postgres_url])
    assert query.exit_code == 0 and "co:baltic-grain\t49.99" in query.output, query.output
    why = runner.invoke(main, ["why", 'blocked("co:arctic-fisheries")', "--db", postgres_url])
    assert why.exit_code == 0 and 'blocked("co:arctic-fisheries")' in why.output and "holds" in why.output
    listed = runner.invoke(main, ["runs", "--db", postgres_url])
    assert listed.exit_code == 0 and "run-000001" in listed.output


REGIMES = ("ofac_50.rules", "eu_ownership_control.rules", "uk_ownership_control.rules", "screening.rules",
           "evidence_standards.rules")


def test_runs_derive_the_same_facts_rounds_and_rules_on_both_databases(tmp_path, postgres_url):
    """Every shipped rulebook run over the demo case: the same conclusions, and every stored fact with the
    same round and rule, on PostgreSQL as on SQLite."""
    from engine.store.schema import table_names

    with _demo_case(str(tmp_path / "case.db")) as sqlite_case, _demo_case(postgres_url) as pg_case:
        for name in REGIMES:
            program = api.load_rulebook(ROOT / "rulebooks" / name)
            for as_of in ("2024-07-02", "2024-11-01"):
                on_sqlite = sqlite_case.run(program, as_of=as_of, known_at=as_of, full=True)
                on_pg = pg_case.run(program, as_of=as_of, known_at=as_of)
                assert (on_pg.run_id, on_pg.counts, on_pg.conclusions) == \
                       (on_sqlite.run_id, on_sqlite.counts, on_sqlite.conclusions), (name, as_of)
        facts = sorted(t for t in table_names(sqlite_case.conn) if t.startswith(("fact_", "run_")))
        assert facts and set(facts) <= set(table_names(pg_case.conn))
        assert _contents(pg_case.conn, facts) == _contents(sqlite_case.conn, facts)
        assert pg_case.verify_audit().ok


def test_every_proof_is_the_same_on_both_databases(tmp_path, postgres_url):
    """`why` of every conclusion of the OFAC and screening runs, and a `whynot`: the same proof JSON (every
    step, round, rule and record) from a case on PostgreSQL as from the case file."""
    from engine.numbers import argument_text
    from engine.proof.api import render

    with _demo_case(str(tmp_path / "case.db")) as sqlite_case, _demo_case(postgres_url) as pg_case:
        runs = []
        for name in ("ofac_50.rules", "screening.rules"):
            program = api.load_rulebook(ROOT / "rulebooks" / name)
            run = sqlite_case.run(program, as_of="2024-09-30", known_at="2024-09-30", full=True).run_id
            runs.append(run)
            assert pg_case.run(program, as_of="2024-09-30", known_at="2024-09-30").run_id == run
            atoms = [f"{predicate}({', '.join(argument_text(v) for v in row)})"
                     for predicate, rows in sorted(sqlite_case.conclusions(run).items()) for row in rows]
            assert len(atoms) > 10
            for atom in atoms:
                assert render(pg_case.why(atom, run), "json") == render(sqlite_case.why(atom, run), "json"), atom
        for absent in ('blocked("co:nowhere")', 'blocked("co:sable-logistics")'):
            assert render(pg_case.whynot(absent, runs[0]), "json") == render(sqlite_case.whynot(absent, runs[0]), "json")
        assert pg_case.verify_audit().ok


def test_replay_and_point_questions_on_postgres(tmp_path, postgres_url):
    """What evaluates rules outside a stored run, in a scratch schema rolled back on PostgreSQL: every run
    replays exactly (its proofs too), and a question asked of a rulebook without a current run gets the
    answer it gets from the case file; nothing of the scratch work stays in the database."""
    from engine.proof.api import render

    with _demo_case(str(tmp_path / "case.db")) as sqlite_case, _demo_case(postgres_url) as pg_case:
        for name in ("ofac_50.rules", "eu_ownership_control.rules"):
            program = api.load_rulebook(ROOT / "rulebooks" / name)
            run = pg_case.run(program, as_of="2024-09-30", known_at="2024-09-30").run_id
            report = pg_case.replay(run, proofs="all")
            assert report.identical and report.proofs_compared == report.conclusions > 0, report
        uk = api.load_rulebook(ROOT / "rulebooks/uk_ownership_control.rules")
        for ask in (lambda case: case.why('blocked("co:arctic-fisheries")', program=uk, as_of="2024-09-30", known_at="2024-09-30"),
                    lambda case: case.whynot('blocked("co:sable-logistics")', program=uk, as_of="2024-09-30", known_at="2024-09-30")):
            assert render(ask(pg_case), "json") == render(ask(sqlite_case), "json")
        assert pg_case.query("blocked(X)", program=uk, as_of="2024-09-30", known_at="2024-09-30") == \
            sqlite_case.query("blocked(X)", program=uk, as_of="2024-09-30", known_at="2024-09-30")
        left = pg_case.conn.execute("SELECT COUNT(*) FROM pg_namespace WHERE nspname LIKE 'warrant_scratch%'")
        assert left.fetchone()[0] == 0
        assert pg_case.verify_audit().ok
