"""The columnar lane for CSV files: whole chunks checked, encoded and hashed column by column.

A CSV file whose header names the declared columns, and perhaps some `_` metadata columns, is read a
chunk at a time, and each column is checked with C-level passes (`map`, `zip`, `all`) instead of a Python
call per row; the rows, hashes and metadata ids come out exactly as `rows.table_rows` + `Packer.pack`
make them. A *plain* file (no metadata columns) gives every row the file's metadata. Anything this
lane is not sure of (a blank value, a bad number or date, a short record) raises
`Doubt`: the caller then loads the whole file by the row path, which reports each problem with its
line and column."""

from __future__ import annotations

import csv
import hashlib
import itertools
from operator import itemgetter
from json.encoder import encode_basestring
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..syntax.ast import Declaration
from .names import misleading, plain
from .packing import ENCODERS, Packer
from .. import numbers
from .values import META_CHECKERS, TYPE_CHECKERS, Bad

_HEX = type(hashlib.sha256()).hexdigest
_NUMBER_CHARS = str.maketrans("", "", "0123456789.eE+- \t")


class Doubt(Exception):
    """This file (or chunk) needs the row path."""


def header_positions(path: Path, decl: Declaration) -> tuple[tuple[int, ...], dict[str, int]] | None:
    """For a CSV file whose header holds every declared column and perhaps `_` metadata columns, each once:
    (each declared column's position, each metadata column's position). None for any other file (the row
    path handles it, and reports header problems)."""
    if path.suffix != ".csv":
        return None
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (UnicodeDecodeError, csv.Error):
        return None
    names = [name.strip() for name in header or ()]
    declared = [c.name for c in decl.columns]
    meta = [name for name in names if name in META_CHECKERS]
    if not declared or len(set(names)) != len(names) or set(names) != set(declared) | set(meta):
        return None
    return tuple(names.index(name) for name in declared), {name: names.index(name) for name in meta}


def _entities(values: list) -> tuple[list, list[str]]:
    if not all(map(str.strip, values)):
        raise Doubt("an empty entity")
    if not plain("".join(values)) and any(map(misleading, set(values))):
        raise Doubt("a name the row path warns about")  # it knows where the name is
    return values, list(map(encode_basestring, values))


def _texts(values: list) -> tuple[list, list[str]]:
    return values, list(map(encode_basestring, values))


def _exact(values: list) -> list:
    if "".join(values).translate(_NUMBER_CHARS):  # anything but ASCII digits, signs, points, exponents, spaces
        raise Doubt("not a number written with ASCII digits")
    try:
        return numbers.parse_all(values)
    except (ValueError, ArithmeticError):  # NumberError, or not a number: the row path says which
        raise Doubt("not an exact number") from None


def _numbers(values: list) -> tuple[list, list[str]]:
    checked = _exact(values)
    return checked, list(map(repr, checked))


def _percents(values: list) -> tuple[list, list[str]]:
    checked = _exact(values)
    if checked and not (min(checked) >= 0 and max(checked) <= 100):
        raise Doubt("a percent out of range")
    return checked, list(map(repr, checked))


def each_distinct(check: Callable, values: list) -> list:
    """`check` of every value, called once per distinct value (dates, grades and flags repeat a lot)."""
    table = {value: check(value) for value in set(values)}
    return list(map(table.__getitem__, values))


def _checked_by(type_: str) -> Callable[[list], tuple[list, list[str]]]:
    """A lane that calls the row path's own checker and encoder (dates, bools)."""
    check, encode = TYPE_CHECKERS[type_], ENCODERS[type_]

    def lane(values: list) -> tuple[list, list[str]]:
        try:
            checked = each_distinct(check, values)
        except Bad as exc:
            raise Doubt(exc.reason) from None
        return checked, each_distinct(encode, checked)

    return lane


COLUMN_LANES: dict[str, Callable[[list], tuple[list, list[str]]]] = {
    "entity": _entities, "text": _texts, "number": _numbers, "percent": _percents,
    "date": _checked_by("date"), "timestamp": _checked_by("timestamp"), "bool": _checked_by("bool"),
}


def chunked(reader: Iterator[list[str]], size: int) -> Iterator[list[list[str]]]:
    """The reader's records, `size` at a time; a CSV error (such as an overlong field) or bytes that are not
    UTF-8 are a Doubt."""
    try:
        while records := list(itertools.islice(reader, size)):
            yield records
    except (csv.Error, UnicodeDecodeError) as exc:
        raise Doubt(str(exc)) from None


