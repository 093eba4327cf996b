"""Rulebook texts to format: the shipped rulebooks, every .rules file of the tests and benchmarks, and the
```warrant blocks of the docs (with the standard header when they have none)."""

from __future__ import annotations

from pathlib import Path

from docs.blocks import HEADER, blocks

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("language.md", "rulebooks.md", "errors.md")


def _with_header(text: str) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")), "")
    return text if first.startswith("rulebook") else HEADER + text


def texts() -> dict[str, str]:
    """Name -> rulebook text, whether or not it parses."""
    out = {}
    for folder in ("rulebooks", "tests", "benchmarks", "examples"):
        for path in sorted((ROOT / folder).rglob("*.rules")):
            out[str(path.relative_to(ROOT))] = path.read_text(encoding="utf-8")
    for doc in DOCS:
        for block in blocks(doc):
            out[f"docs/{doc}:{block.line}"] = _with_header(block.text)
    return out
