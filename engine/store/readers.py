"""Lazy readers for fact files: CSV, JSON (a list of objects) and JSONL, with line and column of every value."""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path
from typing import Iterator

from .items import Header, Item, Malformed, RawRow
from .jsonstream import JSON_LIMITS, json_limit_reason, key_positions, parse_json, read_json
from .lines import BOM, survey

FACT_SUFFIXES = (".csv", ".json", ".jsonl")


def read_facts(path: Path) -> Iterator[Item]:
    """The items of a fact file, read lazily; the reader is chosen by the suffix. Bytes that are not UTF-8
    end the file with a Malformed item saying where."""
    readers = {".csv": read_csv, ".json": read_json, ".jsonl": read_jsonl}
    inner_bom = survey(path).inner_bom
    if inner_bom is not None:
        yield inner_bom_at(path.read_bytes(), inner_bom)
    try:
        yield from readers[path.suffix](path)
    except UnicodeDecodeError:
        yield not_utf8(path.read_bytes())


def _located(body: bytes, start: int) -> tuple[int, int]:
    """(line, column in characters) of byte offset `start` of `body`."""
    line_start = body.rfind(b"\n", 0, start) + 1
    return body.count(b"\n", 0, start) + 1, len(body[line_start:start].decode("utf-8", errors="replace")) + 1


def _body(data: bytes) -> bytes:
    return data[len(BOM):] if data.startswith(BOM) else data


def not_utf8(data: bytes) -> Malformed:
    """Where the first byte of `data` that is not UTF-8 lies (line, and column in characters)."""
    body = _body(data)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = exc.start
    else:
        start = len(body)
    byte = f"byte 0x{body[start]:02x}" if start < len(body) else "the end"
    return Malformed(*_located(body, start),
                     f"not UTF-8 text ({byte} cannot be read as a character): save the file with UTF-8 encoding")


def inner_bom_at(data: bytes, offset: int) -> Malformed:
    """The problem of a byte-order mark at byte `offset` of `data`, after the file's start."""
    skipped = len(data) - len(_body(data))
    return Malformed(*_located(data[skipped:], offset - skipped),
                     "a byte-order mark (U+FEFF) inside the file, often left by joining files: remove it "
                     "(only the very start of a file may hold one)")


class _Tap:
    """A line iterator that remembers the lines the csv module took for the current record."""

    def __init__(self, lines):
        self.lines, self.taken, self.consumed = lines, [], 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.taken.append(line)
        self.consumed += len(line)
        return line

    def take(self) -> str:
        raw, self.taken = "".join(self.taken), []
        return raw


def field_starts(raw: str, line: int) -> list[tuple[int, int]]:
    """(line, col) where each field of a raw CSV record starts, honouring quotes as the csv module does:
    a quote opens a quoted field only at the field's start (elsewhere it is an ordinary character)."""
    starts, ln, col, quoted, at_start = [(line, 1)], line, 1, False, True
    for ch in raw:
        if ch == '"' and (quoted or at_start):
            quoted = not quoted
        elif ch == "," and not quoted:
            starts.append((ln, col + 1))
        at_start = ch == "," and not quoted
        ln, col = (ln + 1, 1) if ch == "\n" else (ln, col + 1)
    return starts


def read_csv(path: Path) -> Iterator[Item]:
    """A Header, then one RawRow per record (blank lines skipped); wrong field counts are Malformed."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        tap = _Tap(handle)
        reader = csv.reader(tap)
        header = next(_records(reader), None)
        if isinstance(header, csv.Error):
            yield Malformed(1, 1, f"unreadable CSV header: {header}")
            return
        if header is None:
            yield Malformed(1, 1, "empty file: expected a header row of column names")
            return
        names = tuple(name.strip() for name in header)
        yield Header(names, dict(zip(names, field_starts(tap.take(), 1))))
        line = reader.line_num + 1
        for record in _records(reader):
            if isinstance(record, csv.Error):
                yield Malformed(line, 1, f"unreadable CSV: {record}")
                return
            raw = tap.take()
            if record and len(record) != len(names):
                yield Malformed(line, 1, f"expected {len(names)} fields, found {len(record)}")
            elif record:  # positions are worked out only if a problem is reported
                starts = functools.partial(_positions, names, raw, line)
                yield RawRow(line, dict(zip(names, record)), starts, tap.consumed)
            line = reader.line_num + 1


def _records(reader) -> Iterator[list[str] | csv.Error]:
    """The reader's records, then the csv.Error that stopped it, if any."""
    try:
        yield from reader
    except csv.Error as exc:
        yield exc


def _positions(names: tuple[str, ...], raw: str, line: int) -> dict[str, tuple[int, int]]:
    return dict(zip(names, field_starts(raw, line)))


def read_jsonl(path: Path) -> Iterator[Item]:
    """One RawRow per non-blank line holding a JSON object; other lines are Malformed."""
    consumed = 0
    with open(path, encoding="utf-8-sig") as handle:
        for number, text in enumerate(handle, start=1):
            consumed += len(text)
            if not text.strip():
                continue
            try:
                obj = parse_json(text)
            except json.JSONDecodeError as exc:
                yield Malformed(number, exc.colno, f"not valid JSON: {exc.msg}")
                continue
            except JSON_LIMITS as exc:
                yield Malformed(number, 1, json_limit_reason(exc))
                continue
            if not isinstance(obj, dict):
                yield Malformed(number, 1, "expected a JSON object")
                continue
            yield RawRow(number, obj, key_positions(text, obj, number, 1), consumed)