class ColumnarChunks:
    """Staged rows, a chunk at a time, for one CSV file (see `header_positions`). `meta_id` is the file's
    metadata for a plain file; `metadata` (a `metacolumns.MetadataColumns`) gives each row its own."""

    def __init__(self, decl: Declaration, packer: Packer, meta_id: int, order: tuple[int, ...], metadata=None):
        self.lanes = tuple(COLUMN_LANES[c.type] for c in decl.columns)
        self.packer, self.metadata = packer, metadata
        self.order, self.meta_id = order, meta_id
        self.width = len(order) + (len(metadata.positions) if metadata else 0)
        self.prefix, self.suffix = packer.record_template(meta_id)

    def read(self, path: Path, chunk_rows: int) -> Iterator[tuple[list[tuple], int]]:
        """(staged rows, bytes read so far) per chunk; raises Doubt at the first row it cannot vouch for."""
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            next(reader, None)
            for records in chunked(reader, chunk_rows):
                yield self.pack(records), handle.buffer.tell()

    def pack(self, records: list[list[str]]) -> list[tuple]:
        """The staged rows of a chunk of CSV records (blank records skipped)."""
        if self.metadata is None:
            return self.rows(*self.columns(records))
        records = self._records(records)
        ids = self.metadata.ids(records)
        args, texts = self._checked(records)
        templates = list(map(self.packer.record_template, ids))
        opens = map(str.__add__, map(itemgetter(0), templates), itertools.repeat("["))
        closes = map("]".__add__, map(itemgetter(1), templates))
        return list(zip(*args, _hashes(texts, opens, closes), ids))

    def rows(self, args: tuple[list, ...], hashes: list[str]) -> "StagedRows":
        """Staged rows from checked argument columns and their record hashes."""
        return StagedRows(args, hashes, self.meta_id)

    def columns(self, records: list[list[str]]) -> tuple[tuple[list, ...], list[str]]:
        """(the checked argument columns, the record hashes) of a chunk of a plain file's CSV records."""
        return self.checked_columns(self._values(self._records(records)))

    def checked_columns(self, columns: list[list[str]]) -> tuple[tuple[list, ...], list[str]]:
        """(the checked argument columns, the record hashes) of a chunk of a plain file, from the values of
        its declared columns (one list per column, in declaration order)."""
        args, texts = self._lanes(columns)
        return args, _hashes(texts, itertools.repeat(self.prefix + "["), itertools.repeat("]" + self.suffix))

    def _records(self, records: list[list[str]]) -> list[list[str]]:
        records = list(filter(None, records))  # blank lines
        if records and set(map(len, records)) != {self.width}:
            raise Doubt("a record with the wrong number of fields")
        return records

    def _checked(self, records: list[list[str]]) -> tuple[tuple[list, ...], tuple[list[str], ...]]:
        """(the checked argument columns, each value's canonical JSON) of non-blank records."""
        return self._lanes(self._values(records))

    def _values(self, records: list[list[str]]) -> list[list[str]]:
        """The declared columns' values of CSV records, one list per column in declaration order."""
        return [list(map(itemgetter(at), records)) for at in self.order]

    def _lanes(self, columns: list[list[str]]) -> tuple[tuple[list, ...], tuple[list[str], ...]]:
        """(the checked argument columns, each value's canonical JSON) of the declared columns' values."""
        if not columns or not columns[0]:
            return tuple([] for _ in self.order), tuple([] for _ in self.order)
        args, texts = zip(*[lane(column) for lane, column in zip(self.lanes, columns)])
        return args, texts


class StagedRows:
    """The staged rows of a plain file's chunk, (args..., hash, meta id) each, made one at a time as they are
    read (a list of tuples would cost an allocation per row, all alive at once)."""

    def __init__(self, args: tuple[list, ...], hashes: list[str], meta_id: int):
        self.args, self.hashes, self.meta_id = args, hashes, meta_id

    def __len__(self) -> int:
        return len(self.hashes)

    def __iter__(self) -> Iterator[tuple]:
        return zip(*self.args, self.hashes, itertools.repeat(self.meta_id))


def _hashes(texts: tuple, opens: Iterable[str], closes: Iterable[str]) -> list[str]:
    """The record hashes of a chunk: SHA-256 of each record's canonical JSON, which is its opening (the
    template's prefix and "["), the values' JSON (`texts`, one list per column) joined by ",", and its
    closing ("]" and the template's suffix)."""
    texts = list(texts)
    texts[0] = map(str.__add__, opens, texts[0])
    texts[-1] = map(str.__add__, texts[-1], closes)
    return list(map(_HEX, map(hashlib.sha256, map(str.encode, map(",".join, zip(*texts))))))
