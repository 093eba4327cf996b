"""The law in force on the assessment date: the rules whose period covers it, and each dated threshold or
constant at the value in force then. A rule that uses a threshold with no value on that day does not apply.

Evaluation, proofs and why-not all read a program through `program_on`, so they agree on which rules and
which values applied; the independent checker recomputes the same from the rulebook text.
"""

from __future__ import annotations

from dataclasses import replace

from ..check.scope import rule_exprs
from ..syntax.ast import Constant, ConstRef, Rule
from ..syntax.program import Program


def constant_on(constant: Constant, day: str) -> Constant | None:
    """The constant with the value in force on `day` (itself when it is not dated); None when no value is."""
    if not constant.dated:
        return constant
    version = constant.version_on(day)
    return None if version is None else replace(constant, value=version.value)


def applies_on(rule: Rule, day: str, missing: set[str]) -> bool:
    """Whether `rule` is in force on `day` and every threshold it uses has a value then."""
    return rule.in_force_on(day) and not any(isinstance(e, ConstRef) and e.name in missing for e in rule_exprs(rule))


def program_on(program: Program, day: str) -> Program:
    """`program` as in force on `day` (YYYY-MM-DD); the same object when nothing in it is dated."""
    if not any(r.in_force for r in program.rules) and not any(c.dated for c in program.constants):
        return program
    missing = {c.name for c in program.constants if constant_on(c, day) is None}
    books = tuple(replace(rb, rules=tuple(r for r in rb.rules if applies_on(r, day, missing)),
                          constants=tuple(c for c in (constant_on(c, day) for c in rb.constants) if c is not None))
                  for rb in program.rulebooks)
    return Program(books[-1], books)


def not_in_force(program: Program, day: str) -> list[Rule]:
    """The rules of `program` that do not apply on `day`, in rulebook order."""
    missing = {c.name for c in program.constants if constant_on(c, day) is None}
    return [r for r in program.written_rules if not applies_on(r, day, missing)]
