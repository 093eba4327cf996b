"""Property test for `warrant fmt`: rulebooks rewritten with other whitespace and extra comments between
any two tokens (spaces, line breaks, blank lines, comments of their own line or at a line's end) format
to text that is a fixed point, parses to the same rulebook and keeps every comment in order.

Calculations written with every parenthesis keep their meaning with only the needed ones.

15 examples each in CI; WARRANT_FUZZ_EXAMPLES=N for more (and HYPOTHESIS_PROFILE=explore for new ones)."""

from __future__ import annotations

import os
import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.source import SourceFile
from engine.syntax.comments import find_comments
from engine.syntax.format import format_text, same_rulebook
from engine.syntax.grammar import parser
from engine.syntax.parser import parse_text

from .corpus import ROOT

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", 15))
FILES = sorted([*(ROOT / "tests/golden/fmt").glob("*.rules"), *(ROOT / "rulebooks").glob("*.rules")])
SEPARATORS = (" ", " ", " ", "  ", "\n", "\n  ", "\n    ", "\n\n", "\n\n\n", "\t", " # c{n}\n", "\n# c{n}\n  ")


def mutated(text: str, rng: random.Random, rate: float) -> str:
    """`text` with the whitespace between its tokens replaced, and a separator (perhaps a comment) added
    between others, at `rate`."""
    out, n, after_comment = [], 0, False
    for tok in parser().lex(text, dont_ignore=True):
        if tok.type == "WS":
            keep = rng.random() >= rate
            sep = str(tok) if keep else rng.choice(SEPARATORS)
        else:
            sep = rng.choice(SEPARATORS) if out and rng.random() < rate / 4 else ""
        if after_comment and not sep.startswith("\n"):
            sep = "\n" + sep
        n += 1
        out.append(sep.format(n=n))
        if tok.type != "WS":
            out.append(str(tok))
        after_comment = tok.type == "COMMENT"
    return "".join(out) + "\n"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(FILES), st.integers(0, 2**32), st.sampled_from([0.1, 0.5, 1.0]))
def test_any_layout_formats_to_a_faithful_fixed_point(path: Path, seed: int, rate: float):
    original = path.read_text(encoding="utf-8")
    text = mutated(original, random.Random(seed), rate)
    source = SourceFile(path.name, text)
    before = parse_text(source)  # the mutation keeps the rulebook as it was
    assert same_rulebook(before, parse_text(SourceFile(path.name, original)))
    out = format_text(source)
    assert format_text(SourceFile(path.name, out)) == out
    assert same_rulebook(before, parse_text(SourceFile(path.name, out)))
    assert [c.text for c in find_comments(out)] == [c.text for c in find_comments(text)]


LEAVES = st.sampled_from(["A", "B", "1", "2.50", "t", "-3"])
CALCULATIONS = st.recursive(LEAVES, lambda inner: st.one_of(
    st.tuples(inner, st.sampled_from("+-*/"), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
    inner.map(lambda e: f"-({e})"),
    inner.map(lambda e: f"- {e}")), max_leaves=12)


@settings(max_examples=EXAMPLES * 4, deadline=None)
@given(CALCULATIONS, CALCULATIONS)
def test_calculations_keep_their_meaning(left, right):
    text = ('rulebook r "R" version "1"\nthreshold t = 5\n'
            f'rule A "a" cites "c": p(A) if q(A, B) and X = {left} and {right} > X. because "b".\n')
    source = SourceFile("calc.rules", text)
    out = format_text(source)  # refuses (FormatError) output that parses to another rulebook
    assert same_rulebook(parse_text(source), parse_text(SourceFile("calc.rules", out)))
    assert format_text(SourceFile("calc.rules", out)) == out
