"""Every ```warrant block of docs/language.md checks without error; every ```warrant-error block has one."""

from __future__ import annotations

import pytest

from engine.diagnostics import render_all

from .blocks import blocks, check_block

BLOCKS = blocks("language.md")


def test_the_reference_has_examples():
    assert len([b for b in BLOCKS if b.kind == "warrant"]) >= 15


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """One folder for all blocks, so a block with `use "x.rules"` finds an earlier ```warrant file=x.rules."""
    path = tmp_path_factory.mktemp("language")
    for b in BLOCKS:
        if b.file:
            (path / b.file).write_text(b.text, encoding="utf-8")
    return path


@pytest.mark.parametrize("block", BLOCKS, ids=[f"line{b.line}" for b in BLOCKS])
def test_block(block, folder):
    diags, sources = check_block(block, folder)
    errors = [d for d in diags if d.is_error]
    if block.kind == "warrant":
        assert not errors, f"docs/language.md:{block.line}\n" + render_all(errors, sources)
    else:
        assert errors, f"docs/language.md:{block.line} should produce an error"
