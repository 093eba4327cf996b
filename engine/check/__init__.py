"""Stage 2: static checks. Each pass is a pure function Program -> list[Diagnostic]; passes only report.

check_program runs them all and returns every diagnostic sorted by position. Codes are stable and
documented in docs/errors.md: E0xx syntax and files, E1xx names and arity, E2xx types, E3xx safety,
E4xx stratification, E15x periods of law that changes, W5xx warnings. A program without errors is then tried on the database itself
(limits.database_check): what it cannot evaluate is an error too.

Every name is imported on first use (engine/lazy.py): reading a checked program back from the cache
(`engine.check.cache`) loads none of the passes.
"""

from __future__ import annotations

from ..lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(__name__, {
    ".checker": ("check_program", "check_files", "has_errors", "PASSES"),
    ".stratification": ("monotone_recursive_aggregates",), ".types": ("rule_types",),
    ".explanations": ("parse_explanation", "fill_explanation"),
})

__all__ = [
    "check_program", "check_files", "has_errors", "PASSES", "monotone_recursive_aggregates", "rule_types",
    "parse_explanation", "fill_explanation",
]
