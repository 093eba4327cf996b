"""The audit log: every load, registration, run and read of a conclusion, hash-chained.

Entry n stores the SHA-256 of entry n-1 and its own hash over (seq, at, actor, action,
entity, details, prev_hash) in canonical JSON. Editing, deleting, inserting or reordering
entries breaks the chain at the first entry touched; `verify` names it. Triggers refuse
UPDATE and DELETE through SQLite (and PostgreSQL), so tampering needs raw access to the file, and is caught.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import sqlite3
from dataclasses import dataclass

from ..store.backend import POSTGRES, dialect, has_table

GENESIS = "0" * 64
APPEND_LOCK = 0x5741_5252_414E_5402  # PostgreSQL: the advisory lock appends take turns on

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS audit_log (seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, "
    "action TEXT NOT NULL, entity TEXT, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    entity: str | None
    details: dict
    prev_hash: str
    hash: str

    def to_json(self) -> dict:
        return {"seq": self.seq, "at": self.at, "actor": self.actor, "action": self.action, "entity": self.entity,
                "details": self.details, "prev_hash": self.prev_hash, "hash": self.hash}


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    first_bad: int | None = None
    reason: str | None = None


def ensure_log(conn: sqlite3.Connection) -> None:
    """Create the log table and its append-only triggers if missing."""
    if dialect(conn) == POSTGRES:
        if not has_table(conn, "audit_log"):
            from .immutable import append_only_trigger
            conn.execute(_SCHEMA[0].replace("seq INTEGER", "seq BIGINT"))
            conn.execute(append_only_trigger("audit_log", "the audit log is append-only"))
        return
    found = conn.execute("SELECT COUNT(*) FROM sqlite_master WHERE name IN "
                         "('audit_log', 'audit_log_no_update', 'audit_log_no_delete')").fetchone()[0]
    if found < len(_SCHEMA):
        for statement in _SCHEMA:
            conn.execute(statement)


def default_actor() -> str:
    """The operating-system user, the actor when none is given."""
    try:
        return getpass.getuser()
    except Exception:  # no user database entry (containers)
        return "unknown"


def entry_hash(seq: int, at: str, actor: str, action: str, entity: str | None, details: dict, prev_hash: str) -> str:
    """The SHA-256 of an entry's fields in canonical JSON."""
    body = json.dumps([seq, at, actor, action, entity, details, prev_hash], sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, action: str, entity: str | None = None, details: dict | None = None,
           actor: str | None = None, at: str | None = None) -> AuditEntry:
    """Append one entry at the end of the chain (inside the caller's transaction, if any). On PostgreSQL
    the caller's transaction is required: appends wait for each other there, so the chain stays one chain."""
    ensure_log(conn)
    if dialect(conn) == POSTGRES:  # one appender at a time; readers are not held up
        conn.execute("SELECT pg_advisory_xact_lock(?)", [APPEND_LOCK])  # a reader may append; it may not LOCK TABLE
    actor = actor or default_actor()
    at = at or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    details = json.loads(json.dumps(details or {}, sort_keys=True, default=str))
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    h = entry_hash(seq, at, actor, action, entity, details, prev)
    conn.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                 (seq, at, actor, action, entity, json.dumps(details, sort_keys=True), prev, h))
    return AuditEntry(seq, at, actor, action, entity, details, prev, h)


def _row(r) -> AuditEntry:
    return AuditEntry(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7])


def entries(conn: sqlite3.Connection, action: str | None = None, entity: str | None = None, actor: str | None = None,
            since: str | None = None, until: str | None = None) -> list[AuditEntry]:
    """Entries in chain order, filtered; `entity` matches a substring, times compare as ISO text."""
    ensure_log(conn)
    conds, params = [], []
    for cond, value in (("action = ?", action), ("entity LIKE ?", f"%{entity}%" if entity else None),
                        ("actor = ?", actor), ("at >= ?", since), ("at <= ?", until)):
        if value is not None:
            conds.append(cond)
            params.append(value)
    where = " WHERE " + " AND ".join(conds) if conds else ""
    return [_row(r) for r in conn.execute(f"SELECT * FROM audit_log{where} ORDER BY seq", params)]


def verify(conn: sqlite3.Connection) -> ChainReport:
    """Walk the chain; report the first entry that was edited, inserted, deleted or moved."""
    ensure_log(conn)
    prev, expected_seq, count = GENESIS, 1, 0
    for r in conn.execute("SELECT * FROM audit_log ORDER BY seq"):
        e = _row(r)
        count += 1
        if e.seq != expected_seq:
            what = "an entry before it was deleted" if e.seq > expected_seq else "it was inserted or moved"
            return ChainReport(False, count, prev, e.seq, f"entry {e.seq} is at position {expected_seq}: {what}")
        if e.prev_hash != prev:
            return ChainReport(False, count, prev, e.seq,
                               f"entry {e.seq} does not follow entry {e.seq - 1}: entries were removed, inserted or reordered")
        if entry_hash(e.seq, e.at, e.actor, e.action, e.entity, e.details, e.prev_hash) != e.hash:
            return ChainReport(False, count, prev, e.seq, f"entry {e.seq} ({e.action}) was edited: its hash does not match its content")
        prev, expected_seq = e.hash, expected_seq + 1
    return ChainReport(True, count, prev)
