"""The switch benchmarks use to measure what provenance costs (`evaluate(provenance=False)`): the same facts
as a run with provenance, derived in the same rounds, only without the rule recorded and with neither round
nor rule stored."""

from __future__ import annotations

from engine.store.facts import of_run
from engine.eval import evaluate
from engine.store.asof import Clocks, last_batch
from engine.store.schema import write_transaction

from case_files import run_case

RULES = '''rulebook mini "Mini" version "1"
evidence listed(party: entity, list: text) "a listing"
evidence owns(owner: entity, owned: entity, percent: percent) "a holding"
conclusion blocked(party: entity) "blocked"
rule R1 "Listed" cites "c":
  blocked(P) if listed(P, "SDN").
  because "{P} is listed".
rule R2 "Owned" cites "c":
  blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= 50.
  because "{E} is owned {Total}%".
'''
CSVS = {"listed": "party,list\nX,SDN\nY,SDN\n", "owns": "owner,owned,percent\nX,A,25\nY,A,25\nA,B,50\nB,C,50\nZ,D,60\n"}


def test_a_run_without_provenance_has_the_same_facts_and_no_rounds_or_rules(tmp_path):
    case, with_it = run_case(tmp_path, RULES, CSVS, "2024-01-01")
    conn, program = case.conn, case.program_for_run(with_it.run_id)
    provider = case._provider(Clocks("2024-01-01", None, last_batch(conn)))
    with write_transaction(case.store):  # as Case.run evaluates
        without = evaluate(conn, program, provider, as_of="2024-01-01", collect=True, provenance=False)

    def rows(run_id):
        return conn.execute(f"SELECT party, _round, _rule FROM fact_blocked WHERE {of_run()} ORDER BY party",
                            {"run_id": run_id}).fetchall()

    kept, bare = rows(with_it.run_id), rows(without.run_id)
    assert [r[0] for r in kept] == [r[0] for r in bare] == ["A", "B", "C", "X", "Y"]
    assert without.conclusions == with_it.conclusions and without.rounds == with_it.rounds
    assert {r[2] for r in kept} == {"R1", "R2"} and sorted({r[1] for r in kept}) == [1, 2, 3, 4]
    assert all(r[1] is None and r[2] is None for r in bare)
    case.close()
