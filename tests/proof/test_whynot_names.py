"""Why-not answers for reading name the entities beside their ids, as proofs do; as JSON they keep ids."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main

RULES = textwrap.dedent('''\
    rulebook screen "Screening" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "31 CFR 587.201":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    rule R2 "Owned" cites "31 CFR 587.406":
      blocked(E) if T = sum(Pct for owns(O, E, Pct) and blocked(O)) and T >= 50.
      because "{E} is owned {T}%".
    ''')


@pytest.fixture(scope="module")
def case_db(tmp_path_factory):
    root = tmp_path_factory.mktemp("whynot_names")
    (root / "screen.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nco:kessler,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nco:kessler,co:borealis,40\n")
    (facts / "entities.csv").write_text("id,name,aliases,country,registration_number\n"
                                        "co:borealis,Borealis Trading,,cy,\nco:kessler,Kessler Holding,,de,\n")
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db", create=True) as case:
        case.load(program, facts)
        case.run(program)
    return root / "case.db"


def test_whynot_text_names_the_entities(case_db):
    out = CliRunner().invoke(main, ["whynot", 'blocked("co:borealis")', "--db", str(case_db)])
    assert out.exit_code == 0, out.output
    assert "Borealis Trading (co:borealis)" in out.output
    assert "Kessler Holding (co:kessler)" in out.output


def test_whynot_json_keeps_ids_alone(case_db):
    out = CliRunner().invoke(main, ["whynot", 'blocked("co:borealis")', "--db", str(case_db), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["args"] == ["co:borealis"]
    assert "Borealis Trading" not in out.output


def test_an_atoms_argument_stays_the_id(case_db):
    out = CliRunner().invoke(main, ["whynot", 'blocked("co:borealis")', "--db", str(case_db)])
    assert 'listed("co:borealis", "SDN")' in out.output
    assert '"Borealis Trading (co:borealis)"' not in out.output


def test_names_leave_the_rules_conditions_as_written(case_db):
    with api.Case.open(case_db) as case:
        answer = case.named(case.whynot('blocked("co:borealis")'))
    conditions = [f.literal for a in answer.attempts for f in a.failures]
    assert conditions and not any("Borealis" in c for c in conditions)
