"""docs/errors.md documents every diagnostic code of the rulebook tool chain, each with a working example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine.diagnostics import render_all

from .blocks import DOCS, blocks, check_block

ENGINE = Path(__file__).resolve().parents[2] / "engine"
PREFIXES = "EW"  # rulebook codes; other stages (store, queries, runs) document their own prefixes
CODE = re.compile(rf'"([{PREFIXES}]\d{{3}})"')
DOC = (DOCS / "errors.md").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"^### ([A-Z]\d{3}) ", DOC, re.M))
BLOCKS = blocks("errors.md")


def used_codes() -> dict[str, str]:
    out = {}
    for path in sorted(ENGINE.rglob("*.py")):
        for code in CODE.findall(path.read_text(encoding="utf-8")):
            out.setdefault(code, str(path.relative_to(ENGINE.parent)))
    return out


def test_every_code_used_in_engine_is_documented():
    missing = {code: where for code, where in used_codes().items() if code not in DOCUMENTED}
    assert not missing, f"add these to docs/errors.md: {missing}"


OTHER = re.compile(r'"([LSQRT]\d{3})"')


def test_every_load_query_run_and_example_code_is_documented():
    used = {code for path in ENGINE.rglob("*.py") for code in OTHER.findall(path.read_text(encoding="utf-8"))}
    assert used and not used - DOCUMENTED, f"add these to docs/errors.md: {sorted(used - DOCUMENTED)}"


def test_every_documented_code_is_used():
    rulebook_codes = {c for c in DOCUMENTED if c[0] in PREFIXES}
    assert rulebook_codes <= set(used_codes()), rulebook_codes - set(used_codes())


@pytest.mark.parametrize("block", BLOCKS, ids=[b.heading.split()[1] for b in BLOCKS])
def test_example_produces_its_code(block, tmp_path):
    code = block.heading.split()[1]
    diags, sources = check_block(block, tmp_path)
    assert code in {d.code for d in diags}, render_all(diags, sources)
