"""Turn the items a reader yields into staged rows for an evidence table, or located problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping

from ..syntax.ast import Declaration
from .errors import Problem
from .items import Header, Item, RawRow
from .manifest import FileDefaults
from .names import NameWarning, misleading, misleading_warning
from .packing import Packer
from .recordmarks import MARKING_COLUMNS, RecordMarks
from .validation import NO_META, Checked, Fault, fast_checker, validate_row
from .values import META_CHECKERS


@dataclass(frozen=True)
class Stamp:
    """What every row of one file gets: its predicate, file defaults, known sources, the time and the batch."""

    decl: Declaration
    path: Path
    defaults: FileDefaults
    sources: frozenset[str]
    recorded_at: str
    batch: int
    marks: RecordMarks | None = None  # where rows' own markings are checked and noted

    def default_meta(self) -> dict:
        """The metadata of a row that states none of its own: the file's defaults."""
        return _with_defaults(NO_META, self.defaults)


def table_rows(stamp: Stamp, items: Iterator[Item], problems: list[Problem], packer: Packer,
               names: dict[str, NameWarning] | None = None) -> Iterator[tuple[RawRow, tuple | None]]:
    """For each record: (the RawRow as read, its staged row (see Packer.pack) or None when invalid).

    Problems are appended; so are, to `names`, the entity names that may mislead a reader (see
    `names.misleading`), each with where it first appears. Rows without metadata of their own (the usual
    case) take the fast path."""
    fast, pack = fast_checker(stamp.decl), packer.pack
    default_meta = packer.meta_id(stamp.default_meta())
    entities = [(at, c.name) for at, c in enumerate(stamp.decl.columns) if c.type == "entity"]
    for item in items:
        if type(item) is RawRow:
            own = _own_marking(stamp, item)
            if own:
                item = RawRow(item.line, {k: v for k, v in item.values.items() if k not in own}, item.positions,
                              item.consumed)
            checked = fast(item.values)
            if checked is not None and checked[1] is NO_META:
                row = pack(checked[0], default_meta)
            else:
                row = _row(stamp, item, problems, packer, checked)
            if row is not None and names is not None:
                _note_names(stamp, item, row, entities, names)
            if own and row is not None:
                source = _text(item.values.get("_source")) or stamp.defaults.source
                stamp.marks.row(stamp.path, item, own, row[-2], stamp.defaults, source, problems)
            yield item, row
        elif isinstance(item, Header):
            header_problems = _check_header(stamp, item)
            problems.extend(header_problems)
            if header_problems:
                return
        else:
            problems.append(Problem("L009", str(stamp.path), item.line, item.col, None, None, item.reason))


def _own_marking(stamp: Stamp, item: RawRow) -> dict:
    """The row's marking fields (`_classification`, `_releasability`, `_caveats`), as read."""
    if stamp.marks is None:
        return {}
    return {name: item.values[name] for name in MARKING_COLUMNS if name in item.values}


def _text(value) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _note_names(stamp: Stamp, item: RawRow, row: tuple, entities: list[tuple[int, str]],
                names: dict[str, NameWarning]) -> None:
    for at, column in entities:
        name = row[at]
        if name not in names and (reason := misleading(name)):
            names[name] = misleading_warning(str(stamp.path), *item.where(column), column, name, reason)


def _check_header(stamp: Stamp, header: Header) -> list[Problem]:
    declared = [c.name for c in stamp.decl.columns]
    path, out = str(stamp.path), []
    if len(set(header.names)) != len(header.names):
        out.append(Problem("L009", path, 1, 1, None, None, "a column name appears twice in the header"))
    for name in declared:
        if name not in header.names:
            out.append(Problem("L002", path, 1, 1, name, None, "missing column"))
    for name in header.names:
        if name not in declared and name not in META_CHECKERS and name not in MARKING_COLUMNS:
            line, col = header.positions.get(name, (1, 1))
            out.append(Problem("L003", path, line, col, name, None, "extra column: not declared for this predicate"))
    return out


def _row(stamp: Stamp, raw: RawRow, problems: list[Problem], packer: Packer,
         checked: tuple[tuple, Mapping] | None) -> tuple | None:
    """A row with metadata of its own, or one the fast checker refused (pydantic then lists every fault)."""
    if checked is None:
        result = validate_row(stamp.decl, raw.values)
        checked = (result.args, result.meta) if isinstance(result, Checked) else None
        faults = [] if isinstance(result, Checked) else result
    if checked is not None:
        args, own = checked
        meta = _with_defaults(own, stamp.defaults)
        if own["source"] is None or meta["source"] in stamp.sources:  # defaults: checked with the manifest
            return packer.pack(args, packer.meta_id(meta))
        faults = [Fault("L011", "_source", meta["source"], "unknown source: not in the manifest nor the case file")]
    for fault in faults:
        line, col = raw.where(fault.column)
        problems.append(Problem(fault.code, str(stamp.path), line, col, fault.column, fault.value, fault.reason))
    return None


def _with_defaults(meta: Mapping, defaults: FileDefaults) -> dict:
    out = dict(meta)
    out["source"] = meta["source"] or defaults.source
    out["credibility"] = meta["credibility"] if meta["credibility"] is not None else defaults.credibility
    out["document"] = meta["document"] if meta["document"] is not None else defaults.document
    return out
