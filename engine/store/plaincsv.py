"""Plain CSV text (see `lines`: its records are its lines) split into columns without a list per record.

Without quotes the csv module splits a record at every comma, and nothing else; so one `str.split` over a
chunk's records joined by commas gives every field, and slicing by the number of columns gives the
columns. The records themselves come from `lines.record_lines`; a record with the wrong number of fields
raises `Doubt` (the caller then reads the file another way)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Iterator

from .columnar import ColumnarChunks, Doubt, StagedRows
from .lines import Survey, body_start, record_lines, text_blocks


def read_plain(chunks: ColumnarChunks, path: Path, shape: Survey,
               chunk_rows: int) -> Iterator[tuple[StagedRows, int]] | None:
    """(staged rows, bytes read so far) per chunk of a plain file (see `lines.Survey.plain`), as
    `ColumnarChunks.read` gives them; None for any other file (the csv module must read it)."""
    if chunks.metadata is not None or not shape.plain:
        return None
    return packed_part(chunks, path, body_start(path), shape.size, chunk_rows)


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
    """The columns (one list of values per CSV column, in file order) of a plain file's text (whole lines),
    `chunk_rows` records at a time."""
    lines = record_lines(text)
    commas = width - 1
    for first in range(0, len(lines), chunk_rows):
        part = lines[first:first + chunk_rows]
        if not all(map(commas.__eq__, map(str.count, part, itertools.repeat(",")))):
            raise Doubt("a record with the wrong number of fields")
        fields = ",".join(part).split(",")
        yield [fields[column::width] for column in range(width)]
