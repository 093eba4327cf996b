"""Limits (E006): a rule the database cannot evaluate is refused here, not halfway through a run.

SQLite joins at most 64 tables in one SELECT: a body (or an aggregate's body) joins each positive
condition and each aggregate. A deep calculation can overflow SQLite's parser: rules with one nested
deeper than SAFE_NESTING, or with a long body, are compiled as a run would and prepared in an empty
in-memory database.
(Calculations nested past MAX_NESTING never get this far: the parser refuses them, E005.)
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, error
from ..source import Span
from ..syntax.ast import Aggregate, Atom, BinOp, Call, Expr, Neg, Rule
from ..syntax.program import Program
from .scope import literal_exprs, walk_literals

MAX_JOINED = 64  # SQLite: "at most 64 tables in a join"
SAFE_NESTING = 8  # every construct nested this deep runs (tests/check/test_limits.py tries them)
SPLIT = ("split the rule into two rules with an intermediate conclusion: a derived predicate concluded from "
         "some of the conditions, used in this rule in their place")


def nesting(expr: Expr) -> int:
    """How many operations nest inside each other in `expr` (at most MAX_NESTING: the parser refuses more)."""
    if isinstance(expr, BinOp):
        return 1 + max(nesting(expr.left), nesting(expr.right))
    if isinstance(expr, Neg):
        return 1 + nesting(expr.operand)
    if isinstance(expr, Call):
        return 1 + max(map(nesting, expr.args), default=0)
    return 0


def _suspect(rule: Rule) -> Span | None:
    """Where a rule might be too much for SQLite: its deepest calculation when nested past SAFE_NESTING,
    else its id when its body is longer than MAX_JOINED literals (their conditions make one long AND)."""
    literals = [lit for lit, _ in walk_literals(rule.body)]
    exprs = list(rule.head.args) + [e for lit in literals for e in literal_exprs(lit)]
    deepest = max(exprs, key=nesting, default=None)
    if deepest is not None and nesting(deepest) > SAFE_NESTING:
        return deepest.span
    return rule.id_span if len(literals) > MAX_JOINED else None


def _joined(body, rule: Rule, inside: Aggregate | None) -> list[Diagnostic]:
    """E006 when one body joins more than MAX_JOINED tables; then each aggregate's own body."""
    joined = [lit for lit in body if isinstance(lit, (Atom, Aggregate))]
    out = []
    if len(joined) > MAX_JOINED:
        where = "this aggregate" if inside is not None else f"rule {rule.id}"
        out.append(error("E006", f"{where} joins {len(joined)} conditions and aggregates; the database joins at "
                                 f"most {MAX_JOINED}", joined[MAX_JOINED].span, SPLIT))
    for lit in body:
        if isinstance(lit, Aggregate):
            out += _joined(lit.body, rule, lit)
    return out


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in program.rules:
        out += _joined(rule.body, rule, None)
    return out


def database_check(program: Program) -> list[Diagnostic]:
    """E006 for each rule with a deep calculation that SQLite refuses to prepare. Only for a program
    without errors: the rules are compiled as a run would compile them."""
    from ..eval.dryrun import refused  # the evaluator imports the checker's dependency graph

    suspects = {r.id: span for r in program.rules if (span := _suspect(r)) is not None}
    problems = refused(program, [r for r in program.rules if r.id in suspects])
    return [error("E006", f"rule {rule_id} is too complex for the database ({reason})", suspects[rule_id],
                  "bind part of the calculation to a new variable first, or " + SPLIT)
            for rule_id, reason in sorted(problems.items())]


__all__ = ["check", "database_check", "nesting", "MAX_JOINED", "SAFE_NESTING"]
