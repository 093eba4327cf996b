"""After a load is staged: the names it brought that differ from another entity's (of this load or already
in the case file) only by invisible or lookalike characters.

Only names `names.misleading` flags can look like another, so the work is proportional to those: this
load's (noted while reading) and earlier loads' (kept in the `loads` table with each file's warnings).
A plain name looked up is found by the indexes on every entity column."""

from __future__ import annotations

import json
from typing import Iterator

from ..syntax.ast import Declaration
from .evidence import quote, table_name
from .items import RawRow
from .names import NameWarning, lookalike_warning, skeleton
from .readers import read_facts
from .rows import Stamp
from .schema import Store, table_names


def lookalike_warnings(store: Store, decls: list[Declaration], batch: int,
                       flagged: list[tuple[Stamp, dict[str, NameWarning]]]) -> list[NameWarning]:
    """An L015 warning for each name of this load that reads like another entity's name."""
    new = {name: found for _, names in flagged for name, found in names.items()}
    earlier = _earlier_flagged(store, batch) - set(new)
    groups: dict[str, set[str]] = {}
    for name in [*new, *earlier]:
        groups.setdefault(skeleton(name), set()).add(name)
    columns = _entity_columns(store, decls)
    out = []
    for name, found in new.items():
        looks = skeleton(name)
        plain = [looks] if looks != name and _stored(store, columns, looks) else []
        others = plain + sorted(groups[looks] - {name, looks})
        out += [lookalike_warning(found, other) for other in others[:1]]
    for name in sorted(earlier):
        looks = skeleton(name)
        if looks != name and looks not in new and (where := _located(store, flagged, batch, looks)):
            out.append(lookalike_warning(where, name))
    return out


def _earlier_flagged(store: Store, batch: int) -> set[str]:
    rows = store.conn.execute("SELECT files FROM loads WHERE id < ? AND files LIKE '%\"L014\"%'", [batch])
    return {w["name"] for (files,) in rows for f in json.loads(files) for w in f.get("warnings", ())
            if w.get("code") == "L014"}


def _entity_columns(store: Store, decls: list[Declaration]) -> list[tuple[Declaration, str, str]]:
    tables = set(table_names(store.conn))
    return [(decl, quote(table_name(decl.name)), quote(c.name)) for decl in decls
            if table_name(decl.name) in tables for c in decl.columns if c.type == "entity"]


def _stored(store: Store, columns, name: str, batch: int | None = None) -> bool:
    where = "" if batch is None else " AND _batch = ?"
    args = [name] if batch is None else [name, batch]
    return any(store.conn.execute(f"SELECT 1 FROM {table} WHERE {column} = ?{where} LIMIT 1", args).fetchone()
               for _, table, column in columns)


def _located(store: Store, flagged, batch: int, name: str) -> NameWarning | None:
    """Where this load's files first give the entity `name` (read again: the fast lanes keep no lines)."""
    for stamp, _ in flagged:
        columns = [c.name for c in stamp.decl.columns if c.type == "entity"]
        quoted = [(stamp.decl, quote(table_name(stamp.decl.name)), quote(c)) for c in columns]
        if columns and _stored(store, quoted, name, batch):
            for row, column in _rows_naming(stamp, columns, name):
                line, col = row.where(column)
                return NameWarning("L015", str(stamp.path), line, col, column, name, "")
    return None


def _rows_naming(stamp: Stamp, columns: list[str], name: str) -> Iterator[tuple[RawRow, str]]:
    for item in read_facts(stamp.path):
        if isinstance(item, RawRow):
            yield from ((item, column) for column in columns if item.values.get(column) == name)
