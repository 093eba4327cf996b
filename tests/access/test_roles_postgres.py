"""Principals of a case on PostgreSQL are database roles (issue 18): a reader's role cannot change evidence,
runs or the audit log (SQLSTATE 42501 from the server itself), nobody's role may change or remove an audit
entry, and row-level security shows a reader connected directly the records its markings allow, exactly those
the application shows it. Each test gets a fresh database on the test server (tests/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

from engine import api
from engine.access.markings import TLP_LEVELS
from engine.access.principals import Principal
from engine.access.reader import Reader
from engine.cli import main
from test_markings import RULES  # listed and owns

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [{"id": "press", "name": "Press"},
           {"id": "fiu", "name": "Partner FIU", "classification": "SECRET", "releasability": "REL TO UK, FR"},
           {"id": "desk", "name": "Local desk", "releasability": "LOCAL ONLY"}]
LISTED = ("party,list,_classification,_releasability,_caveats\n"
          "P1,SDN,,,\nP2,SDN,SECRET,,\nP3,SDN,TOP SECRET,,\nP4,SDN,,REL TO UK,\nP5,SDN,,REL TO FR,\n"
          "P6,SDN,,LOCAL ONLY,\nP7,SDN,,,ORCON\nP8,SDN,SECRET,REL TO UK,ORCON\n")
OWNS = "owner,owned,percent\nP1,C1,30\nP2,C1,25\n"
PRINCIPALS = [  # name, kind, clearance, nationality, caveats
    ("liaison", "user", "OFFICIAL", "UK", None), ("analyst", "user", "SECRET", "UK", None),
    ("partner", "agency", "TOP SECRET", "FR", "ORCON"), ("cleared", "user", "TOP SECRET", "UK", "ORCON"),
    ("visitor", "user", "SECRET", "DE", None)]


def as_role(url: str, role: str) -> str:
    """`url` connecting as `role` (the test server trusts local connections: no password)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{role}@{parts.netloc.rsplit('@', 1)[1]}"))


def _facts(root: Path) -> tuple:
    (root / "m.rules").write_text(RULES)
    folder = root / "facts"
    folder.mkdir()
    (folder / "listed.csv").write_text(LISTED)
    (folder / "owns.csv").write_text(OWNS)
    (folder / "manifest.json").write_text(json.dumps({"sources": SOURCES, "files": {
        "listed.csv": {"source": "press"}, "owns.csv": {"source": "fiu"}}}))
    return api.load_rulebook(root / "m.rules"), folder


def _visible_in_database(url: str, table: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute(f"SELECT _hash FROM {table}")}


def _sqlstate(url: str, statement: str) -> str | None:
    """The SQLSTATE the server answers `statement` with, run as the URL's role (None: it was allowed)."""
    import psycopg

    with psycopg.connect(url) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            return exc.sqlstate
        finally:
            conn.rollback()
    return None


