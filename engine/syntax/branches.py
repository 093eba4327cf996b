"""Rules written with `or`, compiled to plain rules: the alternatives distributed over the rest of the
body, one rule per branch. Each keeps the rule's id and names its branch (`Rule.branch`, from 1, in the
order the alternatives are written) and the conditions it took from inside `or` (`Rule.alternative`)."""

from __future__ import annotations

from dataclasses import replace
from math import prod

from .ast import Disjunction, Literal, Rule

MAX_BRANCHES = 64  # docs/language.md "Limits"; each branch is one more rule to evaluate


def body_branches(body: tuple[Literal, ...]) -> list[tuple[tuple[Literal, ...], tuple[Literal, ...]]]:
    """Each branch of a body: its conditions in the order written, and those that came from inside `or`."""
    out: list[tuple[tuple[Literal, ...], tuple[Literal, ...]]] = [((), ())]
    for lit in body:
        if isinstance(lit, Disjunction):
            choices = [conds for alt in lit.alternatives for conds, _ in body_branches(alt)]
            out = [(conds + chosen, alt + chosen) for conds, alt in out for chosen in choices]
        else:
            out = [(conds + (lit,), alt) for conds, alt in out]
    return out


def branch_count(body: tuple[Literal, ...]) -> int:
    """How many branches a body has (1 without `or`), without building them."""
    return prod(sum(branch_count(alt) for alt in lit.alternatives) if isinstance(lit, Disjunction) else 1
                for lit in body)


def expand_rule(rule: Rule) -> tuple[Rule, ...]:
    """The plain rules a rule stands for: itself without `or`, otherwise one per branch."""
    if not any(isinstance(lit, Disjunction) for lit in rule.body):
        return (rule,)
    return tuple(replace(rule, body=conds, branch=i, alternative=alt)
                 for i, (conds, alt) in enumerate(body_branches(rule.body), 1))


__all__ = ["MAX_BRANCHES", "body_branches", "branch_count", "expand_rule"]
