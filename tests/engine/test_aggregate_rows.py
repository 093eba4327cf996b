"""Aggregates range over the distinct rows of their body, `_` included (as SQL does): the engine, its
proofs (one contribution per row, `_1`, `_2` ... naming what each `_` matched), the independent checker
and why-not agree."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from engine import api

RULES = textwrap.dedent("""\
    rulebook rows "rows" version "1"
    evidence a(x: entity, n: number)
    evidence holding(id: text, owner: entity, owned: entity, share: percent)
    evidence listed(who: entity)
    conclusion total(n: number)
    conclusion rows_of_a(n: number)
    conclusion values_of_a(n: number)
    conclusion listed_share(owned: entity, total: percent)
    conclusion blocked(owned: entity)

    rule T "sum over rows" cites "none":
      total(S) if S = sum(X for a(_, X)).
      because "{S}".

    rule C "count rows" cites "none":
      rows_of_a(N) if N = count(1 for a(_, _)).
      because "{N}".

    rule D "count values" cites "none":
      values_of_a(N) if N = count distinct(X for a(_, X)).
      because "{N}".

    rule L "listed owners' holdings" cites "none":
      listed_share(E, Total) if Total = sum(P for holding(_, O, E, P) and listed(O)).
      because "{E}: {Total}".

    rule B "half owned by listed persons" cites "none":
      blocked(E) if Total = sum(P for holding(_, O, E, P) and listed(O)) and Total >= 50.
      because "{E}: {Total}".
    """)

FACTS = {
    "a": "x,n\nA,3\nB,3\n",
    "holding": "id,owner,owned,share\nh1,K,C,25\nh2,K,C,25\nh3,M,D,25\nh4,N,D,20\n",
    "listed": "who\nK\nM\n",
}


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("rows")
    (root / "rows.rules").write_text(RULES)
    (root / "facts").mkdir()
    for name, text in FACTS.items():
        (root / "facts" / f"{name}.csv").write_text(text)
    program = api.load_rulebook(root / "rows.rules")
    with api.Case.open(root / "case.db") as c:
        c.run(program, facts=root / "facts")
        yield c


def conclusions(case) -> dict:
    return {p: [[float(v) if isinstance(v, (int, float)) else v for v in row] for row in rows]
            for p, rows in case.conclusions().items()}


def test_sum_and_count_take_each_row_once_wildcards_included(case):
    got = conclusions(case)
    assert got["total"] == [[6.0]]
    assert got["rows_of_a"] == [[2.0]]
    assert got["values_of_a"] == [[1.0]]


def test_two_separate_stakes_of_one_owner_add_up(case):
    got = conclusions(case)
    assert ["C", 50.0] in got["listed_share"] and ["D", 25.0] in got["listed_share"]
    assert got["blocked"] == [["C"]]


def proof_json(case, atom: str) -> dict:
    return json.loads(api.proof_api.render(case.why(atom), "json"))


def aggregate_node(proof: dict) -> dict:
    return next(n for n in proof["nodes"].values() if n["kind"] == "aggregate")


def test_proof_shows_one_contribution_per_row_with_the_wildcard_values(case):
    proof = proof_json(case, 'blocked("C")')
    node = aggregate_node(proof)
    assert [c["binding"] for c in node["contributions"]] == [
        {"O": "K", "P": 25, "_1": "h1"}, {"O": "K", "P": 25, "_1": "h2"}]
    leaves = [[proof["nodes"][i]["args"] for i in c["nodes"] if proof["nodes"][i]["kind"] == "evidence"]
              for c in node["contributions"]]
    assert leaves == [[["h1", "K", "C", 25], ["K"]], [["h2", "K", "C", 25], ["K"]]]
    assert case.verify_proof(proof).valid


def test_checker_refuses_a_contribution_whose_wildcard_value_is_not_its_record(case):
    proof = proof_json(case, 'blocked("C")')
    node = aggregate_node(proof)
    node["contributions"][1]["binding"]["_1"] = "h1"  # both rows claim the first holding
    verdict = case.verify_proof(proof)
    assert not verdict.valid


def test_checker_refuses_a_row_counted_twice(case):
    proof = proof_json(case, 'rows_of_a(2)')
    node = aggregate_node(proof)
    node["contributions"][1] = dict(node["contributions"][0])  # one row shown twice: the total is then 1
    assert not case.verify_proof(proof).valid


def test_whynot_lists_each_row_that_counted(case):
    answer = case.whynot('blocked("D")')
    failure = next(f for a in answer.attempts for f in a.failures if f.counted)
    assert [p.binding for p in failure.counted] == [{"O": "M", "P": 25, "_1": "h3"}]
    assert "25" in failure.message


def test_a_guard_free_aggregate_proves_with_exactly_the_rows_it_counted(tmp_path):
    """The shipped OFAC rule binds its company by the aggregate itself: the proof of blocked(volkhov) rests on
    Kessler's counted 60%, and Sorokin's 40% (not blocked, so not counted) is nowhere in it."""
    root = Path(__file__).resolve().parents[2]
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "listed.csv").write_text("party,list\nKessler,SDN\n")
    (tmp_path / "facts" / "owns.csv").write_text("owner,owned,percent\nKessler,volkhov,60\nSorokin,volkhov,40\n")
    program = api.load_rulebook(root / "rulebooks" / "ofac_50.rules")
    with api.Case.open(tmp_path / "case.db") as c:
        c.run(program, facts=tmp_path / "facts")
        proof = proof_json(c, 'blocked("volkhov")')
        assert c.verify_proof(proof).valid
    shown = {tuple(n["args"]) for n in proof["nodes"].values() if n["kind"] == "evidence"}
    assert shown == {("Kessler", "volkhov", 60), ("Kessler", "SDN")}