@pytest.fixture
def postgres_url(postgres_url):
    """The test's database (tests/conftest.py); the roles the test made, which the whole server shares, are
    dropped after it, with what they own and were granted."""
    import psycopg

    def roles() -> set[str]:
        with psycopg.connect(postgres_url) as conn:
            return {r[0] for r in conn.execute("SELECT rolname FROM pg_roles")}

    before = roles()
    yield postgres_url
    made = sorted(roles() - before)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for role in made:
            conn.execute(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


@pytest.fixture
def team(tmp_path, postgres_url):
    """A case with marked evidence (a run's facts too, moved from a case file), five readers and a writer."""
    program, facts = _facts(tmp_path)
    case_file = str(tmp_path / "case.db")
    with api.Case.open(case_file) as case:
        case.load(program, facts)
        case.run(program, as_of="2024-01-01")
    api.migrate_case(case_file, postgres_url)
    with api.Case.open(postgres_url) as case:
        for name, kind, clearance, nationality, caveats in PRINCIPALS:
            case.add_principal(name, kind, clearance, nationality, caveats)
        case.add_principal("loader", "user", "TOP SECRET", "UK", "ORCON", access="writer")
        case.add_principal("boss", "user", "TOP SECRET", "UK", "ORCON", access="owner")
    return postgres_url


def test_principal_add_makes_a_login_role_in_the_case_group(postgres_url, tmp_path):
    import psycopg

    runner = CliRunner()
    added = runner.invoke(main, ["principal", "add", "analyst", "--clearance", "SECRET", "--nationality", "UK",
                                 "--db", postgres_url])
    assert added.exit_code == 0, added.output
    assert "added analyst (user, UK, cleared SECRET), database role analyst (reader)" in added.output
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        db = conn.execute("SELECT current_database()").fetchone()[0]
        conn.execute("CREATE ROLE existing_login LOGIN")
        groups = dict(conn.execute("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE %s",
                                   [f"warrant_{db}_%"]).fetchall())
        assert groups == {f"warrant_{db}_{a}": False for a in ("owner", "reader", "writer")}
        assert conn.execute("SELECT rolcanlogin, pg_has_role('analyst', %s, 'MEMBER'), "
                            "pg_has_role('analyst', %s, 'MEMBER') FROM pg_roles WHERE rolname = 'analyst'",
                            [f"warrant_{db}_reader", f"warrant_{db}_writer"]).fetchone() == (True, True, False)
    linked = runner.invoke(main, ["principal", "add", "bob", "--clearance", "OFFICIAL", "--nationality", "UK",
                                  "--access", "writer", "--role", "existing_login", "--db", postgres_url])
    assert linked.exit_code == 0 and "database role existing_login (writer)" in linked.output, linked.output
    taken = runner.invoke(main, ["principal", "add", "carol", "--clearance", "OFFICIAL", "--nationality", "UK",
                                 "--role", "analyst", "--db", postgres_url])
    assert taken.exit_code == 2 and "already principal 'analyst'" in taken.output and "[A001]" in taken.output
    listed = runner.invoke(main, ["principal", "list", "--db", postgres_url, "--json"])
    assert [(p["name"], p["role"], p["access"]) for p in json.loads(listed.output)] == [
        ("analyst", "analyst", "reader"), ("bob", "existing_login", "writer")]
    with api.Case.open(postgres_url) as case:  # carol's refusal undid her row with her role
        assert [p.name for p in case.principals()] == ["analyst", "bob"]
    on_file = runner.invoke(main, ["principal", "add", "dave", "--clearance", "OFFICIAL", "--nationality", "UK",
                                   "--access", "writer", "--db", str(tmp_path / "case.db")])
    assert on_file.exit_code == 2 and "only a case on PostgreSQL has" in on_file.output


def test_a_reader_role_cannot_change_evidence_runs_or_the_audit_log(team):
    import psycopg

    with psycopg.connect(team) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]
    assert {"ev_listed", "ev_owns", "runs", "run_clocks", "loads", "audit_log", "record_markings"} <= set(tables)
    assert any(t.startswith("fact_") for t in tables)
    reader = as_role(team, "analyst")
    for table in tables:
        changes = {"UPDATE": f"UPDATE {table} SET {_first_column(team, table)} = NULL",
                   "DELETE": f"DELETE FROM {table}", "TRUNCATE": f"TRUNCATE {table}"}
        if table != "audit_log":  # a reader's reads are logged: it appends, through the chain
            changes["INSERT"] = f"INSERT INTO {table} SELECT * FROM {table} LIMIT 0"
        for verb, statement in changes.items():
            assert _sqlstate(reader, statement) == "42501", (table, verb)
        hidden = table.startswith("fact_") or table == "commitment_salts"
        assert _sqlstate(reader, f"SELECT * FROM {table}") == ("42501" if hidden else None), table
    for role in ("loader", "boss"):  # the audit log and the evidence are append-only for every role
        for table in ("audit_log", "ev_listed", "runs"):
            for statement in (f"UPDATE {table} SET {_first_column(team, table)} = NULL", f"DELETE FROM {table}",
                              f"TRUNCATE {table}"):
                assert _sqlstate(as_role(team, role), statement) == "42501", (role, statement)
    for statement in ("UPDATE sources SET classification = NULL", "UPDATE meta SET value = '[]'",
                      "INSERT INTO principal_roles VALUES ('x', 'loader2', 'owner')"):  # what marks records, or who is who
        assert _sqlstate(as_role(team, "loader"), statement) == "42501", statement


