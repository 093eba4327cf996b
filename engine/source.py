"""Source text and spans: where every AST node, diagnostic and row came from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file; lines and columns count from 1."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class SourceFile:
    """The text of one file, kept so diagnostics can quote the offending line."""

    path: str
    text: str

    @classmethod
    def read(cls, path: str | Path) -> "SourceFile":
        """Read a UTF-8 file; the path is kept as given so messages match what the user typed."""
        return cls(str(path), Path(path).read_text(encoding="utf-8"))

    def line(self, number: int) -> str:
        """The text of line `number` (1-based) without its newline, or '' past the end."""
        lines = self.text.splitlines()
        return lines[number - 1] if 1 <= number <= len(lines) else ""

    def span_at(self, offset: int, length: int = 1) -> Span:
        """The span starting at character `offset`."""
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return Span(self.path, line, column, line, column + max(length, 1))
