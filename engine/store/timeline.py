"""Why records exist but are not in force under a run's clocks: each out-of-clock record with its dates.

Why-not uses this so that "no evidence record is in force" names the record that missed and when it
would have counted ("valid only from 2025-01-10"), instead of suggesting a misspelt name.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..syntax.ast import Declaration
from .asof import Clocks
from .evidence import quote, table_name

LIMIT = 20


@dataclass(frozen=True)
class OutOfClock:
    """An asserted record that the clocks keep out: its declared values, and why, with dates."""

    args: tuple
    reason: str


def moment_text(moment: str) -> str:
    """A stored cutoff as a reader says it: the date alone when it is the end of that day."""
    return moment[:10] if moment.endswith("T23:59:59.999999Z") else moment


def _retraction(conn, table: str, decl: Declaration, record: dict) -> dict | None:
    same = " AND ".join(f"{quote(c.name)} = ?" for c in decl.columns)
    sql = (f"SELECT _recorded_at, _valid_from, _batch FROM {table} WHERE _action = 'retract' "
           f"{'AND ' + same if same else ''} AND _recorded_at >= ? ORDER BY _recorded_at LIMIT 1")
    row = conn.execute(sql, [record[c.name] for c in decl.columns] + [record["_recorded_at"]]).fetchone()
    return None if row is None else {"recorded_at": row[0], "effective": row[1] or row[0][:10], "batch": row[2]}


def _reason(conn, table: str, decl: Declaration, record: dict, clocks: Clocks) -> str | None:
    recorded = record["_recorded_at"]
    if clocks.loaded_through is not None and record["_batch"] > clocks.loaded_through:
        return f"was loaded (load {record['_batch']}, recorded {moment_text(recorded)}) after the run was made"
    if clocks.known_at is not None and recorded > clocks.known_at:
        return f"was recorded on {recorded[:10]}, after the known-at time {moment_text(clocks.known_at)}"
    if record["_valid_from"] is not None and record["_valid_from"] > clocks.day:
        return f"is valid only from {record['_valid_from']} (assessed as of {clocks.day})"
    if record["_valid_to"] is not None and record["_valid_to"] <= clocks.day:
        return f"held only until {record['_valid_to']}, exclusive (assessed as of {clocks.day})"
    retraction = _retraction(conn, table, decl, record)
    if retraction and retraction["effective"] <= clocks.day and (
            clocks.known_at is None or retraction["recorded_at"] <= clocks.known_at) and (
            clocks.loaded_through is None or retraction["batch"] <= clocks.loaded_through):
        return f"was retracted with effect from {retraction['effective']} (recorded {retraction['recorded_at'][:10]})"
    return None


def out_of_clocks(conn: sqlite3.Connection, decl: Declaration, conditions: dict[str, object],
                  clocks: Clocks) -> list[OutOfClock]:
    """The asserted records of `decl` whose declared columns equal `conditions` but that are not in force
    under `clocks`, each with the first reason that keeps it out (at most LIMIT, oldest first)."""
    table = quote(table_name(decl.name))
    names = [c.name for c in decl.columns]
    where = "".join(f" AND {quote(k)} = ?" for k in sorted(conditions))
    sql = (f"SELECT {', '.join(quote(n) for n in names) + ', ' if names else ''}_recorded_at, _valid_from, "
           f"_valid_to, _batch FROM {table} WHERE _action = 'assert'{where} ORDER BY _recorded_at, _hash")
    try:
        cursor = conn.execute(sql, [conditions[k] for k in sorted(conditions)])
    except sqlite3.OperationalError:  # no such table: nothing was ever loaded for it
        return []
    out = []
    for row in cursor:
        record = dict(zip(names + ["_recorded_at", "_valid_from", "_valid_to", "_batch"], row))
        reason = _reason(conn, table, decl, record, clocks)
        if reason is not None:
            out.append(OutOfClock(tuple(record[n] for n in names), reason))
            if len(out) >= LIMIT:
                break
    return out


def clocks_text(as_of: str, known_at: str | None) -> str:
    """A run's two clocks in words: 'assessed as of 2024-03-01 on the evidence recorded up to 2026-12-02'."""
    return f"assessed as of {as_of[:10]} on the evidence recorded up to {moment_text(known_at or as_of)}"
