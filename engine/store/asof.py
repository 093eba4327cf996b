"""Which evidence records are in force under a run's two clocks, and one record by its hash (for proofs).

Valid time is the assessment date (`as_of`): a record counts when its validity window holds on that day
(`_valid_from` inclusive, `_valid_to` exclusive: the first day it no longer holds) and no retraction
effective by that day ends it. Record time is what the case file knew (`known_at`, `loaded_through`):
a record counts when it was recorded by `known_at` and came in a load the case file held then."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from ..syntax.ast import Declaration
from .backend import POSTGRES, dialect, has_table
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
        raise store_error("S002", f"{as_of!r} is not a date YYYY-MM-DD nor an ISO timestamp") from None
    return cutoff, cutoff[:10]


@dataclass(frozen=True)
class Clocks:
    """A run's two clocks. Valid time: `as_of`, the assessment date (a date, or a timestamp whose date counts).
    Record time: `known_at`, the latest receipt time of the records seen (None: any), and `loaded_through`,
    the last load batch the case file held when the run was made (None: any), so that a load made later,
    even one backdated with `recorded_at`, never changes what an earlier run saw."""

    as_of: str
    known_at: str | None = None
    loaded_through: int | None = None

    @property
    def day(self) -> str:
        """The assessment date, YYYY-MM-DD."""
        return self.as_of[:10]

    @classmethod
    def legacy(cls, as_of: str | None) -> "Clocks":
        """One clock for both, as runs made before the two clocks were: records recorded by the end of `as_of`."""
        cutoff, day = as_of_bounds(as_of)
        return cls(day if as_of is None or _DATE.fullmatch(as_of.strip()) else cutoff, cutoff)


def known_at_bound(text: str) -> str:
    """The stored timestamp that `--known-at TEXT` means: a date is up to the end of that day (UTC)."""
    cutoff, _ = as_of_bounds(text)
    return cutoff or ""


def recorded_at_stamp(text: str) -> str:
    """The stored receipt time that `--recorded-at TEXT` means (a date is its first moment, UTC); refused
    when it cannot be read (S002) or lies in the future (S006)."""
    try:
        stamp = format_timestamp(parse_timestamp(text))
    except ValueError:
        raise store_error("S002", f"recorded-at {text!r} is not a date YYYY-MM-DD nor an ISO timestamp") from None
    now = format_timestamp(datetime.now(timezone.utc))
    if stamp > now:
        raise store_error("S006", f"recorded-at {text!r} is in the future (now is {now})")
    return stamp


def _clocks(clocks: "Clocks | str | None") -> Clocks:
    return clocks if isinstance(clocks, Clocks) else Clocks.legacy(clocks)


def _record_time(alias: str, clocks: Clocks) -> tuple[str, list]:
    sql, params = "", []
    if clocks.known_at is not None:
        sql, params = f"{alias}._recorded_at <= ? AND ", [clocks.known_at]
    if clocks.loaded_through is not None:
        sql, params = sql + f"{alias}._batch <= ? AND ", params + [clocks.loaded_through]
    return sql, params


def in_force_sql(declaration: Declaration, clocks: "Clocks | str | None", every_record: bool = False) -> tuple[str, list]:
    """SELECT over `ev_<pred>` and `sources`: the declared columns then the metadata, for the records in force.

    In force: asserted, known under the record-time clock, valid on the assessment date, and not ended by a
    retraction of the same arguments, itself known under the record-time clock (and not recorded before the
    record), whose effective date is on or before that date. A plain string (or None) for `clocks` is the
    single clock of older runs (`Clocks.legacy`). With `every_record` (see `every_record_in_force`) the same
    records are selected without testing each."""
    clocks = _clocks(clocks)
    day = clocks.day
    table = quote(table_name(declaration.name))
    columns = "".join(f"e.{quote(c.name)} AS {quote(c.name)}, " for c in declaration.columns)  # none when nullary
    if every_record:
        return f"SELECT {columns}{_META_SUBQUERIES} FROM {table} AS e", []
    same_args = "".join(f"r.{quote(c.name)} = e.{quote(c.name)} AND " for c in declaration.columns)
    recorded, params = _record_time("e", clocks)
    r_recorded, r_params = _record_time("r", clocks)
    sql = (
        f"SELECT {columns}{_META_SELECT} FROM {table} AS e LEFT JOIN sources AS s ON s.id = e._source "
        f"WHERE e._action = 'assert' AND {recorded}"
        "(e._valid_from IS NULL OR e._valid_from <= ?) AND (e._valid_to IS NULL OR ? < e._valid_to) "
        f"AND NOT EXISTS (SELECT 1 FROM {table} AS r WHERE {same_args}r._action = 'retract' "
        f"AND {r_recorded}r._recorded_at >= e._recorded_at "
        "AND COALESCE(r._valid_from, substr(r._recorded_at, 1, 10)) <= ?)"
    )
    return sql, params + [day, day] + r_params + [day]


def every_record_in_force(conn: sqlite3.Connection, declaration: Declaration, clocks: "Clocks | str | None") -> bool:
    """Whether every record of the predicate's table is in force under `clocks`: no retraction, no validity
    window, no load recorded after `known_at` and none after `loaded_through` (each record carries its load's
    time and batch; records that came by no load cannot be dated so). Then a query may read the whole table,
    much faster than testing each record; False whenever this cannot be told."""
    name = declaration.name
    table = quote(table_name(name))
    postgres = dialect(conn) == POSTGRES
    if postgres and not has_table(conn, table_name(name)):  # a failed statement would end the transaction there
        return False
    indexed = {index: "" if postgres else f" INDEXED BY {quote(index)}"  # PostgreSQL's planner picks them itself
               for index in (retract_index(name), windows_index(name))}
    try:
        exceptions = conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM {table}{indexed[retract_index(name)]} WHERE _action = 'retract') "
            f"OR EXISTS (SELECT 1 FROM {table}{indexed[windows_index(name)]} WHERE {WINDOWED})").fetchone()[0]
    except sqlite3.OperationalError:  # no such table or index: test record by record
        return False
    clocks = _clocks(clocks)
    latest, last_batch = conn.execute("SELECT MAX(started_at), MAX(id) FROM loads").fetchone()
    return (not exceptions and latest is not None
            and (clocks.known_at is None or latest <= clocks.known_at)
            and (clocks.loaded_through is None or last_batch <= clocks.loaded_through))


def record_by_hash(store: Store, record_hash: str) -> dict | None:
    """The record with this `_hash`, from whichever evidence table holds it, with its source; None if absent.

    Keys: `predicate`, `args` (declared column -> value), every `_` metadata column, and the source's
    `_source_name`, `_source_kind`, `_reliability`, `_jurisdiction`, `_classification`, `_releasability`."""
    for name in evidence_tables(store):
        cursor = store.conn.execute(
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


def record_clocks(conn: sqlite3.Connection, run_id: str, clocks: Clocks) -> None:
    """Store a new run's clocks (in the run's transaction); `run_clocks` is append-only like `runs`."""
    conn.execute("CREATE TABLE IF NOT EXISTS run_clocks (run_id TEXT PRIMARY KEY, as_of TEXT NOT NULL, "
                 "known_at TEXT, loaded_through INTEGER)")
    conn.execute("INSERT INTO run_clocks (run_id, as_of, known_at, loaded_through) VALUES (?, ?, ?, ?)",
                 [run_id, clocks.as_of, clocks.known_at, clocks.loaded_through])


def clocks_of_run(conn: sqlite3.Connection, run_id: str, as_of: str) -> Clocks:
    """The clocks a stored run used: its recorded clocks, or for a run made before there were two clocks
    (no `run_clocks` row), the single clock of its as-of (`Clocks.legacy`)."""
    if dialect(conn) == POSTGRES and not has_table(conn, "run_clocks"):  # no failed statement there: see has_table
        row = None
    else:
        try:
            row = conn.execute("SELECT as_of, known_at, loaded_through FROM run_clocks WHERE run_id = ?",
                               [run_id]).fetchone()
        except sqlite3.OperationalError:
            row = None
    return Clocks(*row) if row else Clocks.legacy(as_of)


def last_batch(conn: sqlite3.Connection) -> int | None:
    """The newest load batch in the case file (None before any load)."""
    return conn.execute("SELECT MAX(id) FROM loads").fetchone()[0]
