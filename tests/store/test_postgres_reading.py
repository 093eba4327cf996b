"""The commands that read stored runs give the same bytes on a case on PostgreSQL as on the case file it was
moved from (issue 18): the demo case is built and run on SQLite, `warrant migrate` copies it, and each
command's output, and each file it writes, is compared between the two. Each test gets a fresh database."""

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
VOLKHOV = 'blocked("co:volkhov-energy")'  # blocked through an aggregate of holdings (run-000009: OFAC, 1 Nov 2024)
MERIDIAN = 'blocked("co:meridian-capital")'  # held 49.9% by blocked persons: not blocked
PAYMENT = 'needs_review("tx:2024-006", "co:tallis-trading")'  # run-000015 says yes, run-000014 no


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory, case_files_kept) -> Path:
    """The demo case file with its 15 runs (examples/demo/run_demo.py), a file on either pass of the suite."""
    sys.path.insert(0, str(DEMO))
    try:
        spec = importlib.util.spec_from_file_location("run_demo", DEMO / "run_demo.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(DEMO))
    path = tmp_path_factory.mktemp("demo") / "case.db"
    with case_files_kept(), module.build(path) as case:
        module.run_all(case)
        module.retrospective(case)
    return path


@pytest.fixture
def both(demo_file, tmp_path, postgres_url) -> tuple[str, str]:
    """A copy of the demo case file, and the same case moved into a fresh PostgreSQL database."""
    copy = tmp_path / "case.db"
    shutil.copyfile(demo_file, copy)
    moved = CliRunner().invoke(main, ["migrate", "--from", str(copy), "--to", postgres_url])
    assert moved.exit_code == 0, moved.output
    return str(copy), postgres_url


def _on(db: str, args: list[str]):
    return CliRunner().invoke(main, [a.replace("@DB", db) for a in args], catch_exceptions=False)


COMMANDS = [
    ["runs", "--db", "@DB"],
    ["runs", "--db", "@DB", "--json"],
    ["query", "blocked(X)", "--db", "@DB", "--run", "run-000009"],
    ["query", 'owns(X, "co:meridian-capital", P)', "--db", "@DB", "--run", "run-000009", "--json"],
    ["query", "owns(X, Y, 100)", "--db", "@DB", "--run", "run-000004"],
    ["query", "blocked(X)", "--db", "@DB"],  # the latest run has no blocked: Q001 on both
    ["why", VOLKHOV, "--db", "@DB", "--run", "run-000009"],
    ["why", VOLKHOV, "--db", "@DB", "--run", "run-000009", "--format", "json"],
    ["why", VOLKHOV, "--db", "@DB", "--run", "run-000009", "--format", "dot"],
    ["why", VOLKHOV, "--db", "@DB", "--run", "run-000009", "--format", "svg"],
    ["why", VOLKHOV, "--db", "@DB", "--run", "run-000009", "--court"],
    ["why", VOLKHOV, "--db", "@DB", "--run", "run-000009", "--court", "--format", "html"],
    ["why", PAYMENT, "--db", "@DB", "--run", "run-000015"],
    ["why", PAYMENT, "--db", "@DB", "--format", "md"],
    ["why", MERIDIAN, "--db", "@DB", "--run", "run-000009"],  # does not hold: Q-error on both
    ["whynot", MERIDIAN, "--db", "@DB", "--run", "run-000009"],
    ["whynot", MERIDIAN, "--db", "@DB", "--run", "run-000009", "--format", "json"],
    ["whynot", PAYMENT, "--db", "@DB", "--run", "run-000014"],
    ["whynot", PAYMENT, "--db", "@DB", "--run", "run-000014", "--format", "dot"],
    ["diff", "run-000004", "run-000009", "--db", "@DB"],
    ["diff", "run-000014", "run-000015", "--db", "@DB", "--json"],
    ["diff", "run-000001", "run-000015", "--db", "@DB"],
    ["alerts", "--db", "@DB"],
    ["alerts", "--db", "@DB", "--json"],
    ["export-ftm", "--db", "@DB"],
    ["export-ftm", "--db", "@DB", "--run", "run-000009"],
    ["record", "27c9a3c8ce6d", "--db", "@DB"],
    ["record", "27c9a3c8ce6d", "--db", "@DB", "--json"],
]


@pytest.mark.postgres
def test_read_commands_print_the_same_bytes_on_both_databases(both):
    case_file, url = both
    for args in COMMANDS:
        on_file, on_pg = _on(case_file, args), _on(url, args)
        assert on_file.exit_code in (0, 1, 2) and "Traceback" not in on_file.output, (args, on_file.output)
        assert (on_pg.exit_code, on_pg.stdout_bytes, on_pg.stderr_bytes) == \
               (on_file.exit_code, on_file.stdout_bytes, on_file.stderr_bytes), args
    assert _on(url, ["audit", "verify", "--db", "@DB"]).exit_code == 0  # each read was logged, the chain holds


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.postgres
@pytest.mark.parametrize("args", [
    ["export", VOLKHOV, "--run", "run-000009", "-o"],  # a bundle: proof, evidence, rulebooks, manifest
    ["report", "--run", "run-000009", "--run", "run-000015", "-o"],
    ["why", "--all", "blocked", "--run", "run-000009", "--format", "svg", "-o"],
], ids=["bundle", "report", "why-all"])
def test_written_files_are_the_same_on_both_databases(both, tmp_path, args):
    written = {}
    for side, db in zip(("file", "pg"), both):
        result = _on(db, args + [str(tmp_path / side), "--db", db])
        assert result.exit_code == 0, result.output
        written[side] = _files(tmp_path / side)
    assert len(written["file"]) > 3 and written["pg"] == written["file"]


@pytest.mark.postgres
def test_a_bundle_and_a_proof_are_checked_against_either_database(both, tmp_path):
    case_file, url = both
    bundle = tmp_path / "bundle"
    assert _on(case_file, ["export", VOLKHOV, "--run", "run-000009", "-o", str(bundle), "--db", "@DB"]).exit_code == 0
    tampered = json.loads((bundle / "proof.json").read_text())
    evidence = next(n for n in tampered["nodes"].values() if n["kind"] == "evidence" and n["predicate"] == "owns")
    evidence["args"][2] += 1  # a holding of another size than the record the case holds
    (tmp_path / "tampered.json").write_text(json.dumps(tampered))
    for args in (["verify-proof", str(bundle), "--db", "@DB"], ["verify-proof", str(bundle / "proof.json"), "--db", "@DB"],
                 ["verify-proof", str(tmp_path / "tampered.json"), "--db", "@DB", "--json"]):
        on_file, on_pg = _on(case_file, args), _on(url, args)
        assert (on_pg.exit_code, on_pg.stdout_bytes) == (on_file.exit_code, on_file.stdout_bytes), args
    assert on_pg.exit_code == 1 and '"valid": false' in on_pg.output


@pytest.fixture
def marked(tmp_path, postgres_url) -> tuple[str, str]:
    """tests/audit/redaction_case.py's case (blocked("A") rests on a visible and a SECRET stake; principals
    analyst, SECRET, and liaison, OFFICIAL) in a case file, and moved to PostgreSQL once liaison has read a
    redacted proof there: the commitments' salts are the case's, made on first use, and move with it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
    try:
        from redaction_case import make_case
    finally:
        sys.path.pop(0)
    make_case(tmp_path)
    case_file = str(tmp_path / "case.db")
    assert _on(case_file, ["--as", "liaison", "why", 'blocked("A")', "--db", "@DB"]).exit_code == 0
    assert CliRunner().invoke(main, ["migrate", "--from", case_file, "--to", postgres_url]).exit_code == 0
    return case_file, postgres_url


@pytest.mark.postgres
def test_each_principal_reads_the_same_on_both_databases(marked, tmp_path):
    """What the owner, a cleared analyst and a liaison from whom the SECRET source is withheld are shown (the
    liaison's proofs redacted, its query without the withheld rows), and the bundles each exports."""
    case_file, url = marked
    secret = CliRunner().invoke(main, ["query", "owns(X, Y, P)", "--db", case_file, "--json"])
    for who in ([], ["--as", "analyst"], ["--as", "liaison"]):
        for args in (["why", 'blocked("A")'], ["why", 'blocked("A")', "--format", "json"],
                     ["why", 'blocked("A")', "--court"], ["query", "owns(X, Y, P)"], ["query", "blocked(X)"],
                     ["whynot", 'frozen("B")'] if not who or who[1] == "analyst" else ["runs"], ["export-ftm"]):
            on_file, on_pg = _on(case_file, who + args + ["--db", "@DB"]), _on(url, who + args + ["--db", "@DB"])
            assert (on_pg.exit_code, on_pg.stdout_bytes) == (on_file.exit_code, on_file.stdout_bytes), who + args
        bundles = [tmp_path / f"{side}{len(who)}" for side in ("file", "pg")]
        for db, bundle in zip((case_file, url), bundles):
            assert _on(db, who + ["export", 'blocked("A")', "-o", str(bundle), "--db", "@DB"]).exit_code == 0
        assert _files(bundles[1]) == _files(bundles[0])
    liaison = _on(url, ["--as", "liaison", "why", 'blocked("A")', "--format", "json", "--db", "@DB"]).output
    assert "withheld" in liaison and "co:yarrow-holdings" not in liaison and "co:yarrow-holdings" in secret.output


@pytest.mark.postgres
def test_a_why_not_for_a_reader_with_records_withheld_is_the_same_on_both_databases(marked):
    """A why-not for a reader from whom records are withheld evaluates the rules again over what it may see,
    in a scratch database beside a case file, and in a scratch schema rolled back on PostgreSQL."""
    case_file, url = marked
    args = ["--as", "liaison", "whynot", 'frozen("B")', "--db", "@DB"]
    on_file, on_pg = _on(case_file, args), _on(url, args)
    assert on_file.exit_code == 0 and (on_pg.exit_code, on_pg.stdout_bytes) == (on_file.exit_code, on_file.stdout_bytes)


@pytest.mark.postgres
def test_a_readers_first_commitment_on_postgres_makes_its_salt_there(marked):
    import psycopg

    _, url = marked
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE commitment_salts")  # as in a case moved before anyone read a redacted proof
    result = _on(url, ["--as", "liaison", "why", 'blocked("A")', "--format", "json", "--db", "@DB"])
    assert result.exit_code == 0 and "withheld" in result.output, result.output
    with psycopg.connect(url) as conn:
        salts = conn.execute("SELECT salt FROM commitment_salts").fetchall()
    assert salts and all(isinstance(s, bytes) and len(s) == 16 for (s,) in salts)


@pytest.fixture
def icu_database(postgres_url):
    """A fresh database beside `postgres_url`'s that sorts text under an ICU (English) collation."""
    import psycopg
    from urllib.parse import urlsplit, urlunsplit

    name = urlsplit(postgres_url).path[1:] + "_icu"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
                     "LOCALE 'C.UTF-8'")
    url = urlunsplit(urlsplit(postgres_url)._replace(path=f"/{name}"))
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT 'B' < 'a', 'B' < 'a' COLLATE \"C\"").fetchone() == (False, True)
    yield url
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_a_case_is_made_only_in_a_database_that_sorts_text_byte_by_byte(icu_database, demo_file, tmp_path):
    """Under an English collation "a" sorts before "B", which a case file (SQLite) sorts first: a query would
    list rows in another order. Neither a load nor migrate makes a case there (S010), and nothing is left."""
    from engine.store.backend_pg import open_database

    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nb,SDN\nB,SDN\na,SDN\n")
    commands = (["load", str(DEMO.parents[1] / "rulebooks/ofac_50.rules"), str(facts), "--db", icu_database],
                ["migrate", "--from", str(demo_file), "--to", icu_database])
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2 and "[S010]" in result.output and "Traceback" not in result.output, result.output
        assert "an ICU collation" in result.output and "--locale=C.UTF-8" in result.output
        with open_database(icu_database) as pg:
            assert pg.tables() == []


