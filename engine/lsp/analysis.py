"""Check a rulebook as the editor holds it: its unsaved text, and the unsaved text of any open file it uses."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..check import check_program
from ..diagnostics import Diagnostic, SourceMap
from ..syntax.program import Program, load_program


@dataclass(frozen=True)
class Analysis:
    """What checking one document found: the program (None when a file does not parse), every diagnostic
    (of the document and of the files it uses) and the text of each file read."""

    program: Program | None
    diagnostics: tuple[Diagnostic, ...]
    sources: SourceMap


def analyse(path: str, open_texts: Mapping[Path, str]) -> Analysis:
    """Load and check the rulebook at `path` like `warrant check`, reading a file from `open_texts` (keyed by
    resolved path) when the editor has it open, and from disk otherwise."""
    def read(file: Path) -> str:
        key = file.resolve()
        return open_texts[key] if key in open_texts else file.read_text(encoding="utf-8")

    program, diags, sources = load_program(path, read=read)
    found = dict.fromkeys(diags)
    if program is not None:
        found.update(dict.fromkeys(check_program(program)))
    return Analysis(program, tuple(sorted(found, key=Diagnostic.sort_key)), sources)