def _groups(url: str) -> str:
    """The stem of the case's group roles' names."""
    return "warrant_" + urlsplit(url).path[1:]


def _first_column(url: str, table: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                            "ORDER BY ordinal_position LIMIT 1", [table]).fetchone()[0]


def _seen_alike(team: str) -> dict[str, list[str]]:
    """The listed parties each reader's role sees directly, having checked that they are, table by table, the
    records the application shows that reader."""
    with api.Case.open(team) as case:
        everything = {t: {r[0] for r in case.conn.execute(f"SELECT _hash FROM {t}")} for t in ("ev_listed", "ev_owns")}
        parties = dict(case.conn.execute("SELECT _hash, party FROM ev_listed").fetchall())
        people = {p.name: p for p in case.principals()}
        seen = {}
        for name in [p[0] for p in PRINCIPALS]:  # the readers
            hidden = Reader(case.conn, people[name], case.scheme).hidden_records(["listed", "owns"])
            for table, hashes in everything.items():
                direct = _visible_in_database(as_role(team, name), table)
                assert direct == hashes - hidden, (name, table)
            seen[name] = sorted(parties[h] for h in _visible_in_database(as_role(team, name), "ev_listed"))
    return seen


def test_a_reader_sees_the_same_records_directly_as_through_the_application(team):
    everything = {t: _visible_in_database(team, t) for t in ("ev_listed", "ev_owns")}
    seen = _seen_alike(team)
    assert seen["liaison"] == ["P1", "P4", "P6"]
    assert seen["analyst"] == ["P1", "P2", "P4", "P6"]
    assert seen["partner"] == ["P1", "P2", "P3", "P5", "P7"]  # an agency: never LOCAL ONLY, not REL TO UK
    assert seen["cleared"] == ["P1", "P2", "P3", "P4", "P6", "P7", "P8"]
    assert seen["visitor"] == ["P1", "P2", "P6"]
    for name in ("loader", "boss"):  # a writer and an owner see every record
        assert {t: _visible_in_database(as_role(team, name), t) for t in everything} == everything


def test_the_owner_groups_scheme_change_holds_readers_at_once(team):
    """`warrant markings scheme` connected as a member of the owner group changes the scheme; the server then
    withholds by it (P1, without a marking of its own or its source's, is now SECRET and withheld from the OFFICIAL
    liaison; P4 and P6, marked as they were loaded, keep the level the default then gave them), as the
    application does. A writer's role may not change it, as only the owner may on a case file."""
    args = ["markings", "scheme", "--levels", "OFFICIAL,SECRET,TOP SECRET", "--default", "SECRET", "--db"]
    refused = CliRunner().invoke(main, args + [as_role(team, "loader")])
    assert refused.exit_code == 2 and "loader may not change the marking scheme" in refused.output, refused.output
    assert _seen_alike(team)["liaison"] == ["P1", "P4", "P6"]
    changed = CliRunner().invoke(main, args + [as_role(team, "boss")])
    assert changed.exit_code == 0, changed.output
    seen = _seen_alike(team)
    assert seen["liaison"] == ["P4", "P6"] and seen["analyst"] == ["P1", "P2", "P4", "P6"]
    shown = CliRunner().invoke(main, ["markings", "show", "--db", as_role(team, "liaison")])
    assert shown.output == "OFFICIAL < SECRET < TOP SECRET (a record without a marking: SECRET)\n"


