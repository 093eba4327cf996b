"""Stream a JSON list of objects without reading the whole file: each object with the line it starts on."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Generator, Iterator

from .items import Item, Malformed, RawRow

_CHUNK = 1 << 16
_SPACE = " \t\r\n"


class DuplicateKey(ValueError):
    """A JSON object names one key twice (json.loads would keep the last value silently)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class LoneSurrogate(ValueError):
    """A JSON string holds half of a character (a \\ud800-\\udfff escape without its pair): not text."""


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        raise DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    texts = [text for pair in pairs for text in pair if isinstance(text, str) and not text.isascii()]
    if texts and any(map(_SURROGATE.search, texts)):
        raise LoneSurrogate()
    return obj


_SURROGATE = re.compile("[\ud800-\udfff]")
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_float=Decimal)  # decimals exactly as written
JSON_LIMITS = (DuplicateKey, LoneSurrogate, RecursionError, ValueError)  # ValueError: over 4,300 digits


def parse_json(text: str) -> object:
    """The JSON value of `text`; raises JSONDecodeError, or one of JSON_LIMITS (see `json_limit_reason`)."""
    return _DECODER.decode(text)


def json_limit_reason(exc: Exception) -> str:
    """Why a JSON value that is not a syntax error could not be read."""
    if isinstance(exc, DuplicateKey):
        return f"the key {exc.key!r} appears twice in one object: keep one"
    if isinstance(exc, LoneSurrogate):
        return "a \\u escape for half of a character (a lone surrogate): not text"
    if isinstance(exc, RecursionError):
        return "not readable JSON: nested too deeply"
    return "not readable JSON: a number with more than 4,300 digits"


def key_positions(text: str, obj: dict, line: int, col: int) -> dict[str, tuple[int, int]]:
    """Where each key of `obj` appears in its source `text`, which starts at (line, col)."""
    out = {}
    for key in obj:
        at = text.find(json.dumps(key, ensure_ascii=False))
        if at < 0:
            continue
        before = text[:at]
        newlines = before.count("\n")
        out[key] = (line + newlines, (col + at) if not newlines else at - before.rfind("\n"))
    return out


class _Cursor:
    """A window on a text file that tracks the line and column of its read position."""

    def __init__(self, handle):
        self.handle, self.buf, self.pos = handle, "", 0
        self.line, self.col, self.consumed, self.eof = 1, 1, 0, False

    def fill(self) -> bool:
        """Read another chunk, dropping what was consumed. False at end of file."""
        chunk = self.handle.read(_CHUNK)
        self.buf, self.pos, self.eof = self.buf[self.pos:] + chunk, 0, not chunk
        return bool(chunk)

    def advance(self, end: int) -> str:
        """Move to buffer offset `end`, returning the text passed over."""
        text = self.buf[self.pos:end]
        newlines = text.count("\n")
        self.line += newlines
        self.col = len(text) - text.rfind("\n") if newlines else self.col + len(text)
        self.pos, self.consumed = end, self.consumed + len(text)
        return text

    def peek(self) -> str | None:
        """The next non-space character (not consumed), or None at end of file."""
        while True:
            end = self.pos
            while end < len(self.buf) and self.buf[end] in _SPACE:
                end += 1
            self.advance(end)
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.fill():
                return None

    def value(self) -> tuple[object, str]:
        """Decode the JSON value at the cursor: (value, its text). Raises JSONDecodeError."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
                if end < len(self.buf) or self.eof:
                    return value, self.advance(end)
            except json.JSONDecodeError:
                if self.eof:
                    raise
            self.fill()


def read_json(path: Path) -> Iterator[Item]:
    """One RawRow per object of a top-level JSON list; anything else is Malformed (and ends the file)."""
    with open(path, encoding="utf-8-sig") as handle:
        cur = _Cursor(handle)
        if cur.peek() != "[":
            yield Malformed(cur.line, cur.col, "expected a JSON list of objects")
            return
        cur.advance(cur.pos + 1)
        if (yield from _elements(cur)) and cur.peek() is not None:
            yield Malformed(cur.line, cur.col, "unexpected content after the list's closing ']': a file holds one list")


def _elements(cur: _Cursor) -> Generator[Item, None, bool]:
    """The list's items; returns whether its closing ']' was read (and passed over)."""
    expect_value = None  # before the first element a ']' may close the list
    while True:
        ch = cur.peek()
        if ch == "]" and expect_value is None:
            cur.advance(cur.pos + 1)
            return True
        line, col = cur.line, cur.col
        try:
            obj, text = cur.value()
        except json.JSONDecodeError as exc:
            yield Malformed(line, col, f"not valid JSON: {exc.msg}")
            return False
        except JSON_LIMITS as exc:
            yield Malformed(line, col, json_limit_reason(exc))
            return False
        if not isinstance(obj, dict):
            yield Malformed(line, col, "expected a JSON object")
        else:
            yield RawRow(line, obj, key_positions(text, obj, line, col), cur.consumed)
        ch = cur.peek()
        if ch == "]":
            cur.advance(cur.pos + 1)
            return True
        if ch != ",":
            yield Malformed(cur.line, cur.col, "expected ',' or ']' after an object")
            return False
        cur.advance(cur.pos + 1)
        expect_value = True
