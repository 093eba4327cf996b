"""Each tests/golden/fmt/NAME.rules formatted by `warrant fmt` must equal NAME.expected, which must
itself be formatted already.

Run `pytest tests/golden --update-goldens` to rewrite the .expected files, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.source import SourceFile
from engine.syntax.format import format_text

HERE = Path(__file__).resolve().parent / "fmt"
CASES = sorted(p.stem for p in HERE.glob("*.rules"))


@pytest.mark.parametrize("name", CASES)
def test_fmt_golden(name, request):
    out = format_text(SourceFile.read(HERE / f"{name}.rules"))
    expected = HERE / f"{name}.expected"
    if request.config.getoption("--update-goldens", default=False):
        expected.write_text(out, encoding="utf-8")
    assert expected.exists(), f"missing {expected.name}: run pytest tests/golden --update-goldens"
    assert out == expected.read_text(encoding="utf-8")
    assert format_text(SourceFile(str(expected), out)) == out, "the expected layout is not a fixed point"