def test_a_writer_imports_and_runs_in_a_case_its_owner_just_made(postgres_url):
    """A case made on the server by its owner's first command (`markings scheme`), not moved from a case file:
    its tables are append-only from the start, so a writer's first import (FtM, names too) and run go through
    the writer's role, which may not change what they stored. (Before, the writer's import was A003 on `loads`:
    it tried to add the triggers the owner's tables lacked.)"""
    runner = CliRunner()
    for args in (["markings", "scheme", "--preset", "default"], ["principal", "add", "loader", "--clearance",
                                                                 "TOP SECRET", "--nationality", "UK", "--access", "writer"]):
        assert runner.invoke(main, args + ["--db", postgres_url]).exit_code == 0
    for table in ("loads", "runs", "rulebooks"):
        assert _sqlstate(postgres_url, f"DELETE FROM {table}") == "P0001", table  # the trigger, even for the owner
    writer = as_role(postgres_url, "loader")
    imported = runner.invoke(main, ["import", "ftm", str(ROOT / "tests/fixtures/ftm/case.ftm.jsonl"), "--db", writer])
    assert imported.exit_code == 0 and "26 new records" in imported.output, imported.output
    ran = runner.invoke(main, ["run", str(ROOT / "rulebooks/ofac_50.rules"), "--as-of", "2025-01-01", "--db", writer])
    assert ran.exit_code == 0 and '    blocked("c-beta")\n' in ran.output, ran.output
    for table in ("loads", "runs", "rulebooks", "ev_listed", "fact_blocked"):
        assert _sqlstate(writer, f"DELETE FROM {table}") == "42501", table
    why = runner.invoke(main, ["why", 'blocked("c-beta")', "--db", postgres_url])
    assert why.exit_code == 0 and "Beta Trading LLC (c-beta)" in why.output, why.output


def test_the_database_rule_follows_the_scheme_and_refuses_unchecked_markings(team):
    """A marking the scheme does not know (written by hand, as no load would) is seen by no reader, as the
    application withholds it; the scheme's order is read from the case."""
    import psycopg

    with psycopg.connect(team, autocommit=True) as conn:
        conn.execute("INSERT INTO record_markings SELECT _hash, 'CONFIDENTIAL', NULL, NULL FROM ev_listed "
                     "WHERE party = 'P1'")
        conn.execute("UPDATE record_markings SET releasability = 'REL TO uk' WHERE hash IN "
                     "(SELECT _hash FROM ev_listed WHERE party = 'P4')")  # as a hand would write it: still UK
    with api.Case.open(team) as case:
        parties = dict(case.conn.execute("SELECT _hash, party FROM ev_listed").fetchall())
        analyst = next(p for p in case.principals() if p.name == "analyst")
        hidden = Reader(case.conn, analyst, case.scheme).hidden_records(["listed"])
    direct = {parties[h] for h in _visible_in_database(as_role(team, "analyst"), "ev_listed")}
    assert direct == {parties[h] for h in set(parties) - hidden} == {"P2", "P4", "P6"}


CLASSIFICATIONS = [None, "OFFICIAL", "SECRET", "TOP SECRET", "secret", " top \t secret ", "CONFIDENTIAL", ""]
RELEASABILITIES = [None, "LOCAL ONLY", "noforn", "REL TO UK", "REL TO FR, UK", "rel to  de ,uk", "REL TO", "REL TO UK,",
                   "REL TO 1X", "", "UK"]
CAVEATS = [None, "ORCON", "ORCON,LIMDIS", " orcon ", "LIMDIS", "", "ORCON,", "A B", "!"]


def test_the_database_rule_is_the_applications_for_every_marking(team):
    """Every combination of written and miswritten classification, releasability and caveats, for users and an
    agency of each clearance: the server's warrant_sees is Principal.may_see of the marking the application
    reads (a marking the scheme refuses is seen by nobody)."""
    _same_rule(team, CLASSIFICATIONS)


