"""Diagnostics are data: a code, a severity, a span, a message and a hint.

Every stage collects its diagnostics, sorts them by position and renders them as
`path:line:col: severity: message [CODE]`, the source line, a caret and a hint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from .source import SourceFile, Span


@dataclass(frozen=True)
class Diagnostic:
    """One finding about the input, located where possible."""

    code: str
    severity: str  # "error" or "warning"
    message: str
    span: Span | None = None
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple:
        s = self.span
        return (s.path, s.line, s.column, self.code, self.message) if s else ("", 0, 0, self.code, self.message)

    def to_json(self) -> dict:
        out = {"code": self.code, "severity": self.severity, "message": self.message, "hint": self.hint}
        if self.span:
            out.update(path=self.span.path, line=self.span.line, column=self.span.column)
        return out


def error(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, "error", message, span, hint)


def warning(code: str, message: str, span: Span | None = None, hint: str | None = None) -> Diagnostic:
    return Diagnostic(code, "warning", message, span, hint)


@dataclass
class SourceMap:
    """The source files seen so far, for quoting lines in rendered diagnostics."""

    files: dict[str, SourceFile] = field(default_factory=dict)

    def add(self, source: SourceFile) -> None:
        self.files[source.path] = source

    def line(self, path: str, number: int) -> str | None:
        src = self.files.get(path)
        return src.line(number) if src else None


def render(diag: Diagnostic, sources: SourceMap | None = None) -> str:
    """Render one diagnostic as text: location, message, quoted line with caret, hint."""
    where = f"{diag.span}: " if diag.span else ""
    lines = [f"{where}{diag.severity}: {diag.message} [{diag.code}]"]
    if diag.span and sources is not None:
        text = sources.line(diag.span.path, diag.span.line)
        if text is not None and text.strip():
            width = 1
            if diag.span.end_line == diag.span.line:
                width = max(1, diag.span.end_column - diag.span.column)
            width = min(width, max(1, len(text) - diag.span.column + 1))
            lines.append(f"    {text.expandtabs(1)}")
            lines.append("    " + " " * (diag.span.column - 1) + "^" * width)
    if diag.hint:
        lines.append(f"  hint: {diag.hint}")
    return "\n".join(lines)


def render_all(diags: Iterable[Diagnostic], sources: SourceMap | None = None) -> str:
    """Render diagnostics sorted by position, each followed by a blank line."""
    ordered = sorted(diags, key=Diagnostic.sort_key)
    return "".join(render(d, sources) + "\n" for d in ordered)


class WarrantError(Exception):
    """An error the user can act on: carries one or more diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic, sources: SourceMap | None = None):
        self.diagnostics = diagnostics if isinstance(diagnostics, list) else [diagnostics]
        self.sources = sources
        super().__init__(render_all(self.diagnostics, sources).rstrip())
