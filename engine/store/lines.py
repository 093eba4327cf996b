"""Where the records of a CSV file lie, decided in one place for every lane.

The csv module ends a record at a line feed, a carriage return, or both together, outside quotes. A file
with no double quote, no bare carriage return (one not followed by a line feed), no NUL and no byte-order
mark after its start is *plain*: its records are exactly its non-blank lines split at line feeds, so the
fast lanes may split it at any line feed and read it by blocks of whole lines. Every other file is read
by the csv module itself. `survey` decides this with one pass over the bytes; `record_lines` gives the
lines of a plain file's text and refuses (raises Doubt) anything that would make it disagree with the
csv module."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from .columnar import Doubt

BLOCK_BYTES = 1 << 20
SURVEY_BYTES = 8 * BLOCK_BYTES
BOM = b"\xef\xbb\xbf"
_BARE_CR = re.compile(rb"\r(?!\n)")


@dataclass(frozen=True)
class Survey:
    """What one pass over a file's bytes found: a double quote, a bare carriage return, a NUL, and the
    offset of the first byte-order mark after the file's start (None when there is none)."""

    quote: bool
    bare_cr: bool
    nul: bool
    inner_bom: int | None
    size: int

    @property
    def plain(self) -> bool:
        """Whether the file's records are exactly its non-blank lines, split at line feeds."""
        return not (self.quote or self.bare_cr or self.nul) and self.inner_bom is None


def survey(path: Path) -> Survey:
    """One pass over the file's bytes (blocks of 8 MiB, so memory stays bounded)."""
    quote = bare_cr = nul = False
    inner_bom, at, carry, prev = None, 0, b"", b""
    with open(path, "rb") as handle:
        while block := handle.read(SURVEY_BYTES):
            quote = quote or b'"' in block
            nul = nul or b"\0" in block
            data = carry + block
            checked = data[:-1] if data.endswith(b"\r") else data  # its line feed may start the next block
            bare_cr = bare_cr or (b"\r" in checked and _BARE_CR.search(checked) is not None)
            carry = data[len(checked):]
            if inner_bom is None:
                inner_bom = _inner_bom(prev, block, at)
            at += len(block)
            prev = block[-2:]
    return Survey(quote, bare_cr or bool(carry), nul, inner_bom, at)


def _inner_bom(prev: bytes, block: bytes, at: int) -> int | None:
    """The file offset of the first byte-order mark in `block` (which starts at offset `at`, after the bytes
    `prev`) or straddling the two, leaving out one at the file's very start."""
    edge = (prev + block[:2]).find(BOM)
    if edge >= 0:
        return at - len(prev) + edge
    found = block.find(BOM, 1 if at == 0 else 0)
    return None if found < 0 else at + found


def body_start(path: Path) -> int:
    """The offset just after the header line of a plain file (its first line feed)."""
    with open(path, "rb") as handle:
        return len(handle.readline())


def record_lines(text: str) -> list[str]:
    """The records of a plain file's text (whole lines), each a line without its line end; blank lines are
    dropped, as the csv module skips them. Raises Doubt where the csv module could read otherwise."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise Doubt("a carriage return inside a line")
    if "\x00" in text:
        raise Doubt("a NUL character")
    if "\ufeff" in text:
        raise Doubt("a byte-order mark inside the file")
    lines = list(filter(None, text.split("\n")))
    if lines and max(map(len, lines)) > csv.field_size_limit():
        raise Doubt("a line longer than the csv module's field limit")
    return lines


def text_blocks(path: Path, start: int, end: int) -> Iterator[tuple[str, int]]:
    """The text of bytes start..end of the file (start just after a line feed) in blocks of whole lines,
    each with the offset it ends at. A line feed is one byte in UTF-8, so no character is ever cut."""
    with open(path, "rb") as handle:
        handle.seek(start)
        at, rest = start, b""
        while at < end and (block := handle.read(min(BLOCK_BYTES, end - at))):
            at += len(block)
            data = rest + block
            whole = data if at >= end else data[:data.rfind(b"\n") + 1]
            rest = data[len(whole):]
            if whole:
                yield _decode(whole), at - len(rest)
        if rest:  # the file ended early
            yield _decode(rest), at


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Doubt(f"not UTF-8: {exc}") from None
