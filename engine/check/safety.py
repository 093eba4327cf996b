"""Safety (E3xx): every variable a rule needs has a value from a positive condition, an aggregate or `X = ...`.

A variable is bound by
- an argument or a `with` value of a positive condition (not under `not`),
- the result of an aggregate (`N = count(...)`),
- an equality `X = expression` whose other side is bound (an assignment).
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, error
from ..syntax.ast import (Aggregate, Atom, Comparison, Membership, NegatedConjunction, Negation, Rule, Var, Wildcard,
                          atom_vars, expr_vars, group_variables, literal_vars, shared_variables)
from ..syntax.program import Program
from .scope import sub_exprs, walk_literals


def _binds(atom: Atom) -> set[str]:
    """Variables a positive atom binds: the bare variables among its arguments and `with` values."""
    return {e.name for e in list(atom.args) + [m.value for m in atom.meta] if isinstance(e, Var)}


def _has_wildcard(expr) -> bool:
    return any(isinstance(e, Wildcard) for e in sub_exprs(expr))


def _group_binds(agg: Aggregate, body, head_names: set[str]) -> set[str]:
    """The group variables an aggregate binds: those its own body binds that the rest of the rule mentions."""
    return bound_vars(agg.body) & group_variables(agg, body, head_names)


def bound_vars(body, outer: frozenset[str] | set[str] = frozenset(), head_names: set[str] = frozenset()) -> set[str]:
    """The variables a body binds (given the `outer` ones already bound). An aggregate binds its result and
    its group variables (bound in its body and mentioned elsewhere in the rule, the head included)."""
    bound = set(outer)
    for lit in body:
        if isinstance(lit, Atom):
            bound |= _binds(lit)
        elif isinstance(lit, Aggregate):
            bound.add(lit.var.name)
            bound |= _group_binds(lit, body, set(head_names) | set(outer))
    changed = True
    while changed:
        changed = False
        for lit in body:
            if isinstance(lit, Comparison) and lit.op == "=":
                for side, other in ((lit.left, lit.right), (lit.right, lit.left)):
                    if (isinstance(side, Var) and side.name not in bound and not _has_wildcard(other)
                            and all(v.name in bound for v in expr_vars(other))):
                        bound.add(side.name)
                        changed = True
    return bound


def rule_bound_vars(rule: Rule) -> set[str]:
    """The variables bound by the rule body outside aggregates: what the head and explanation may use."""
    return bound_vars(rule.body, head_names={v.name for v in atom_vars(rule.head)})


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in program.rules:
        out += check_rule(rule)
    return out


def _inner_names(agg: Aggregate) -> set[str]:
    """Every variable name the aggregate mentions, its target included."""
    return {v.name for v in expr_vars(agg.target)} | {
        v.name for lit, _ in walk_literals(agg.body) for v in _lit_vars(lit)}


def check_rule(rule: Rule) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    bound = rule_bound_vars(rule)
    only_inside = set()
    for lit in rule.body:
        if isinstance(lit, Aggregate):
            only_inside |= _inner_names(lit) - bound

    def where_hint(name: str) -> str:
        if rule.branch:
            return (f"each branch of `or` is a rule of its own, and {name} needs a value in each: bind it before "
                    "the `or`, or in every branch")
        if name in only_inside:
            return (f"{name} is only bound inside an aggregate, and an aggregate's own variables are not visible "
                    f"outside it; bind {name} in the rule body too")
        return f"bind {name} with a positive condition in the body, e.g. a predicate that has {name} as argument"

    seen: set[tuple[str, str]] = set()
    for var in (e for a in rule.head.args for e in expr_vars(a)):
        if var.name not in bound and ("head", var.name) not in seen:
            seen.add(("head", var.name))
            out.append(error("E301", f"{var.name} in the head of rule {rule.id} is never bound", var.span,
                             where_hint(var.name)))
    out += _body(rule.body, bound, where_hint, inside=None, outside={v.name for v in atom_vars(rule.head)})

    results: dict[str, Aggregate] = {}
    for lit in rule.body:
        if isinstance(lit, Aggregate):
            out += _aggregate(lit, bound, where_hint)
            name = lit.var.name
            others = [a for a in rule.body if isinstance(a, Atom) and name in _binds(a)]
            if name in results or others:
                out.append(error("E307", f"{name} already has a value elsewhere in the rule; the result of an "
                                         "aggregate needs a new variable", lit.var.span,
                                 f"write {name}2 = ... and compare: {name}2 = {name}"))
            results[name] = lit
    return out


def _body(body, bound: set[str], where_hint, inside, outside=frozenset()) -> list[Diagnostic]:
    """E302, E303, E308 for the conditions of `body` (of the rule, of an aggregate or of a `not (...)`, `inside`)."""
    out = []
    place = "" if inside is None else " inside the aggregate" if isinstance(inside, Aggregate) else " inside not (...)"
    for lit in body:
        if isinstance(lit, NegatedConjunction):
            out += _negated(lit, body, bound, where_hint, outside)
        if isinstance(lit, Negation):
            done = set()
            for var in atom_vars(lit.atom):
                if var.name not in bound and var.name not in done:
                    done.add(var.name)
                    out.append(error("E302", f"{var.name} under not{place} is never bound", var.span,
                                     where_hint(var.name) + "; or write _ if any value will do"))
        elif isinstance(lit, (Comparison, Membership)):
            done = set()
            for side in (lit.left, lit.right) if isinstance(lit, Comparison) else (lit.value,) + lit.members:
                if _has_wildcard(side):
                    out.append(error("E308", "_ cannot be compared", side.span,
                                     "_ matches anything and has no value; use a variable bound in the body"))
                for var in expr_vars(side):
                    if var.name not in bound and var.name not in done:
                        done.add(var.name)
                        out.append(error("E303", f"{var.name} in {_what(lit)}{place} is never bound", var.span,
                                         where_hint(var.name)))
    return out


def _negated(lit: NegatedConjunction, body, bound: set[str], where_hint, outside) -> list[Diagnostic]:
    """The variables of `not (...)` that the rest of the rule mentions need a value from it; the others are its
    own, and need one from its own conditions where it compares or negates them."""
    shared = shared_variables(lit, body, outside)
    out, done = [], set()
    for var in literal_vars(lit):
        if var.name in shared and var.name not in bound and var.name not in done:
            done.add(var.name)
            out.append(error("E302", f"{var.name} under not is never bound", var.span,
                             f"{var.name} is written outside the brackets too, so it is the rule's variable and needs "
                             "a value from a positive condition there; a variable written only inside them may take "
                             "any value"))
    inner = bound_vars(lit.body, bound | shared)
    return out + _body(lit.body, inner, where_hint, inside=lit, outside=set(outside) | shared)


def _what(lit) -> str:
    return f"a test with {'not in' if lit.negated else 'in'}" if isinstance(lit, Membership) else "a comparison"


def _aggregate(agg: Aggregate, outer: set[str], where_hint) -> list[Diagnostic]:
    out = []
    for lit, _ in walk_literals(agg.body):
        if isinstance(lit, Aggregate):
            out.append(error("E306", "an aggregate cannot contain another aggregate", lit.span,
                             "compute the inner aggregate in a derived predicate of its own and use that here"))
    uses = [v for lit, _ in walk_literals(agg.body) for v in _lit_vars(lit) if v.name == agg.var.name]
    if uses:
        out.append(error("E305", f"{agg.var.name} is the result of the aggregate and cannot appear inside it",
                         uses[0].span, "use another variable inside the aggregate"))
    inner = bound_vars(agg.body, outer - {agg.var.name})
    out += _body(agg.body, inner, where_hint, inside=agg)
    if _has_wildcard(agg.target):
        out.append(error("E308", f"_ cannot be what {agg.func} ranges over", agg.target.span,
                         "name the value with a variable bound inside the aggregate"))
    done = set()
    for var in expr_vars(agg.target):
        if var.name not in inner and var.name not in done:
            done.add(var.name)
            out.append(error("E304", f"{var.name}, which {agg.func} ranges over, is not bound inside the aggregate",
                             var.span, f"bind {var.name} with a condition after for, e.g. "
                                       f"{agg.func}({var.name} for holding(Owner, {var.name}))"))
    return out


def _lit_vars(lit) -> list[Var]:
    """A literal's variables, but for an aggregate only its result and target (its body is walked apart)."""
    if isinstance(lit, Aggregate):
        return [lit.var] + expr_vars(lit.target)
    return literal_vars(lit)


__all__ = ["check", "check_rule", "bound_vars", "rule_bound_vars"]
