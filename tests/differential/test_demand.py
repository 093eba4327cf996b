"""Demand restriction (engine/eval/demand.py) on programs of deep recursion over random graphs: the
same-generation program, closures recursive on the left and on the right, mutual recursion, an
OFAC-like recursive sum, and negation above them. For atoms with some arguments bound (facts of the full
run, and atoms that do not hold), the partial evaluation must hold exactly the full run's matching facts
(arguments, rounds, rules), and a ground fact's proof must be the full run's byte for byte.
WARRANT_FUZZ_EXAMPLES sets how many graphs (40 in CI)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.eval.demand import Demand, adornments
from engine.eval.in_force import program_on
from engine.eval.plan import make_plan
from engine.proof import api as proof_api

import harness

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "40"))
NODES = tuple(f"n{i}" for i in range(8))


def _rule(n: int, text: str) -> str:
    return f'rule R{n} "rule {n}" cites "test":\n  {text}\n  because "g".\n\n'


RULES = [
    "sg(X, Y) if flat(X, Y).",
    "sg(X, Y) if up(X, U) and sg(U, V) and down(V, Y).",
    "right(X, Y) if link(X, Y).",
    "right(X, Z) if link(X, Y) and right(Y, Z).",
    "left(X, Y) if link(X, Y).",
    "left(X, Z) if left(X, Y) and link(Y, Z).",
    "odd(X, Y) if link(X, Y).",
    "odd(X, Z) if even(X, Y) and link(Y, Z).",
    "even(X, Z) if odd(X, Y) and link(Y, Z).",
    "blocked(P) if listed(P).",
    "blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= 50.",
    "lone(X, Y) if right(X, Y) and not left(Y, X).",
    "lone(X, Y) if lone(X, Z) and sg(Z, Y) and not blocked(Y).",
]
PROGRAM = harness.parse_program('rulebook demand "Demand" version "1"\n\n' + "".join(
    f'evidence {d} "{d}"\n' for d in ("flat(a: entity, b: entity)", "up(a: entity, b: entity)",
                                      "down(a: entity, b: entity)", "link(a: entity, b: entity)",
                                      "listed(party: entity)", "owns(owner: entity, owned: entity, percent: percent)"))
    + "".join(f'derived {d} "{d}"\n' for d in ("sg(a: entity, b: entity)", "right(a: entity, b: entity)",
                                                 "left(a: entity, b: entity)", "odd(a: entity, b: entity)",
                                                 "even(a: entity, b: entity)", "blocked(party: entity)",
                                                 "lone(a: entity, b: entity)"))
    + "\n" + "".join(_rule(i, r) for i, r in enumerate(RULES, 1)))

node = st.sampled_from(NODES)
pairs = st.lists(st.tuples(node, node), min_size=2, max_size=14)
graphs = st.fixed_dictionaries({
    "flat": pairs, "up": pairs, "down": pairs, "link": pairs,
    "listed": st.lists(st.tuples(node), min_size=1, max_size=2),
    "owns": st.lists(st.tuples(node, node, st.sampled_from((20, 30, 50, 60))), min_size=3, max_size=14)})
asks = st.lists(st.tuples(st.sampled_from(("sg", "right", "left", "odd", "even", "blocked", "lone")),
                          st.tuples(node, node), st.sampled_from(((True, True), (True, False), (False, True)))),
                min_size=4, max_size=8)


def _matching(conn, run_id: str, demand: Demand) -> list:
    rows = harness.stored_rows(conn, PROGRAM, demand.predicate, run_id)
    return sorted((r for r in rows if all(v is None or v == a for v, a in zip(demand.args, r[0]))), key=repr)


def _proof(conn, run_id: str, demand: Demand) -> str:
    atom = proof_api.GroundAtom(demand.predicate, demand.args)
    return proof_api.render(proof_api.why(conn, PROGRAM, run_id, atom, harness.evidence_sql, harness.AS_OF), "json")


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(graphs, asks)
def test_demand_keeps_the_full_runs_facts_and_proofs(facts, questions):
    facts = {k: list(dict.fromkeys(v)) for k, v in facts.items()}
    facts["owns"] = list({(o, e): (o, e, p) for o, e, p in facts["owns"]}.values())
    conn, result = harness.run_engine(PROGRAM, facts)
    demands = [Demand(p, tuple(v if k else None for v, k in zip(values, keep))[:PROGRAM.declaration(p).arity])
               for p, values, keep in questions]
    for predicate in ("sg", "right", "left", "odd", "even", "blocked", "lone"):  # the deepest facts, and their rows
        rows = sorted(harness.stored_rows(conn, PROGRAM, predicate, result.run_id), key=lambda r: (-r[1], repr(r)))
        demands += [Demand(predicate, args) for args, _, _ in rows[:2]]
        demands += [Demand(predicate, args[:1] + (None,) * (len(args) - 1)) for args, _, _ in rows[:1]]
    for demand in demands:
        part, _ = harness.run_engine(PROGRAM, facts, run_id=result.run_id, ask=demand)
        got = _matching(part, result.run_id, demand)
        assert got == _matching(conn, result.run_id, demand), demand
        if None not in demand.args and got:
            assert _proof(part, result.run_id, demand) == _proof(conn, result.run_id, demand), demand


def test_adornments_bind_what_every_call_site_binds():
    plan = {s.predicates: s for s in make_plan(program_on(PROGRAM, harness.AS_OF))}
    decls = {d.name: d for d in PROGRAM.declarations}
    assert adornments(plan[("sg",)], Demand("sg", ("a", None)), decls) == {"sg": frozenset({0})}
    assert adornments(plan[("sg",)], Demand("sg", (None, "b")), decls) == {"sg": frozenset({1})}
    assert adornments(plan[("right",)], Demand("right", ("a", None)), decls) == {"right": frozenset({0})}
    assert adornments(plan[("right",)], Demand("right", ("a", "b")), decls) == {"right": frozenset({0, 1})}
    assert adornments(plan[("left",)], Demand("left", ("a", None)), decls) == {"left": frozenset({0})}
    assert adornments(plan[("even", "odd")], Demand("odd", ("a", None)), decls) == \
        {"odd": frozenset({0}), "even": frozenset({0})}
    assert adornments(plan[("left",)], Demand("left", ("a", "b")), decls) == {"left": frozenset({0, 1})}
    assert adornments(plan[("blocked",)], Demand("blocked", ("a",)), decls) == {"blocked": frozenset({0})}
