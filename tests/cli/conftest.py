import textwrap

import pytest

OFAC = textwrap.dedent('''\
    rulebook mini "Mini OFAC" version "1"
      authority "US Treasury, Office of Foreign Assets Control"

    evidence listed(party: entity, list: text) "party appears on a sanctions list"
    evidence owns(owner: entity, owned: entity, percent: percent) "direct holding"
    conclusion blocked(party: entity) "blocked"

    threshold ownership_threshold = 50

    rule R1 "Listed persons are blocked" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is on the SDN list".

    rule R2 "Owned 50% or more by blocked persons" cites "OFAC Revised Guidance (2014)":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= ownership_threshold.
      because "{E} is owned {Total}% by blocked persons".

    example "two owners of 25% each":
      given listed("X", "SDN"), listed("Y", "SDN"), owns("X", "A", 25), owns("Y", "A", 25).
      expect blocked("A").
    ''')


@pytest.fixture
def case(tmp_path, monkeypatch):
    """A working folder with a rulebook, a facts folder and no case file yet."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mini.rules").write_text(OFAC)
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nX,SDN\nY,SDN\nZ,EU\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,25\nY,A,25.5\nA,B,50\nZ,C,60\nX,D,49.9\n")
    return tmp_path
