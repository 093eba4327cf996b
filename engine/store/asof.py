"""Which evidence records are in force at a moment, and one record by its hash (for proofs)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone

from ..syntax.ast import Declaration
from .errors import store_error
from .evidence import WINDOWED, evidence_tables, quote, retract_index, table_name, windows_index
from .records import format_timestamp, parse_timestamp
from .schema import Store

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _meta_select(source: str) -> str:
    """The metadata columns of a record; `source` is how a column of its source is read ({} for the column)."""
    return (f"e._hash AS _hash, e._source AS _source, {source.format('name')} AS _source_name, "
            f"{source.format('kind')} AS _source_kind, {source.format('reliability')} AS _reliability, "
            f"e._credibility AS _credibility, {source.format('jurisdiction')} AS _jurisdiction, "
            "e._document AS _document, e._observed AS _observed, e._valid_from AS _valid_from, "
            "e._valid_to AS _valid_to, e._recorded_at AS _recorded_at")


_META_SELECT = _meta_select("s.{}")
# the source's columns as subqueries, so a query that reads only the arguments scans a covering index
_META_SUBQUERIES = _meta_select("(SELECT s.{} FROM sources AS s WHERE s.id = e._source)")


def as_of_bounds(as_of: str | None) -> tuple[str | None, str]:
    """(latest recorded_at included, or None for all; the as-of date). A date means up to the end of that day."""
    if as_of is None:
        return None, datetime.now(timezone.utc).date().isoformat()
    try:
        if _DATE.fullmatch(as_of.strip()):
            day = parse_timestamp(as_of).date().isoformat()
            return f"{day}T23:59:59.999999Z", day
        cutoff = format_timestamp(parse_timestamp(as_of))
    except ValueError:
        raise store_error("S002", f"as-of {as_of!r} is not a date YYYY-MM-DD nor an ISO timestamp") from None
    return cutoff, cutoff[:10]


def in_force_sql(declaration: Declaration, as_of: str | None, every_record: bool = False) -> tuple[str, list]:
    """SELECT over `ev_<pred>` and `sources`: the declared columns then the metadata, for the records in force.

    In force: asserted, recorded by as_of, valid on the as-of date, and not ended by a retraction of the
    same arguments recorded by as_of (and not before the record) whose effective date is on or before that date.
    With `every_record` (see `every_record_in_force`) the same records are selected without testing each."""
    cutoff, day = as_of_bounds(as_of)
    table = quote(table_name(declaration.name))
    columns = ", ".join(f"e.{quote(c.name)} AS {quote(c.name)}" for c in declaration.columns)
    if every_record:
        return f"SELECT {columns}, {_META_SUBQUERIES} FROM {table} AS e", []
    same_args = "".join(f"r.{quote(c.name)} = e.{quote(c.name)} AND " for c in declaration.columns)
    recorded, params = ("e._recorded_at <= ? AND ", [cutoff]) if cutoff else ("", [])
    r_recorded, r_params = ("r._recorded_at <= ? AND ", [cutoff]) if cutoff else ("", [])
    sql = (
        f"SELECT {columns}, {_META_SELECT} FROM {table} AS e LEFT JOIN sources AS s ON s.id = e._source "
        f"WHERE e._action = 'assert' AND {recorded}"
        "(e._valid_from IS NULL OR e._valid_from <= ?) AND (e._valid_to IS NULL OR ? < e._valid_to) "
        f"AND NOT EXISTS (SELECT 1 FROM {table} AS r WHERE {same_args}r._action = 'retract' "
        f"AND {r_recorded}r._recorded_at >= e._recorded_at "
        "AND COALESCE(r._valid_from, substr(r._recorded_at, 1, 10)) <= ?)"
    )
    return sql, params + [day, day] + r_params + [day]


def every_record_in_force(conn: sqlite3.Connection, declaration: Declaration, as_of: str | None) -> bool:
    """Whether every record of the predicate's table is in force at `as_of`: no retraction, no validity window,
    and no load recorded after that moment (each record carries its load's time; records that came by no
    load cannot be dated so). Then a query may read the whole table, much faster than testing each record;
    False whenever this cannot be told."""
    name = declaration.name
    table = quote(table_name(name))
    try:
        exceptions = conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table} INDEXED BY {quote(retract_index(name))} WHERE _action = 'retract') "
            f"OR EXISTS (SELECT 1 FROM {table} INDEXED BY {quote(windows_index(name))} WHERE {WINDOWED})").fetchone()[0]
    except sqlite3.OperationalError:  # no such table or index: test record by record
        return False
    cutoff, _ = as_of_bounds(as_of)
    latest = conn.execute("SELECT MAX(started_at) FROM loads").fetchone()[0]
    return not exceptions and latest is not None and (cutoff is None or latest <= cutoff)


def record_by_hash(store: Store, record_hash: str) -> dict | None:
    """The record with this `_hash`, from whichever evidence table holds it, with its source; None if absent.

    Keys: `predicate`, `args` (declared column -> value), every `_` metadata column, and the source's
    `_source_name`, `_source_kind`, `_reliability`, `_jurisdiction`, `_classification`, `_releasability`."""
    for name in evidence_tables(store):
        cursor = store.db.execute(
            f"SELECT e.*, s.name AS _source_name, s.kind AS _source_kind, s.reliability AS _reliability, "
            f"s.jurisdiction AS _jurisdiction, s.classification AS _classification, "
            f"s.releasability AS _releasability FROM {quote(name)} AS e "
            f"LEFT JOIN sources AS s ON s.id = e._source WHERE e._hash = ?", [record_hash])
        row = cursor.fetchone()
        if row is not None:
            record = dict(zip([d[0] for d in cursor.description], row))
            args = {k: v for k, v in record.items() if not k.startswith("_")}
            meta = {k: v for k, v in record.items() if k.startswith("_")}
            return {"predicate": name[len("ev_"):], "args": args, **meta}
    return None
