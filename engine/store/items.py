"""What the fact readers yield: a CSV header, a raw row with the position of each value, or a syntax problem."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


@dataclass(frozen=True)
class Header:
    """A CSV header row: column names and where each starts."""

    names: tuple[str, ...]
    positions: dict[str, tuple[int, int]] = field(compare=False)


@dataclass(frozen=True)
class RawRow:
    """One record as read: its first line, values by column, where each column's value starts."""

    line: int
    values: dict
    positions: object = field(compare=False)  # dict, or a callable computing it when a problem is reported
    consumed: int = field(default=0, compare=False)  # characters read so far, for progress

    def where(self, column: str | None) -> tuple[int, int]:
        """(line, col) of `column`'s value, or of the record."""
        positions = self.positions() if callable(self.positions) else self.positions
        return positions.get(column, (self.line, 1)) if column else (self.line, 1)


@dataclass(frozen=True)
class Malformed:
    """A syntax problem in the file itself."""

    line: int
    col: int
    reason: str


Item = Union[Header, RawRow, Malformed]
