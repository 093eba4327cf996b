"""Each tests/golden/diagnostics/NAME.rules is checked; the rendered diagnostics must equal NAME.expected.

Run `pytest tests/golden --update-goldens` to rewrite the .expected files, then review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.check import check_files
from engine.diagnostics import render_all

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "diagnostics"
CASES = sorted(p.stem for p in HERE.glob("*.rules"))


def rendered(name: str) -> tuple[str, list]:
    diags, sources = check_files([f"tests/golden/diagnostics/{name}.rules"])
    return render_all(diags, sources), diags


@pytest.mark.parametrize("name", CASES)
def test_golden(name, monkeypatch, request):
    monkeypatch.chdir(ROOT)
    out, diags = rendered(name)
    assert diags, f"{name}.rules produces no diagnostic"
    expected = HERE / f"{name}.expected"
    if request.config.getoption("--update-goldens", default=False):
        expected.write_text(out, encoding="utf-8")
    assert expected.exists(), f"missing {expected.name}: run pytest tests/golden --update-goldens"
    assert out == expected.read_text(encoding="utf-8")


def test_goldens_cover_many_codes(monkeypatch):
    monkeypatch.chdir(ROOT)
    codes = {d.code for name in CASES for d in rendered(name)[1]}
    assert len(codes) >= 30, sorted(codes)