@pytest.mark.postgres
def test_a_moved_case_takes_new_runs_and_loads_and_reads_them_alike(both):
    """migrate makes every number column numeric (it cannot tell a count from a percent in a case file); the
    evidence tables still pass as the declarations' own (not S001), so the moved case runs and loads on."""
    case_file, url = both
    ofac = str(DEMO.parents[1] / "rulebooks/ofac_50.rules")
    run = ["run", ofac, "--db", "@DB", "--as-of", "2024-11-01", "--known-at", "2024-12-01", "--full"]
    for args in (run, ["why", VOLKHOV, "--db", "@DB"], ["whynot", MERIDIAN, "--db", "@DB"],
                 ["query", "blocked(X)", "--db", "@DB"], ["diff", "run-000009", "run-000016", "--db", "@DB"]):
        on_file, on_pg = _on(case_file, args), _on(url, args)
        assert on_file.exit_code == 0, (args, on_file.output)
        assert (on_pg.exit_code, on_pg.stdout_bytes) == (on_file.exit_code, on_file.stdout_bytes), args
    loaded = [_on(db, ["load", ofac, str(DEMO / "updates" / "registry"), "--db", "@DB", "--json"]) for db in both]
    assert loaded[0].exit_code == loaded[1].exit_code == 0, loaded[1].output
    assert json.loads(loaded[1].output)["duplicates"] == json.loads(loaded[0].output)["duplicates"] > 0


