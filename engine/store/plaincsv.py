"""Plain CSV text (no double quote anywhere) split into columns without a list per record.

Without quotes the csv module splits a line at every comma and the text at every line break, and nothing
else; so one `str.split` over a chunk's lines joined by commas gives every field, and slicing by the
number of columns gives the columns. Whatever the csv module would read otherwise raises `Doubt` (the
caller then reads the file another way): a bare carriage return, a NUL, a line longer than the csv
module's field limit, or a line with the wrong number of fields."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path
from typing import Iterator

from .columnar import ColumnarChunks, Doubt, StagedRows

BLOCK_BYTES = 1 << 20


def has_quote(path: Path) -> bool:
    """Whether the file holds a double quote anywhere."""
    with open(path, "rb") as handle:
        while block := handle.read(8 * BLOCK_BYTES):
            if b'"' in block:
                return True
    return False


def read_plain(chunks: ColumnarChunks, path: Path, chunk_rows: int) -> Iterator[tuple[StagedRows, int]] | None:
    """(staged rows, bytes read so far) per chunk of a plain file without a double quote, as
    `ColumnarChunks.read` gives them; None for a file with one (the csv module must read it)."""
    if chunks.metadata is not None or has_quote(path):
        return None
    with open(path, "rb") as handle:
        body = len(handle.readline())
    return packed_part(chunks, path, body, path.stat().st_size, chunk_rows)


def packed_part(chunks: ColumnarChunks, path: Path, start: int, end: int,
                chunk_rows: int) -> Iterator[tuple[StagedRows, int]]:
    """(staged rows, bytes of the file read) per chunk of bytes start..end of a plain file."""
    for args, hashes, at in checked_part(chunks, path, start, end, chunk_rows):
        yield chunks.rows(args, hashes), at


def checked_part(chunks: ColumnarChunks, path: Path, start: int, end: int,
                 chunk_rows: int) -> Iterator[tuple[tuple[list, ...], list[str], int]]:
    """(checked argument columns, record hashes, bytes of the file read) per chunk of bytes start..end."""
    for text, at in text_blocks(path, start, end):
        for columns in split_columns(text, chunks.width, chunk_rows):
            args, hashes = chunks.checked_columns([columns[position] for position in chunks.order])
            yield args, hashes, at


def split_columns(text: str, width: int, chunk_rows: int) -> Iterator[list[list[str]]]:
    """The columns (one list of values per CSV column, in file order) of quote-free CSV text, `chunk_rows`
    lines at a time; blank lines are skipped, as the csv module skips them."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            raise Doubt("a carriage return inside a line")
    if "\x00" in text:
        raise Doubt("a NUL character")
    lines = list(filter(None, text.split("\n")))
    if lines and max(map(len, lines)) > csv.field_size_limit():
        raise Doubt("a line longer than the csv module's field limit")
    commas = width - 1
    for first in range(0, len(lines), chunk_rows):
        part = lines[first:first + chunk_rows]
        if not all(map(commas.__eq__, map(str.count, part, itertools.repeat(",")))):
            raise Doubt("a record with the wrong number of fields")
        fields = ",".join(part).split(",")
        yield [fields[column::width] for column in range(width)]


def text_blocks(path: Path, start: int, end: int) -> Iterator[tuple[str, int]]:
    """The text of bytes start..end of the file (start just after a line break) in blocks of whole lines,
    each with the offset it ends at. A line break is one byte in UTF-8, so no character is ever cut."""
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
