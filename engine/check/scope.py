"""Shared helpers for the checker passes: lookups, type families, name suggestions, walking bodies."""

from __future__ import annotations

import difflib
import itertools
from typing import Iterable, Iterator

from ..source import Span
from ..syntax.ast import (
    Aggregate, Atom, BinOp, Call, Comparison, ConstRef, Declaration, Disjunction, Expr, Literal, Membership, Neg, Negation,
    NegatedConjunction, Rule, Var, Wildcard, atom_vars, expr_vars, group_variables, literal_vars, shared_variables,
)
from ..syntax.program import Program

BUILTIN_CONSTANTS = {"as_of": "date"}  # the run's assessment date

_FAMILY = {"entity": "text", "text": "text", "number": "number", "percent": "number", "integer": "number",
           "date": "date", "timestamp": "date", "bool": "bool", "duration": "duration", "time_duration": "duration"}


def family(type_: str) -> str:
    """Types that may meet: entity with text, percent with number."""
    return _FAMILY.get(type_, type_)


def compatible(a: str | None, b: str | None) -> bool:
    """True when either type is unknown or both belong to one family."""
    return a is None or b is None or family(a) == family(b)


def nearest(name: str, candidates: Iterable[str]) -> str | None:
    matches = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    best = nearest(name, candidates)
    return f"did you mean {best}?" if best else None


def name_span(atom: Atom) -> Span:
    """The span of an atom's predicate name (atoms start with their name)."""
    s = atom.span
    return Span(s.path, s.line, s.column, s.line, s.column + len(atom.predicate))


def declarations(program: Program) -> dict[str, Declaration]:
    """The first declaration of every predicate name."""
    out: dict[str, Declaration] = {}
    for d in program.declarations:
        out.setdefault(d.name, d)
    return out


def constant_types(program: Program) -> dict[str, str]:
    """Named constants (first definition wins) and built-ins, with their types."""
    out: dict[str, str] = {}
    for c in program.constants:
        whole = all(isinstance(v.value.value, int) for v in c.versions or [c])
        out.setdefault(c.name, "integer" if c.value.type == "number" and whole else c.value.type)
    out.update(BUILTIN_CONSTANTS)
    return out


def columns_text(decl: Declaration) -> str:
    return ", ".join(f"{c.name}: {c.type}" for c in decl.columns)


def walk_literals(body: tuple[Literal, ...], depth: int = 0) -> Iterator[tuple[Literal, int]]:
    """Every literal of a body with its aggregate nesting depth (0 = the rule body itself)."""
    for lit in body:
        yield lit, depth
        if isinstance(lit, Aggregate):
            yield from walk_literals(lit.body, depth + 1)
        elif isinstance(lit, Disjunction):  # as written; the rules evaluated have none (syntax.branches)
            for alt in lit.alternatives:
                yield from walk_literals(alt, depth)
        elif isinstance(lit, NegatedConjunction):
            yield from walk_literals(lit.body, depth)


def variable_keys(rule: Rule) -> dict[int, str]:
    """A key for every variable occurrence of the rule's body, by the occurrence's identity (`id` of the Var
    node: Vars of one name compare equal): its name, except for a variable an aggregate keeps to itself
    (not one of its group variables), whose key also names that aggregate. Two aggregates' own variables
    of one name are then two variables, as the evaluator treats them (`group_variables`)."""
    keys: dict[int, str] = {}
    numbers = itertools.count(1)

    def walk(body, outside: set[str], scope: dict[str, str]) -> None:
        for lit in body:
            if isinstance(lit, NegatedConjunction):  # its own variables are its own, as an aggregate's
                shared, number = shared_variables(lit, body, outside), next(numbers)
                inner = dict(scope)
                inner.update((v.name, f"{v.name}#{number}") for v in literal_vars(lit) if v.name not in shared)
                walk(lit.body, outside | shared, inner)
                continue
            if not isinstance(lit, Aggregate):
                keys.update((id(v), scope.get(v.name, v.name)) for v in literal_vars(lit))
                continue
            group, number = group_variables(lit, body, outside), next(numbers)
            inner = dict(scope)
            inner.update((v.name, f"{v.name}#{number}") for v in literal_vars(lit)[1:] if v.name not in group)
            keys[id(lit.var)] = scope.get(lit.var.name, lit.var.name)
            keys.update((id(v), inner.get(v.name, v.name)) for v in expr_vars(lit.target))
            walk(lit.body, set(group), inner)

    walk(rule.body, {v.name for v in atom_vars(rule.head)}, {})
    return keys


def rule_atoms(rule: Rule) -> Iterator[tuple[Atom, bool]]:
    """The head (negated=False) and every body atom with its polarity, inside aggregates too."""
    yield rule.head, False
    for lit, _ in walk_literals(rule.body):
        if isinstance(lit, Atom):
            yield lit, False
        elif isinstance(lit, Negation):
            yield lit.atom, True


def sub_exprs(expr: Expr) -> Iterator[Expr]:
    yield expr
    if isinstance(expr, BinOp):
        yield from sub_exprs(expr.left)
        yield from sub_exprs(expr.right)
    elif isinstance(expr, Neg):
        yield from sub_exprs(expr.operand)
    elif isinstance(expr, Call):
        for arg in expr.args:
            yield from sub_exprs(arg)


def literal_exprs(lit: Literal) -> Iterator[Expr]:
    """The top-level expressions of one literal (not descending into an aggregate's body)."""
    if isinstance(lit, Atom):
        yield from lit.args
        yield from (m.value for m in lit.meta)
    elif isinstance(lit, Negation):
        yield from literal_exprs(lit.atom)
    elif isinstance(lit, Comparison):
        yield lit.left
        yield lit.right
    elif isinstance(lit, Aggregate):
        yield lit.var
        yield lit.target
    elif isinstance(lit, Membership):
        yield lit.value
        yield from lit.members


def rule_exprs(rule: Rule) -> Iterator[Expr]:
    """Every expression node of a rule, head and body, nested ones included."""
    for expr in rule.head.args:
        yield from sub_exprs(expr)
    for item in rule.head.meta:
        yield from sub_exprs(item.value)
    for lit, _ in walk_literals(rule.body):
        for expr in literal_exprs(lit):
            yield from sub_exprs(expr)


def repeats(items: Iterable, key) -> Iterator[tuple[object, object]]:
    """(item, first item with the same key) for every item whose key was seen before."""
    first: dict = {}
    for item in items:
        k = key(item)
        if k in first:
            yield item, first[k]
        else:
            first[k] = item


__all__ = [
    "BUILTIN_CONSTANTS", "family", "compatible", "nearest", "did_you_mean", "name_span", "declarations",
    "constant_types", "columns_text", "walk_literals", "rule_atoms", "sub_exprs", "literal_exprs", "rule_exprs",
    "repeats", "Var", "Wildcard", "ConstRef",
]