BOREALIS = 'blocked("co:borealis-trading")'
PAGES = [("/", {}), ("/search", {"q": "borealis"}), ("/api/search", {"q": "CO:BOREALIS"}),
         ("/api/search", {"q": "%"}), ("/entity", {"id": "co:borealis-trading"}), ("/entity", {"id": "co:volkhov-energy"}),
         ("/api/reason", {"run": "run-000011", "atom": BOREALIS}), ("/conclusion", {"run": "run-000010", "atom": BOREALIS}),
         ("/court", {"run": "run-000010", "atom": BOREALIS}), ("/whynot", {"run": "run-000009", "atom": BOREALIS}),
         ("/whynot", {"run": "run-000009"}), ("/diff", {"a": "run-000005", "b": "run-000010"}),
         ("/conclusion", {"run": "run-000010", "atom": 'blocked("co:nobody")'})]


def _pages(both: tuple[str, str], pages: list, as_principal: str | None = None) -> dict[str, list]:
    """Each page's status and HTML from the workbench over either database (the case's location as CASE);
    on PostgreSQL, a write through the workbench's connection is refused first."""
    from starlette.testclient import TestClient

    from engine.store.backend import shown_url
    from engine.workbench.app import create_app

    shown = {}
    for db, location in zip(both, (both[0], shown_url(both[1]))):
        with TestClient(create_app(db, as_principal=as_principal)) as client:
            if db == both[1]:
                with pytest.raises(Exception, match="read-only transaction"):
                    client.app.state.workbench.case.conn.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
            shown[db] = [(r.status_code, r.text.replace(location, "CASE"))
                         for r in (client.get(path, params=query) for path, query in pages)]
    return shown


