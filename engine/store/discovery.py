"""Which files of a facts folder are facts, and for which predicate."""

from __future__ import annotations

import difflib
from pathlib import Path

from ..syntax.ast import Declaration
from ..syntax.program import Program
from .entity_names import STEMS as NAME_STEMS
from .errors import Problem
from .evidence import evidence_declarations
from .manifest import MANIFEST
from .readers import FACT_SUFFIXES


def fact_files(folder: Path, program: Program) -> tuple[list[tuple[Path, Declaration]], list[Problem]]:
    """The fact files of `folder` (sorted by name) with their declarations; a file naming no evidence predicate is a problem."""
    evidence = {d.name: d for d in evidence_declarations(program)}
    found, problems = [], []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name == MANIFEST or path.name.startswith("."):
            continue
        if path.suffix not in FACT_SUFFIXES:
            continue
        if path.stem in evidence:
            found.append((path, evidence[path.stem]))
        elif path.stem in NAME_STEMS:
            continue  # entity names, not evidence (see entity_names)
        else:
            problems.append(Problem("L001", str(path), 1, 1, None, path.stem, _why(path.stem, program, evidence)))
    return found, problems


def _why(stem: str, program: Program, evidence: dict[str, Declaration]) -> str:
    decl = program.declaration(stem)
    if decl is not None:
        return f"unknown predicate: {stem!r} is declared {decl.kind}, not evidence; the engine derives it"
    near = difflib.get_close_matches(stem, list(evidence), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else f"; declared evidence: {', '.join(sorted(evidence)) or 'none'}"
    return f"unknown predicate {stem!r}{hint}"
