"""Fuzzing: random text and mutations of valid rulebooks never crash the loader or the checker.

Every outcome is a list of diagnostics (possibly empty), each located inside the file.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.check import check_files
from engine.diagnostics import render_all

VALID = Path(__file__).resolve().parent / "valid"
SEEDS = [(VALID / name).read_text(encoding="utf-8") for name in ("ofac_50.rules", "control.rules", "common.rules")]
TOKEN = re.compile(r'"[^"\n]*"|\w+|\s+|.', re.S)
VOCAB = ["rulebook", "rule", "if", "and", "not", "because", "cites", "evidence", "derived", "conclusion",
         "threshold", "constant", "with", "use", "example", "given", "expect", "as", "of", "sum", "count",
         "distinct", "min", "max", "for", "_", "X", "Y", "p", "(", ")", ",", ".", ":", "=", ">=", "<", "-", "+",
         "*", "/", "%", '"t"', "50", "2024-07-03", "2024-13-40", "true", "{X}", "'", "#", "\n", " "]

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WORKDIR = Path(tempfile.mkdtemp(prefix="warrant-fuzz-"))
for seed_name in ("common.rules",):  # so `use` in a mutated ofac_50 still resolves
    (WORKDIR / seed_name).write_text((VALID / seed_name).read_text(encoding="utf-8"), encoding="utf-8")


def _check_text(text: str) -> None:
    path = WORKDIR / "fuzz.rules"
    path.write_bytes(text.encode("utf-8"))
    diags, sources = check_files([path])
    for d in diags:
        assert d.span is not None, d
        source = sources.files[d.span.path].text
        lines = source.split("\n")
        assert 1 <= d.span.line <= len(lines), d
        assert 1 <= d.span.column <= len(lines[d.span.line - 1]) + 1, d
    render_all(diags, sources)


@st.composite
def mutated(draw):
    tokens = TOKEN.findall(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(tokens) - 1))
        kind = draw(st.sampled_from(["delete", "insert", "swap", "char"]))
        if kind == "delete":
            del tokens[i]
        elif kind == "insert":
            tokens.insert(i, draw(st.sampled_from(VOCAB)))
        elif kind == "swap":
            j = draw(st.integers(0, len(tokens) - 1))
            tokens[i], tokens[j] = tokens[j], tokens[i]
        elif tokens[i]:
            k = draw(st.integers(0, len(tokens[i]) - 1))
            tokens[i] = tokens[i][:k] + draw(st.characters(codec="utf-8")) + tokens[i][k + 1:]
        if not tokens:
            tokens = [""]
    return "".join(tokens)


@st.composite
def renamed(draw):
    """Replace words by other words of the file: mostly still parses, so the checker passes get exercised."""
    tokens = TOKEN.findall(draw(st.sampled_from(SEEDS)))
    words = [i for i, t in enumerate(tokens) if re.fullmatch(r"\w+", t)]
    pool = sorted({tokens[i] for i in words} | {"_", "X", "as_of", "sum", "min", "percent", "text"})
    for _ in range(draw(st.integers(1, 3))):
        tokens[draw(st.sampled_from(words))] = draw(st.sampled_from(pool))
    return "".join(tokens)


@SETTINGS
@given(renamed())
def test_renamed_words(text):
    _check_text(text)


@SETTINGS
@given(mutated())
def test_mutated_rulebooks(text):
    _check_text(text)


@SETTINGS
@given(st.text(max_size=300))
def test_random_text(text):
    _check_text(text)


@SETTINGS
@given(st.lists(st.sampled_from(VOCAB), max_size=60))
def test_random_token_soup(tokens):
    _check_text('rulebook t "T" version "1"\n' + " ".join(tokens))
