"""A reader's bundle carries only the run facts its absences looked for: the run's other facts of that
predicate may hold values computed from records withheld from the reader (blocked_stake("A", 55) is X's
visible 30 plus Y's secret 25)."""

from __future__ import annotations

import json

import pytest

from engine import api

import redaction_case
from redaction_case import BLOCKED_STAKE, make_case

CALM = BLOCKED_STAKE + '''
conclusion calm(party: entity) "listed, and no stake of it held by blocked owners"
rule C1 "Listed, held by nobody blocked" cites "house rule":
  calm(P) if listed(P, "SDN") and not blocked_stake(P, _).
  because "{P} is listed and no blocked owner holds any of it".
'''


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory, monkeypatch_module):
    root = tmp_path_factory.mktemp("run_facts")
    monkeypatch_module.setattr(redaction_case, "RULES", redaction_case.RULES + CALM)
    make_case(root)
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _bundle(case_dir, who, dest):
    with api.Case.open(case_dir / "case.db", as_principal=who) as case:
        case.export('calm("X")', dest)
    return json.loads((dest / "run_facts.json").read_text())


def test_the_owner_gets_the_run_facts_in_full(case_dir, tmp_path):
    assert ["A", 55] in _bundle(case_dir, None, tmp_path / "owner")["blocked_stake"]


def test_a_reader_gets_none_computed_from_what_is_withheld(case_dir, tmp_path):
    dest = tmp_path / "liaison"
    facts = _bundle(case_dir, "liaison", dest)
    assert facts == {"blocked_stake": []}
    assert "55" not in (dest / "run_facts.json").read_text()
    assert api.verify_bundle(dest).valid