def test_the_database_rule_reads_the_cases_own_scheme(postgres_url):
    """A case with the TLP scheme and TLP:GREEN for a record without a level."""
    with api.Case.open(postgres_url) as case:
        case.set_scheme(list(TLP_LEVELS), "TLP:GREEN")
        for name, clearance in (("clear", "TLP:CLEAR"), ("green", "TLP:GREEN"), ("amber", "TLP:AMBER+STRICT")):
            case.add_principal(name, "user", clearance, "UK")
        case.add_principal("nato", "agency", "TLP:RED", "NATO", "ORCON")
    _same_rule(postgres_url, [None, *TLP_LEVELS, "tlp:amber", "SECRET", "TLP:RED "])


def _same_rule(url: str, classifications: list) -> None:
    import itertools

    import psycopg

    from engine.store.markings import marking_of

    triples = list(itertools.product(classifications, RELEASABILITIES, CAVEATS))
    with api.Case.open(url) as case:
        scheme, people = case.scheme, case.principals()
    for person in people:
        if person.name in ("loader", "boss"):
            continue
        expected = [person.may_see(marking_of(scheme, t), scheme) for t in triples]
        with psycopg.connect(as_role(url, person.name)) as conn:
            got = conn.execute("SELECT warrant_sees(c, r, v) FROM unnest(%s::text[], %s::text[], %s::text[]) "
                               "WITH ORDINALITY AS t(c, r, v, n) ORDER BY n", [list(x) for x in zip(*triples)])
            got = [r[0] for r in got]
        wrong = [(t, e) for t, e, g in zip(triples, expected, got) if e != g]
        assert not wrong, (person.name, wrong[:5])
        assert any(expected) and not all(expected)


def test_a_writer_loads_through_its_role_and_readers_see_its_new_table_by_their_markings(tmp_path, team):
    folder = tmp_path / "more"
    folder.mkdir()
    (folder / "holding.csv").write_text("id,owner,owned,percent,_classification\nh1,P1,C2,10,\nh2,P2,C2,20,SECRET\n")
    rules = tmp_path / "h.rules"
    rules.write_text('rulebook h "Holdings" version "1"\n'  # its only evidence is new to the case
                     'evidence holding(id: text, owner: entity, owned: entity, percent: percent) "a holding"\n')
    with api.Case.open(as_role(team, "loader")) as case:
        assert case.principal.name == "loader"
        case.load(api.load_rulebook(rules), folder)
    with api.Case.open(team) as case:
        owner, entry = case.conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'ev_holding'").fetchone()[0], \
            case.audit_entries(action="evidence.load")[-1]
    assert owner == f"{_groups(team)}_owner" and entry.details["principal"] == "loader"
    for statement in ("ALTER TABLE ev_holding DISABLE ROW LEVEL SECURITY", "ALTER TABLE ev_holding DISABLE TRIGGER USER",
                      "DROP TABLE ev_holding", "DELETE FROM ev_holding", "TRUNCATE ev_holding"):
        assert _sqlstate(as_role(team, "loader"), statement) == "42501", statement  # no longer the loader's table
    (folder / "holding.csv").write_text("id,owner,owned,percent,_classification\nh2,P2,C2,20,TOP SECRET\n"
                                        "h3,P3,C2,5,\n")
    with api.Case.open(as_role(team, "loader")) as case:  # into a table it no longer owns, policies in force
        again = case.load(api.load_rulebook(rules), folder)
    assert (again.added, again.duplicates) == (1, 1)
    ids = {"liaison": ["h1", "h3"], "analyst": ["h1", "h3"], "cleared": ["h1", "h2", "h3"]}  # h2 now TOP SECRET
    for name, expected in ids.items():
        with api.Case.open(as_role(team, name)) as case:
            got = sorted(r[0] for r in case.conn.execute("SELECT id FROM ev_holding"))
        assert got == expected, name


