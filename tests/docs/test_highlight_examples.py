"""Every ```warrant block of the docs renders through the Pygments lexer without an error token."""

from __future__ import annotations

import pytest
from pygments.lexers import get_lexer_by_name
from pygments.token import Error

from .blocks import blocks

BLOCKS = [(doc, b) for doc in ("language.md", "rulebooks.md") for b in blocks(doc) if b.kind == "warrant"]


@pytest.mark.parametrize("doc, block", BLOCKS, ids=[f"{doc}:{b.line}" for doc, b in BLOCKS])
def test_block_highlights(doc, block):
    lexer = get_lexer_by_name("warrant")
    errors = [(tok, value) for tok, value in lexer.get_tokens(block.text) if tok in Error]
    assert errors == [], f"docs/{doc}:{block.line}: {errors}"
