"""The predicate dependency graph and its strata (strongly connected components in evaluation order)."""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.ast import Aggregate, Atom, Negation, body_atoms
from ..syntax.program import Program


@dataclass(frozen=True)
class Edge:
    """head depends on body; negative when through `not`, aggregate when inside an aggregate."""

    head: str
    body: str
    negative: bool
    aggregate: bool
    rule_id: str


def edges(program: Program) -> list[Edge]:
    """Every dependency of a rule head on a body predicate."""
    out = []
    for rule in program.rules:
        for atom, negated, agg in body_atoms(rule.body):
            out.append(Edge(rule.head.predicate, atom.predicate, negated, agg is not None, rule.id))
    return out


def strata(program: Program) -> list[tuple[str, ...]]:
    """Derived predicates grouped into SCCs, each after every SCC it depends on; names sorted inside."""
    heads = sorted({r.head.predicate for r in program.rules})
    graph: dict[str, set[str]] = {h: set() for h in heads}
    for e in edges(program):
        if e.body in graph:
            graph[e.head].add(e.body)
    return _tarjan(heads, graph)


def _tarjan(nodes: list[str], graph: dict[str, set[str]]) -> list[tuple[str, ...]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: list[tuple[str, ...]] = []
    counter = [0]

    def connect(v: str) -> None:
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, children = work[-1]
            advanced = False
            for w in children:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                result.append(tuple(sorted(comp)))

    for v in nodes:
        if v not in index:
            connect(v)
    return result  # Tarjan emits components in reverse topological order of dependents: dependencies first


def is_recursive(component: tuple[str, ...], program: Program) -> bool:
    """True when the component's predicates depend on each other (or one on itself)."""
    members = set(component)
    return any(e.head in members and e.body in members for e in edges(program))


__all__ = ["Edge", "edges", "strata", "is_recursive", "Aggregate", "Atom", "Negation"]
