"""Stratification (E4xx): no `not` through recursion; aggregates inside recursion only when monotone.

Predicates that depend on each other (a strongly connected component of the dependency graph) are
computed together by repeating their rules until nothing new appears. That is sound only when a new
fact can never take back an earlier conclusion:
- `not p` inside the cycle could flip from true to false as p grows: always an error (E401);
- an aggregate inside the cycle must only grow as facts are added: count, count distinct, max, and
  sum of a percent (percents are never negative). min, and sum of plain numbers, are errors (E402);
- its result may only be tested with `>=` or `>` against a value that does not depend on the cycle,
  and not be used anywhere else in the rule (E403). A growing total that passes a threshold stays
  past it, so the conclusion never has to be withdrawn.
"""

from __future__ import annotations

from collections import deque

from ..diagnostics import Diagnostic, error
from ..syntax.ast import Aggregate, Atom, Comparison, Negation, Rule, Var, atom_vars, body_atoms, expr_vars
from ..syntax.program import Program
from .depgraph import edges, strata
from .scope import walk_literals
from .types import variable_type

Components = dict[str, frozenset[str]]
LOOPS_SHOWN = 20  # E401 messages that spell out the whole loop


def _components(program: Program) -> Components:
    """Each derived predicate's component, one shared set per component."""
    return {p: members for comp in strata(program) for members in [frozenset(comp)] for p in comp}


def _graph(program: Program) -> dict[str, list[str]]:
    """Each head's body predicates, sorted (so that the loop shown is the same every time)."""
    graph: dict[str, set[str]] = {}
    for e in edges(program):
        graph.setdefault(e.head, set()).add(e.body)
    return {head: sorted(bodies) for head, bodies in graph.items()}


def cycle(program: Program, start: str, back_to: str, comps: Components | None = None,
          graph: dict[str, list[str]] | None = None) -> list[str]:
    """A shortest path of dependencies from `start` back to `back_to`, inclusive, inside one component.
    `comps` and `graph` (from this program) save recomputing them for each cycle."""
    comp = (comps if comps is not None else _components(program)).get(back_to, frozenset())
    graph = graph if graph is not None else _graph(program)
    prev: dict[str, str | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == back_to:
            break
        for nxt in graph.get(node, ()):
            if nxt in comp and nxt not in prev:
                prev[nxt] = node
                queue.append(nxt)
    path = [back_to]
    while prev.get(path[-1]) is not None:
        path.append(prev[path[-1]])
    return list(reversed(path))


def recursive_aggregates(program: Program, rule: Rule, comps: Components | None = None) -> list[Aggregate]:
    """The top-level aggregates of `rule` whose body uses a predicate of the rule head's own component
    (`comps`, the program's components, saves recomputing them for each rule)."""
    comp = (comps if comps is not None else _components(program)).get(rule.head.predicate, frozenset())
    out = []
    for lit in rule.body:
        if isinstance(lit, Aggregate) and any(a.predicate in comp for a, _, _ in body_atoms(lit.body)):
            out.append(lit)
    return out


def _aggregate_problem(program: Program, rule: Rule, agg: Aggregate) -> str | None:
    if agg.func == "min":
        return "min inside recursion is not monotone; move it to a separate predicate outside the cycle"
    if agg.func == "sum":
        target_type = None
        if isinstance(agg.target, Var):
            target_type = variable_type(program, rule, agg.target)
        if target_type != "percent":
            return ("sum inside recursion must add percent values (a number could be negative and lower the "
                    "total); declare the column as percent, or move the sum to a predicate outside the cycle")
    return None


def monotone_recursive_aggregates(program: Program) -> list[tuple[Rule, Aggregate]]:
    """Aggregates inside recursion that the checker accepts: the evaluator may recompute them each round."""
    out = []
    comps = _components(program)
    for rule in program.rules:
        for agg in recursive_aggregates(program, rule, comps):
            if _aggregate_problem(program, rule, agg) is None:
                out.append((rule, agg))
    return out


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    comps, graph = _components(program), None
    reported: set[tuple[str, str]] = set()
    for rule in program.rules:
        head = rule.head.predicate
        comp = comps.get(head, frozenset())
        for atom, negated, _ in body_atoms(rule.body):
            if negated and atom.predicate in comp and (rule.id, atom.predicate) not in reported:
                reported.add((rule.id, atom.predicate))
                if len(reported) <= LOOPS_SHOWN:
                    graph = graph if graph is not None else _graph(program)
                    loop = " -> ".join([head] + cycle(program, atom.predicate, head, comps, graph))
                else:  # each loop costs a search of the component: past a few, name only its ends
                    loop = f"{head} -> {atom.predicate} -> ... -> {head}"
                out.append(error("E401", f"not {atom.predicate} is used inside its own recursion: {loop}",
                                 atom.span, f"{head} depends on the absence of {atom.predicate}, which depends "
                                            f"on {head} again; decide {atom.predicate} without {head}, "
                                            "e.g. with a separate predicate outside the cycle"))
        for agg in recursive_aggregates(program, rule, comps):
            problem = _aggregate_problem(program, rule, agg)
            if problem:
                out.append(error("E402", problem, agg.span,
                                 "inside recursion use count, count distinct, max, or sum of percents"))
            else:
                out += _result_uses(rule, agg, comp)
    return out


def _result_uses(rule: Rule, agg: Aggregate, comp: set[str]) -> list[Diagnostic]:
    """E403: a recursive aggregate's result is only compared with >= or > against a fixed value."""
    name = agg.var.name
    out = []
    fixed = set()
    for lit in rule.body:
        if isinstance(lit, Atom) and lit.predicate not in comp:
            fixed |= {v.name for v in atom_vars(lit)}
    hint = (f"a total computed inside recursion may only be tested as {name} >= limit or {name} > limit, "
            "with a limit that does not depend on the recursion")
    for arg in rule.head.args:
        for v in expr_vars(arg):
            if v.name == name:
                out.append(error("E403", f"{name} is computed inside recursion and cannot appear in the head",
                                 v.span, hint))
    for lit, _ in walk_literals(rule.body):
        if lit is agg:
            continue
        if isinstance(lit, Comparison):
            vs = expr_vars(lit.left) + expr_vars(lit.right)
            if not any(v.name == name for v in vs):
                continue
            if _is_growing_test(lit, name, fixed):
                continue
            out.append(error("E403", f"{name} is computed inside recursion and can only be compared with >= or > "
                                     "against a fixed value", lit.span, hint))
        elif isinstance(lit, (Atom, Negation)):
            atom = lit if isinstance(lit, Atom) else lit.atom
            for v in atom_vars(atom):
                if v.name == name:
                    out.append(error("E403", f"{name} is computed inside recursion and cannot be used in "
                                             f"{atom.predicate}", v.span, hint))
        elif isinstance(lit, Aggregate):
            for v in expr_vars(lit.target):
                if v.name == name:
                    out.append(error("E403", f"{name} is computed inside recursion and cannot be used in "
                                             "another aggregate", v.span, hint))
    return out


def _is_growing_test(lit: Comparison, name: str, fixed: set[str]) -> bool:
    if lit.op in (">=", ">") and isinstance(lit.left, Var) and lit.left.name == name:
        other = lit.right
    elif lit.op in ("<=", "<") and isinstance(lit.right, Var) and lit.right.name == name:
        other = lit.left
    else:
        return False
    return all(v.name in fixed for v in expr_vars(other))


__all__ = ["check", "cycle", "recursive_aggregates", "monotone_recursive_aggregates"]
