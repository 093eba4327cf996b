"""Markings on evidence: checked at load against the case file's scheme (L017, all or nothing), a file's
marking over its source's, the default for a record without one; principals and what each may see."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from engine import api
from engine.access.markings import Marking, MarkingError, Scheme, TLP_LEVELS
from engine.access.principals import OWNER, Principal
from engine.cli import main
from engine.store import LoadError
from engine.store.backend import POSTGRES, dialect
from engine.store.markings import record_marking

RULES = textwrap.dedent('''\
    rulebook m "Markings" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "s.1":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    ''')


def _case(tmp_path, manifest: dict):
    (tmp_path / "m.rules").write_text(RULES)
    facts = tmp_path / "facts"
    facts.mkdir(exist_ok=True)
    (facts / "listed.csv").write_text("party,list\nX,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,30\n")
    (facts / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return api.load_rulebook(tmp_path / "m.rules"), facts


def _hashes(case, predicate):
    return [r[0] for r in case.conn.execute(f"SELECT _hash FROM ev_{predicate}")]


def test_an_unknown_level_is_located_in_the_manifest_and_nothing_is_stored(tmp_path):
    program, facts = _case(tmp_path, {"sources": [{"id": "fiu", "classification": "CONFIDENTIAL"}],
                                      "files": {"listed.csv": {"source": "fiu"}}})
    with api.Case.open(tmp_path / "case.db") as case:
        with pytest.raises(LoadError) as info:
            case.load(program, facts)
        assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone()[0] == 0
    text = str(info.value)
    line = next(i for i, t in enumerate((facts / "manifest.json").read_text().splitlines(), 1) if "CONFIDENTIAL" in t)
    assert f"manifest.json:{line}:" in text and "[L017]" in text
    assert "not a classification level of this case file (OFFICIAL < SECRET < TOP SECRET)" in text
    assert "hint:" in text


@pytest.mark.parametrize("field, value, said", [
    ("releasability", "case team", "neither REL TO a list of partners nor LOCAL ONLY"),
    ("releasability", "REL TO", "neither REL TO"),
    ("caveats", 7, "not a list of handling words"),
])
def test_malformed_releasability_and_caveats_are_refused(tmp_path, field, value, said):
    program, facts = _case(tmp_path, {"sources": [{"id": "fiu", "classification": "SECRET", field: value}],
                                      "files": {"listed.csv": {"source": "fiu"}}})
    with api.Case.open(tmp_path / "case.db") as case, pytest.raises(LoadError) as info:
        case.load(program, facts)
    assert [p.code for p in info.value.problems] == ["L017"] and said in str(info.value)


def test_a_files_marking_overrides_its_sources_and_unmarked_records_get_the_default(tmp_path):
    program, facts = _case(tmp_path, {
        "sources": [{"id": "fiu", "classification": "secret", "releasability": "rel to uk,  fr"}],
        "files": {"listed.csv": {"source": "fiu"},
                  "owns.csv": {"source": "fiu", "classification": "TOP SECRET", "caveats": ["orcon"]}}})
    with api.Case.open(tmp_path / "case.db") as case:
        case.load(program, facts)
        scheme = case.scheme
        listed, owns = _hashes(case, "listed")[0], _hashes(case, "owns")[0]
        assert record_marking(case.conn, scheme, listed, "fiu") == Marking("SECRET", ("FR", "UK"))
        assert record_marking(case.conn, scheme, owns, "fiu").text() == "TOP SECRET REL TO FR, UK ORCON"
        assert record_marking(case.conn, scheme, "0" * 64, None) == Marking("OFFICIAL")
        assert case.conn.execute("SELECT classification, releasability FROM sources").fetchone() == (
            "SECRET", "REL TO FR, UK")


def test_a_tlp_scheme_and_its_default(tmp_path):
    with api.Case.open(tmp_path / "case.db") as case:
        scheme = case.set_scheme(TLP_LEVELS, "TLP:AMBER")
        assert case.scheme == scheme and scheme.default_marking().text() == "TLP:AMBER"
    program, facts = _case(tmp_path, {"sources": [{"id": "fiu", "classification": "SECRET"}],
                                      "files": {"listed.csv": {"source": "fiu"}}})
    with api.Case.open(tmp_path / "case.db") as case, pytest.raises(LoadError) as info:
        case.load(program, facts)
    assert "TLP:CLEAR < TLP:GREEN < TLP:AMBER < TLP:AMBER+STRICT < TLP:RED" in str(info.value)


def test_a_scheme_that_drops_a_level_in_use_is_refused(tmp_path):
    with api.Case.open(tmp_path / "case.db") as case:
        case.add_principal("alice", "user", "TOP SECRET", "UK")
        with pytest.raises(MarkingError, match="already uses TOP SECRET"):
            case.set_scheme(["OFFICIAL", "SECRET"])


SCHEME = Scheme()


@pytest.mark.parametrize("principal, marking, sees", [
    (Principal("a", "user", "SECRET", "UK"), Marking("SECRET", ("UK",)), True),
    (Principal("a", "user", "OFFICIAL", "UK"), Marking("SECRET", ("UK",)), False),
    (Principal("a", "user", "TOP SECRET", "FR"), Marking("SECRET", ("UK",)), False),
    (Principal("a", "user", "OFFICIAL", "FR"), Marking("OFFICIAL", ()), True),
    (Principal("p", "agency", "TOP SECRET", "UK"), Marking("OFFICIAL", ()), False),
    (Principal("p", "agency", "SECRET", "FR"), Marking("SECRET"), True),
    (Principal("a", "user", "SECRET", "UK"), Marking("SECRET", None, ("ORCON",)), False),
    (Principal("a", "user", "SECRET", "UK", ("ORCON",)), Marking("SECRET", None, ("ORCON",)), True),
    (OWNER, Marking("TOP SECRET", (), ("ORCON",)), True),
])
def test_who_may_see_what(principal, marking, sees):
    assert principal.may_see(marking, SCHEME) is sees


def test_principals_on_the_command_line_and_in_the_audit_log(tmp_path):
    db = str(tmp_path / "case.db")
    run = CliRunner().invoke
    assert run(main, ["principal", "add", "alice", "--clearance", "secret", "--nationality", "uk", "--db", db]).exit_code == 0
    added = run(main, ["principal", "add", "fr", "--kind", "agency", "--clearance", "SECRET", "--nationality", "FR",
                       "--db", db])
    with api.Case.open(db, create=False) as case:
        role = ", database role fr (reader)" if dialect(case.conn) == POSTGRES else ""
    assert added.output == f"added fr (agency, FR, cleared SECRET){role}\n"
    listed = run(main, ["principal", "list", "--db", db, "--json"])
    assert [p["name"] for p in json.loads(listed.output)] == ["alice", "fr"]
    refused = run(main, ["--as", "alice", "principal", "add", "bob", "--clearance", "SECRET", "--nationality", "UK",
                         "--db", db])
    assert refused.exit_code == 2 and "only the case file's owner may [A001]" in refused.output
    unknown = run(main, ["principal", "list", "--db", db], env={"WARRANT_PRINCIPAL": "mallory"})
    assert unknown.exit_code == 2 and "no principal named 'mallory'" in unknown.output
    log = json.loads(run(main, ["audit", "log", "--db", db, "--json"]).output)
    assert [(e["action"], e["details"]["principal"]) for e in log] == [("principal.add", "owner")] * 2
