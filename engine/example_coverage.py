"""What a rulebook's examples leave untested (`warrant test --coverage`).

A rule is exercised when some example's evaluation derives a fact with it, and a branch of a rule written with
`or` when it derives a fact with that branch; a threshold or constant when
an exercised rule uses it; a dated value of a threshold or constant when an example whose assessment date
it covers exercises a rule that uses it. Only the rulebook's own rules and values count, not those of the
files it uses (their own examples test them).
"""

from __future__ import annotations

from dataclasses import dataclass

from .check.scope import rule_exprs
from .examples import ExampleResult
from .proof.terms import conjunction_text
from .syntax import ast
from .syntax.branches import branch_count, expand_rule
from .syntax.program import Program


@dataclass(frozen=True)
class Gap:
    """One thing no example exercises: what it is, where it is written, and why it counts as untested."""

    kind: str  # rule | branch | threshold | constant | dated value
    name: str
    line: int
    reason: str

    def to_json(self) -> dict:
        return {"kind": self.kind, "name": self.name, "line": self.line, "reason": self.reason}


@dataclass(frozen=True)
class Coverage:
    """The gaps of one rulebook's examples, with how many of each kind there are."""

    path: str
    totals: dict[str, int]  # by GROUPS' names
    gaps: tuple[Gap, ...]

    def to_json(self) -> dict:
        return {"path": self.path, "totals": self.totals, "gaps": [g.to_json() for g in self.gaps]}


GROUPS = {"rule": "rules", "branch": "branches of or", "threshold": "thresholds and constants",
          "constant": "thresholds and constants", "dated value": "dated values"}


def _uses(rule: ast.Rule) -> set[str]:
    return {e.name for e in rule_exprs(rule) if isinstance(e, ast.ConstRef)}


def _dated_gaps(constant: ast.Constant, users: set[str], results: list[ExampleResult]) -> list[Gap]:
    out = []
    for version in constant.versions:
        if not any(version.period is None or version.period.covers(r.as_of) for r in results if r.exercised & users):
            out.append(Gap("dated value", f"{constant.name} {version.text()}", version.span.line,
                           "no example on a day it covers exercises a rule that uses it"))
    return out


def _branch_gaps(rule: ast.Rule, exercised: frozenset[str]) -> list[Gap]:
    """The branches of a rule with `or` that no example derives a fact with (none for an unexercised rule,
    which is a gap of its own)."""
    if rule.id not in exercised:
        return []
    return [Gap("branch", f"{rule.id} branch {b.branch}", b.alternative[0].span.line if b.alternative else rule.span.line,
                f"no example derives a fact with this branch: {conjunction_text(b.alternative)}")
            for b in expand_rule(rule) if b.key not in exercised]


def coverage(path: str, program: Program, results: list[ExampleResult]) -> Coverage:
    """The rules, branches of `or`, thresholds and constants, and dated values of `program`'s own rulebook that
    none of `results` (its examples, run with coverage) exercises."""
    root = program.root
    exercised = frozenset().union(*(r.exercised for r in results))
    gaps = [Gap("rule", r.id, r.span.line, "no example derives a fact with it")
            for r in root.rules if r.id not in exercised]
    gaps += [gap for r in root.rules for gap in _branch_gaps(r, exercised)]
    branches = sum(branch_count(r.body) for r in root.rules if branch_count(r.body) > 1)
    dated = 0
    for c in root.constants:
        users = {r.id for r in program.rules if c.name in _uses(r)}
        if not users & exercised:
            gaps.append(Gap(c.kind, c.name, c.span.line,
                            "no rule uses it" if not users else "no exercised rule uses it"))
        if c.dated:
            dated += len(c.versions)
            gaps += _dated_gaps(c, users, results)
    totals = {"rules": len(root.rules)} | ({"branches of or": branches} if branches else {})
    totals |= {"thresholds and constants": len(root.constants), "dated values": dated}
    return Coverage(path, totals, tuple(sorted(gaps, key=lambda g: (g.line, g.kind, g.name))))


def coverage_text(cov: Coverage) -> str:
    """Text lines: a summary of what is exercised, then each gap with its line."""
    missed = {group: sum(GROUPS[g.kind] == group for g in cov.gaps) for group in cov.totals}
    summary = ", ".join(f"{cov.totals[k] - missed[k]}/{cov.totals[k]} {k}" for k in cov.totals)
    lines = [f"{cov.path}: exercised by its examples: {summary}"]
    lines += [f"  {cov.path}:{g.line}: {g.kind} {g.name}: {g.reason}" for g in cov.gaps]
    return "\n".join(lines)


__all__ = ["Coverage", "Gap", "coverage", "coverage_text"]
