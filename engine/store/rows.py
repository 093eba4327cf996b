"""Turn the items a reader yields into rows for an evidence table, or located problems."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..syntax.ast import Declaration
from .errors import Problem
from .items import Header, Item, Malformed, RawRow
from .manifest import FileDefaults
from .records import key_hash, record_hash
from .validation import Checked, Fault, validate_row
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


def table_rows(stamp: Stamp, items: Iterator[Item], problems: list[Problem]) -> Iterator[tuple[RawRow, dict | None]]:
    """For each record: (the RawRow as read, its table row or None when invalid); problems are appended."""
    for item in items:
        if isinstance(item, Header):
            header_problems = _check_header(stamp, item)
            problems.extend(header_problems)
            if header_problems:
                return
        elif isinstance(item, Malformed):
            problems.append(Problem("L009", str(stamp.path), item.line, item.col, None, None, item.reason))
        else:
            yield item, _row(stamp, item, problems)


def _check_header(stamp: Stamp, header: Header) -> list[Problem]:
    declared = [c.name for c in stamp.decl.columns]
    path, out = str(stamp.path), []
    if len(set(header.names)) != len(header.names):
        out.append(Problem("L009", path, 1, 1, None, None, "a column name appears twice in the header"))
    for name in declared:
        if name not in header.names:
            out.append(Problem("L002", path, 1, 1, name, None, "missing column"))
    for name in header.names:
        if name not in declared and name not in META_CHECKERS:
            line, col = header.positions[name]
            out.append(Problem("L003", path, line, col, name, None, "extra column: not declared for this predicate"))
    return out


def _row(stamp: Stamp, raw: RawRow, problems: list[Problem]) -> dict | None:
    checked = validate_row(stamp.decl, raw.values)
    if isinstance(checked, Checked):
        meta = _with_defaults(checked.meta, stamp.defaults)
        if checked.meta["source"] is None or meta["source"] in stamp.sources:  # defaults: checked with the manifest
            return _table_row(stamp, checked.args, meta)
        checked = [Fault("L011", "_source", meta["source"], "unknown source: not in the manifest nor the case file")]
    for fault in checked:
        line, col = raw.where(fault.column)
        problems.append(Problem(fault.code, str(stamp.path), line, col, fault.column, fault.value, fault.reason))
    return None


def _with_defaults(meta: dict, defaults: FileDefaults) -> dict:
    out = dict(meta)
    out["source"] = meta["source"] or defaults.source
    out["credibility"] = meta["credibility"] if meta["credibility"] is not None else defaults.credibility
    out["document"] = meta["document"] if meta["document"] is not None else defaults.document
    return out


def _table_row(stamp: Stamp, args: tuple, meta: dict) -> dict:
    predicate, values = stamp.decl.name, list(args)
    row = {col.name: value for col, value in zip(stamp.decl.columns, values)}
    row.update({f"_{name}": meta[name] for name in ("source", "document", "credibility", "observed",
                                                      "valid_from", "valid_to", "action")})
    row.update(_hash=record_hash(predicate, values, meta), _key=key_hash(predicate, values),
               _recorded_at=stamp.recorded_at, _batch=stamp.batch)
    return row
