"""Extract ```warrant blocks from the docs and check them like a user would."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from engine.check import check_files

DOCS = Path(__file__).resolve().parents[2] / "docs"
HEADER = 'rulebook example "Example" version "1"\n'
FENCE = re.compile(r"^```(warrant(?:-error)?)([^\n]*)\n(.*?)^```", re.S | re.M)
SECTION = re.compile(r"^#+ .*$", re.M)


@dataclass
class Block:
    kind: str  # warrant | warrant-error
    file: str | None  # from ```warrant file=NAME
    text: str
    line: int
    heading: str


def blocks(doc: str) -> list[Block]:
    text = (DOCS / doc).read_text(encoding="utf-8")
    out = []
    for m in FENCE.finditer(text):
        headings = SECTION.findall(text, 0, m.start())
        file = re.search(r"file=(\S+)", m.group(2))
        out.append(Block(m.group(1), file.group(1) if file else None, m.group(3),
                         text.count("\n", 0, m.start()) + 1, headings[-1] if headings else ""))
    return out


def check_block(block: Block, folder: Path):
    """Write the block (with a standard header when it has none) into `folder` and check it."""
    body = block.text
    first = next((ln.strip() for ln in body.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    if not first.startswith("rulebook"):
        body = HEADER + body
    path = folder / (block.file or f"block_{block.line}.rules")
    path.write_text(body, encoding="utf-8")
    return check_files([path])
