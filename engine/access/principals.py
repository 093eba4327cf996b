"""Principals: the users and partner agencies a case file knows, and what each may see.

A principal has a clearance (a level of the case file's scheme), a nationality or agency code (what
`REL TO` lists name) and the handling caveats it holds. A `user` works in the case file's own agency; an
`agency` is a partner, which never sees a LOCAL ONLY record. The owner (`OWNER`) is the all-seeing local
principal commands act as when none is named, so a case file without principals behaves as before.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass

from .markings import Marking, MarkingError, Scheme, parse_caveats

OWNER_NAME = "owner"
KINDS = ("user", "agency")
_SCHEMA = ("CREATE TABLE IF NOT EXISTS principals (name TEXT PRIMARY KEY, kind TEXT NOT NULL, clearance TEXT NOT NULL, "
           "nationality TEXT NOT NULL, caveats TEXT NOT NULL, added_at TEXT NOT NULL)")


@dataclass(frozen=True)
class Principal:
    name: str
    kind: str = "user"
    clearance: str | None = None
    nationality: str | None = None
    caveats: tuple[str, ...] = ()
    owner: bool = False

    def may_see(self, marking: Marking, scheme: Scheme) -> bool:
        """Whether this principal may see a record with `marking`: cleared to its level, released to it,
        holding every caveat. The owner sees everything."""
        if self.owner:
            return True
        if self.clearance not in scheme.levels or marking.classification not in scheme.levels:
            return False
        if scheme.rank(self.clearance) < scheme.rank(marking.classification):
            return False
        rel = marking.releasable_to
        if rel is not None and (self.kind != "user" if not rel else self.nationality not in rel):
            return False
        return set(marking.caveats) <= set(self.caveats)

    def describe(self) -> str:
        if self.owner:
            return f"{self.name} (the case file's owner: sees everything)"
        held = f", caveats {', '.join(self.caveats)}" if self.caveats else ""
        return f"{self.name} ({self.kind}, {self.nationality}, cleared {self.clearance}{held})"

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "clearance": self.clearance, "nationality": self.nationality,
                "caveats": list(self.caveats), "owner": self.owner}


OWNER = Principal(OWNER_NAME, clearance=None, owner=True)


def ensure_table(conn: sqlite3.Connection) -> None:
    conn.execute(_SCHEMA)


def add(conn: sqlite3.Connection, scheme: Scheme, name: str, kind: str, clearance: str, nationality: str,
        caveats=None) -> Principal:
    """Record a new principal (inside the caller's transaction); MarkingError for a bad field or a name taken."""
    clean = name.strip() if isinstance(name, str) else ""
    if not clean or clean != name or len(clean) > 80 or clean == OWNER_NAME:
        raise MarkingError(f"{name!r} cannot name a principal", f"give a short name other than {OWNER_NAME!r}, "
                           "without leading or trailing spaces")
    if kind not in KINDS:
        raise MarkingError(f"kind {kind!r} is not a kind of principal", "give --kind user or --kind agency")
    code = " ".join(nationality.split()).upper()
    if not code or " " in code:
        raise MarkingError(f"{nationality!r} is not a nationality or agency code", "give a code such as UK or FR, "
                           "as REL TO lists name it")
    principal = Principal(clean, kind, scheme.level(clearance), code, parse_caveats(caveats))
    ensure_table(conn)
    if conn.execute("SELECT 1 FROM principals WHERE name = ?", [clean]).fetchone():
        raise MarkingError(f"a principal named {clean!r} is already in the case file", "choose another name")
    conn.execute("INSERT INTO principals VALUES (?, ?, ?, ?, ?, ?)",
                 [clean, kind, principal.clearance, code, ",".join(principal.caveats),
                  dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")])
    return principal


def listed(conn: sqlite3.Connection) -> list[Principal]:
    """The case file's principals, by name (the owner is implicit and not listed)."""
    try:
        rows = conn.execute("SELECT name, kind, clearance, nationality, caveats FROM principals ORDER BY name")
        return [Principal(n, k, c, nat, tuple(filter(None, cav.split(",")))) for n, k, c, nat, cav in rows]
    except sqlite3.OperationalError:  # no principals yet
        return []


def find(conn: sqlite3.Connection, name: str | None) -> Principal:
    """The principal named `name` (None or the owner's name: the owner); MarkingError for an unknown name."""
    if name is None or name == OWNER_NAME:
        return OWNER
    for p in listed(conn):
        if p.name == name:
            return p
    raise MarkingError(f"no principal named {name!r} in this case file",
                       "list them with: warrant principal list; add one with: warrant principal add")