@pytest.mark.postgres
def test_the_workbench_shows_the_same_pages_on_both_databases(both):
    """warrant serve over a case on PostgreSQL: every page as over the case file (the case's location aside),
    each view appended to the audit log there, and the session refusing writes."""
    from engine import api

    shown = _pages(both, PAGES)
    assert shown[both[1]] == shown[both[0]] and {s for s, _ in shown[both[0]]} == {200, 400}
    with api.Case.open(both[1], create=False) as case:
        views = case.audit_entries(action="view.why")
        assert views and case.verify_audit().ok


@pytest.mark.postgres
def test_the_workbench_shows_a_reader_the_same_pages_on_both_databases(marked):
    """As the liaison, from whom the SECRET source is withheld: redacted proofs, a why-not over what it may
    see, entities without the withheld holding, alike on both."""
    atom = {"run": "run-000001", "atom": 'blocked("A")'}
    pages = [("/", {}), ("/search", {"q": "a"}), ("/entity", {"id": "A"}), ("/conclusion", atom), ("/court", atom),
             ("/whynot", {"run": "run-000001", "atom": 'frozen("B")'})]
    shown = _pages(marked, pages, "liaison")
    assert shown[marked[1]] == shown[marked[0]] and all(status == 200 for status, _ in shown[marked[0]])
    assert all("co:yarrow-holdings" not in html for _, html in shown[marked[1]])
