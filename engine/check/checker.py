"""Every pass over a program, in order, and the diagnostics they find together (see the package's docstring)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..diagnostics import Diagnostic, SourceMap
from ..syntax.program import Program, load_program
from . import examples, explanations, facts, limits, lint, names, periods, safety, stratification, types

PASSES = (names.check, types.check, safety.check, stratification.check, examples.check, explanations.check,
          periods.check, facts.check, lint.check, limits.check)


def check_program(program: Program) -> list[Diagnostic]:
    """Every diagnostic of every pass, without repeats, sorted by position."""
    found: dict[Diagnostic, None] = {}
    for run in PASSES:
        for diag in run(program):
            found.setdefault(diag, None)
    if not has_errors(found):
        found.update(dict.fromkeys(limits.database_check(program)))
    return sorted(found, key=Diagnostic.sort_key)


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


def check_files(paths: Iterable[str | Path]) -> tuple[list[Diagnostic], SourceMap]:
    """Load and check each rulebook (with the files it uses). A missing top-level file raises FileNotFoundError;
    syntax errors and unreadable `use` files come back as diagnostics."""
    sources = SourceMap()
    found: dict[Diagnostic, None] = {}
    for path in paths:
        if not Path(path).is_file():
            raise FileNotFoundError(f"no such rulebook: {path}")
        program, diags, _ = load_program(path, sources)
        if program is not None:
            diags = list(diags) + check_program(program)
        for diag in diags:
            found.setdefault(diag, None)
    return sorted(found, key=Diagnostic.sort_key), sources