def test_a_reader_acts_as_its_own_principal_and_its_reads_are_logged(team):
    from engine.access.markings import MarkingError

    url = as_role(team, "liaison")
    with api.Case.open(url) as case:
        assert case.principal == Principal("liaison", "user", "OFFICIAL", "UK")
        case.audit("test.read", "P1", {"withheld": 0})
    with pytest.raises(MarkingError, match="cannot act as 'analyst'"):
        api.Case.open(url, as_principal="analyst")
    result = CliRunner().invoke(main, ["principal", "add", "mallory", "--clearance", "OFFICIAL", "--nationality",
                                       "UK", "--db", url])
    assert result.exit_code == 2 and "liaison may not add a principal" in result.output
    with api.Case.open(as_role(team, "boss")) as case:
        assert case.principal.owner and case.principal.name == "boss"
    loaded = CliRunner().invoke(main, ["load", str(ROOT / "rulebooks/ofac_50.rules"),
                                       str(ROOT / "examples/demo/facts/lists"), "--db", url])
    assert loaded.exit_code == 2 and "Traceback" not in loaded.output, loaded.output
    assert "error: the database refused this role: permission denied for table" in loaded.output
    assert "[A003]" in loaded.output
    no_createrole = CliRunner().invoke(main, ["principal", "add", "mallory", "--clearance", "OFFICIAL",
                                              "--nationality", "UK", "--db", as_role(team, "boss")])
    assert no_createrole.exit_code == 2 and "[A003]" in no_createrole.output, no_createrole.output
    assert "permission denied to create role" in no_createrole.output
    forged = ("INSERT INTO audit_log SELECT seq + 1, at, actor, 'test.forged', entity, "
              "'{{\"principal\": \"{}\"}}', hash, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    assert _sqlstate(url, forged.format("boss")) == "42501"  # not in another principal's name
    assert _sqlstate(as_role(team, "loader"), forged.format("liaison")) == "42501"
    assert _sqlstate(url, forged.format("liaison")) is None  # (rolled back) its own name, its own doing
    with api.Case.open(team) as case:
        last = case.audit_entries(action="test.read")[-1]
        assert (last.details["principal"], last.entity) == ("liaison", "P1") and case.verify_audit().ok


def _pg_tool(name: str) -> str:
    """The path of a PostgreSQL client program of the server's version (Debian keeps them per version)."""
    import shutil

    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    path = str(found[-1]) if found else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


def test_a_backup_restores_with_its_chain_and_its_readers_limits(team):
    """pg_dump and pg_restore into a database of another name: the audit chain verifies there, and the
    readers' roles are held to the same records (the case keeps its group roles' names)."""
    import subprocess

    import psycopg

    restored = team.replace(urlsplit(team).path, urlsplit(team).path + "_restored")
    dump = subprocess.run([_pg_tool("pg_dump"), "--format=custom", team], capture_output=True, check=True).stdout
    with psycopg.connect(team, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{urlsplit(restored).path[1:]}"')
    try:
        subprocess.run([_pg_tool("pg_restore"), "--exit-on-error", "--no-owner", "--dbname", restored], input=dump, check=True,
                       capture_output=True)
        verified = CliRunner().invoke(main, ["audit", "verify", "--db", restored])
        assert verified.exit_code == 0 and "audit log intact" in verified.output, verified.output
        for name in ("liaison", "partner"):
            assert _visible_in_database(as_role(restored, name), "ev_listed") == \
                _visible_in_database(as_role(team, name), "ev_listed")
        assert _sqlstate(as_role(restored, "liaison"), "DELETE FROM audit_log") == "42501"
    finally:
        with psycopg.connect(team, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{urlsplit(restored).path[1:]}" WITH (FORCE)')


def test_an_owner_without_superuser_sets_the_team_up(tmp_path, postgres_url):
    """As docs/teams.md has it: the administrator makes the owner's role (CREATEROLE, no superuser) and gives
    it the database; the owner makes the case and its principals, a writer loads, a reader is held back."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("CREATE ROLE alice LOGIN CREATEROLE")
        conn.execute(f'ALTER DATABASE "{urlsplit(postgres_url).path[1:]}" OWNER TO alice')
    alice = as_role(postgres_url, "alice")
    program, facts = _facts(tmp_path)
    with api.Case.open(alice) as case:
        case.load(program, facts)
        case.add_principal("liaison", "user", "OFFICIAL", "UK")
        case.add_principal("loader", "user", "SECRET", "UK", access="writer")
    more = tmp_path / "more"
    more.mkdir()
    (more / "owns.csv").write_text("owner,owned,percent\nP3,C9,60\n")
    (more / "manifest.json").write_text(json.dumps({"sources": SOURCES, "files": {"owns.csv": {"source": "press"}}}))
    with api.Case.open(as_role(postgres_url, "loader")) as case:
        assert case.load(program, more).added == 1
    with api.Case.open(alice) as case:
        everything = {r[0] for r in case.conn.execute("SELECT _hash FROM ev_owns")}
        liaison = next(p for p in case.principals() if p.name == "liaison")
        hidden = Reader(case.conn, liaison, case.scheme).hidden_records(["owns"])
        assert case.verify_audit().ok
    assert len(everything) == 3 and len(hidden) == 2  # the partner FIU's two holdings are SECRET
    assert _visible_in_database(as_role(postgres_url, "liaison"), "ev_owns") == everything - hidden
    assert _sqlstate(as_role(postgres_url, "loader"), "ALTER TABLE ev_owns DISABLE ROW LEVEL SECURITY") == "42501"


def test_a_writers_run_is_read_by_the_owner_and_its_facts_refused_to_a_reader(tmp_path, postgres_url):
    """Runs on PostgreSQL: a writer's run makes the facts tables (handed to the owner group); an owner asks
    about them; a reader's role may list the runs but not read their facts, which may hold values computed
    from records withheld from it, and is told so (A003), no traceback."""
    program, facts = _facts(tmp_path)
    with api.Case.open(postgres_url) as case:
        case.load(program, facts)
        case.add_principal("liaison", "user", "OFFICIAL", "UK")
        case.add_principal("loader", "user", "TOP SECRET", "UK", "ORCON", access="writer")
        case.add_principal("boss", "user", "TOP SECRET", "UK", "ORCON", access="owner")
    with api.Case.open(as_role(postgres_url, "loader")) as case:
        case.run(program, as_of="2024-01-01")
    runner = CliRunner()
    owner = runner.invoke(main, ["query", "blocked(X)", "--db", as_role(postgres_url, "boss"), "--json"])
    assert owner.exit_code == 0, owner.output
    assert json.loads(owner.output)["rows"] == [[f"P{i}"] for i in range(1, 9)]
    as_liaison = runner.invoke(main, ["--as", "liaison", "query", "blocked(X)", "--db", as_role(postgres_url, "boss"),
                                      "--json"])  # an owner reads as a reader would, the application withholding
    assert as_liaison.exit_code == 0 and json.loads(as_liaison.output)["rows"] == [["P1"], ["P4"], ["P6"]], \
        as_liaison.output
    with api.Case.open(postgres_url) as case:
        owners = {r[0] for r in case.conn.execute("SELECT tableowner FROM pg_tables WHERE tablename LIKE 'fact%'")}
    assert owners == {f"{_groups(postgres_url)}_owner"}  # the writer's run handed them over
    runs = runner.invoke(main, ["runs", "--db", as_role(postgres_url, "liaison")])
    assert runs.exit_code == 0 and "run-000001" in runs.output, runs.output
    refused = runner.invoke(main, ["query", "blocked(X)", "--db", as_role(postgres_url, "liaison")])
    assert refused.exit_code == 2 and "[A003]" in refused.output and "Traceback" not in refused.output, refused.output
    assert "permission denied for table fact_blocked" in refused.output
