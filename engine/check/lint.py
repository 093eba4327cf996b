"""Warnings (W5xx): things that are allowed but probably not meant."""

from __future__ import annotations

from collections import Counter

from ..diagnostics import Diagnostic, warning
from ..syntax.ast import Aggregate, ConstRef, Var, literal_vars
from ..syntax.program import Program
from .explanations import parse_explanation
from .scope import rule_atoms, rule_exprs, walk_literals


def check(program: Program) -> list[Diagnostic]:
    """Unused and underived names are reported for the root rulebook only, and only when it has rules:
    a file of shared declarations is meant to be used elsewhere."""
    out: list[Diagnostic] = []
    root = program.root
    if root.rules:
        out += _unused(program, root)
    for rule in root.rules:
        out += _singletons(rule)
    return out


def _unused(program: Program, root) -> list[Diagnostic]:
    out = []
    heads = {r.head.predicate for r in program.rules} | {f.atom.predicate for f in program.facts}
    used = {a.predicate for r in program.rules for a, _ in rule_atoms(r) if a is not r.head}
    for d in root.declarations:
        if d.kind != "evidence" and d.name not in heads:
            out.append(warning("W501", f"no rule concludes {d.name}, so it is never true", d.span,
                               f"write a rule with {d.name}(...) as its head, or remove the declaration"))
        elif d.kind == "evidence" and d.name not in used:
            out.append(warning("W502", f"evidence {d.name} is not used by any rule", d.span,
                               "use it in a rule body, or remove the declaration"))
        elif d.kind == "derived" and d.name not in used:
            out.append(warning("W503", f"derived predicate {d.name} is not used by any rule", d.span,
                               "use it in another rule, or declare it as a conclusion if it is a finding"))
    refs = {e.name for r in program.rules for e in rule_exprs(r) if isinstance(e, ConstRef)}
    for c in root.constants:
        if c.name not in refs:
            out.append(warning("W504", f"{c.kind} {c.name} is not used by any rule", c.span,
                               "use it in a rule, or remove it"))
    return out


def _singletons(rule) -> list[Diagnostic]:
    """W505: a variable written once is almost always a typo for another one, or should be `_`.

    Not inside aggregates: there each variable counts, since sum and count range over distinct bindings."""
    in_aggregates = {v.name for lit, _ in walk_literals(rule.body) if isinstance(lit, Aggregate)
                     for v in literal_vars(lit)}
    occurrences = [e for e in rule_exprs(rule) if isinstance(e, Var) and e.name not in in_aggregates]
    counts = Counter(v.name for v in occurrences)
    parts, _ = parse_explanation(rule.explanation)
    counts.update(s for kind, s in parts if kind == "var")
    out = []
    for v in occurrences:
        if counts[v.name] == 1:
            out.append(warning("W505", f"{v.name} is used only once in rule {rule.id}", v.span,
                               "if any value will do, write _; otherwise check the spelling"))
    return out


__all__ = ["check"]
