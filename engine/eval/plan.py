"""The evaluation plan: strata in dependency order, with their rules."""

from __future__ import annotations

from dataclasses import dataclass

from ..check.depgraph import strata
from ..syntax.ast import Rule, body_atoms
from ..syntax.program import Program


@dataclass(frozen=True)
class Stratum:
    """Predicates evaluated together; recursive when some rule reads a predicate of the same stratum."""

    predicates: tuple[str, ...]
    rules: tuple[Rule, ...]

    @property
    def recursive(self) -> bool:
        return any(self.reads_own(r) for r in self.rules)

    def reads_own(self, rule: Rule) -> bool:
        """True when the rule's body mentions a predicate of this stratum."""
        return any(a.predicate in self.predicates for a, _, _ in body_atoms(rule.body))


def make_plan(program: Program) -> tuple[Stratum, ...]:
    """Strata in an order where every predicate is complete before anything reads it negatively."""
    out = []
    for component in strata(program):
        rules = tuple(r for r in program.rules if r.head.predicate in component)
        out.append(Stratum(component, rules))
    return tuple(out)
