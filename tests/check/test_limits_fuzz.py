"""Fuzzing the limits: deep and wide calculations, many conditions, comparisons, negations and rules.

Whatever is generated, `check` either reports located diagnostics or passes, and a rulebook that passes
runs on a small case file (or stops with a run error, such as an overflow to Infinity); never a
traceback. WARRANT_FUZZ_EXAMPLES sets the number of examples (HYPOTHESIS_PROFILE=explore draws new ones).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import api
from engine.check import check_files, has_errors
from engine.eval import EvalError

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "25"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
HEAD = '''rulebook fuzz "Fuzz" version "1"
evidence p(a: entity, v: number)
evidence q(a: entity, d: date)
derived r(a: entity, b: entity)
conclusion c(a: entity, v: number)
conclusion n(a: entity)
rule RB "Base" cites "x":
  r(A, B) if p(A, _) and p(B, _) and A != B.
  because "{A}".
'''
WORK = Path(tempfile.mkdtemp(prefix="warrant-limits-fuzz-"))
FACTS = WORK / "facts"
FACTS.mkdir()
(FACTS / "p.csv").write_text("a,v\nx,1\ny,2\nz,3\n")
(FACTS / "q.csv").write_text("a,d\nx,2024-01-01\n")


def expressions(leaves=("V", "W", "2", "0.5", "(-V)")):
    """Calculations of any shape: long flat chains, deep right nesting, runs of unary minus, mixtures."""
    leaf = st.sampled_from(leaves)

    ops = st.sampled_from(["+", "-", "*", "/"])
    flat = st.tuples(leaf, st.lists(st.tuples(ops, leaf), min_size=1, max_size=120)).map(
        lambda t: t[0] + "".join(f" {op} {x}" for op, x in t[1]))
    right = st.tuples(st.integers(1, 80), st.sampled_from(["-", "+", "/", "*"]), leaf).map(
        lambda t: f"V {t[1]} (" * t[0] + t[2] + ")" * t[0])
    minus = st.integers(1, 90).map(lambda k: "-" * k + "V")
    nested = st.recursive(leaf, lambda inner: st.one_of(
        st.tuples(inner, ops, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        inner.map(lambda e: f"-{e}")), max_leaves=80)
    return st.one_of(flat, right, minus, nested)


@st.composite
def bodies(draw):
    """A rule body for c(A, S): conditions, comparisons, negations, an assignment and maybe an aggregate."""
    parts = ["p(A, V)", "p(A, W)"]
    parts += ["p(A, _)"] * draw(st.integers(0, 70))
    parts += ["r(A, _)"] * draw(st.integers(0, 3))
    parts += [f"V > {draw(st.integers(-5, 5))}"] * draw(st.integers(0, 120))
    parts += [f"not p(A, {draw(st.integers(5, 9))})"] * draw(st.integers(0, 80))
    if draw(st.booleans()):
        parts.append(f"K = count(X for p(X, U) and {draw(expressions(('U', '3')))} > 1)")
    parts.append(f"S = {draw(expressions())}")
    return " and ".join(draw(st.permutations(parts)))


def rulebook(body: str, copies: int) -> str:
    rules = "".join(f'rule R{i} "Fuzz" cites "x":\n  c(A, S) if {body}.\n  because "{{A}}".\n' for i in range(copies))
    return HEAD + rules + 'rule RN "Never" cites "x":\n  n(A) if q(A, D) and D > as_of.\n  because "{A}".\n'


def _check_then_run(text: str) -> None:
    path = WORK / "fuzz.rules"
    path.write_text(text, encoding="utf-8")
    diags, sources = check_files([path])
    lines = text.split("\n")
    for d in diags:
        assert d.span is not None and d.span.path == str(path), d
        assert 1 <= d.span.line <= len(lines) and 1 <= d.span.column <= len(lines[d.span.line - 1]) + 1, d
        assert d.hint, d
    if has_errors(diags):
        return
    db = WORK / "case.db"
    db.unlink(missing_ok=True)
    with api.Case.open(db) as case:
        try:
            case.run(api.load_rulebook(path), facts=FACTS)
        except EvalError as exc:  # a run error with a message, e.g. an overflow to Infinity
            assert "rule R" in str(exc) and "nothing was stored" in str(exc), exc


@SETTINGS
@given(bodies(), st.integers(1, 3))
def test_checked_rulebooks_run(body, copies):
    _check_then_run(rulebook(body, copies))


@SETTINGS
@given(expressions())
def test_any_calculation_in_a_head_assignment(calculation):
    _check_then_run(rulebook(f"p(A, V) and p(A, W) and S = {calculation}", 1))
