"""The evaluation plan: strata in dependency order, with their rules."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..check.depgraph import strata
from ..syntax.ast import Rule, body_atoms
from ..syntax.program import Program


@dataclass(frozen=True)
class Stratum:
    """Predicates evaluated together; recursive when some rule reads a predicate of the same stratum."""

    predicates: tuple[str, ...]
    rules: tuple[Rule, ...]

    @cached_property
    def members(self) -> frozenset[str]:
        """The stratum's predicates, for membership tests."""
        return frozenset(self.predicates)

    @cached_property
    def recursive(self) -> bool:
        return any(self.reads_own(r) for r in self.rules)

    def reads_own(self, rule: Rule) -> bool:
        """True when the rule's body mentions a predicate of this stratum."""
        return any(a.predicate in self.members for a, _, _ in body_atoms(rule.body))


def make_plan(program: Program) -> tuple[Stratum, ...]:
    """Strata in an order where every predicate is complete before anything reads it negatively."""
    components = strata(program)
    index = {p: i for i, component in enumerate(components) for p in component}
    rules: list[list[Rule]] = [[] for _ in components]
    for rule in program.rules:  # in program order within each stratum
        rules[index[rule.head.predicate]].append(rule)
    out = [Stratum(component, tuple(own)) for component, own in zip(components, rules)]
    return tuple(out)
