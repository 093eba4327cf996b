"""Entities as the evidence names them: search by id or name, the records about one, its holdings in and out.

An entity is any value of an `entity` column of an evidence predicate. Its names come from the case file's
`entity_names` table when there is one (loads of FollowTheMoney data add it); a case file without it has ids only.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..eval.relations import ident
from ..store.asof import Clocks, in_force_sql
from ..store.backend import POSTGRES, dialect
from ..store.schema import quote, table_columns, table_names
from ..syntax.ast import Declaration

NAMES_TABLE = "entity_names"
_NAME_COLUMNS = (("entity", "name"), ("entity_id", "name"), ("id", "name"))


@dataclass(frozen=True)
class Record:
    """One evidence record about an entity, with its source, grade and dates."""

    predicate: str
    args: tuple
    text: str
    record: str
    action: str
    source: str
    source_kind: str | None
    grade: str
    document: str | None
    observed: str | None
    valid_from: str | None
    valid_to: str | None
    recorded_at: str | None


@dataclass(frozen=True)
class Edge:
    """A holding or control between two entities: `source` -> `target`, as a predicate states it."""

    predicate: str
    source: str
    target: str
    label: str


def grade_text(reliability: str | None, credibility) -> str:
    """A record's grade as a reviewer reads it: reliability and credibility together ("B2"), or "not graded"."""
    from ..proof.terms import value_text

    if reliability is None and credibility is None:
        return "not graded"
    return f"{reliability or '?'}{value_text(credibility) if credibility is not None else '?'}"


def entity_columns(decl: Declaration) -> list[str]:
    """The names of a declaration's entity-typed columns, in order."""
    return [c.name for c in decl.columns if c.type == "entity"]


def _tables(conn: sqlite3.Connection) -> set[str]:
    return set(table_names(conn))


def _stored(conn: sqlite3.Connection, decls: list[Declaration]) -> list[Declaration]:
    tables = _tables(conn)
    return [d for d in decls if d.is_evidence and f"ev_{d.name}" in tables and entity_columns(d)]


def names_source(conn: sqlite3.Connection) -> tuple[str, str, set[str]] | None:
    """(entity column, name column, every column) of the case file's entity-names table, or None without one."""
    if NAMES_TABLE not in _tables(conn):
        return None
    columns = {name for name, _ in table_columns(conn, NAMES_TABLE)}
    return next(((key, name, columns) for key, name in _NAME_COLUMNS if {key, name} <= columns), None)


def names_of(conn: sqlite3.Connection, entity: str) -> list[str]:
    """Every name the case file records for `entity` (its name, then its aliases), in order, without repeats;
    [] without an entity-names table."""
    return naming(conn, entity)["names"]


def naming(conn: sqlite3.Connection, entity: str) -> dict:
    """{names: [...], identifiers: {label: value}} from the entity-names table (empty without one): the name
    and aliases, and the country, registration number and kind of entity where the table has them."""
    import json

    source = names_source(conn)
    out: dict = {"names": [], "identifiers": {}}
    if source is None:
        return out
    key, name, columns = source
    extra = [c for c in ("aliases", "country", "registration", "registration_number", "schema") if c in columns]
    select = ", ".join(ident(c) for c in [name, *extra])
    for row in conn.execute(f"SELECT {select} FROM {quote(NAMES_TABLE)} WHERE {ident(key)} = ? ORDER BY {ident(name)}",
                            [entity]):
        found = dict(zip([name, *extra], row))
        aliases = found.pop("aliases", None)
        try:
            aliases = json.loads(aliases) if isinstance(aliases, str) else []
        except ValueError:
            aliases = [aliases]
        for n in [found.pop(name), *(aliases if isinstance(aliases, list) else [])]:
            if isinstance(n, str) and n and n not in out["names"]:
                out["names"].append(n)
        labels = {"country": "country", "registration": "registration number",
                  "registration_number": "registration number", "schema": "kind"}
        out["identifiers"].update({labels[k]: v for k, v in found.items() if v})
    return out


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _contains(conn, column: str, pattern: str) -> str:
    """`column LIKE pattern` as SQLite has it, ASCII letters in either case alike (PostgreSQL's LIKE tells
    them apart; lower() in the "C" collation changes ASCII letters only, as SQLite's LIKE ignores no others)."""
    if dialect(conn) == POSTGRES:
        return f"lower({column} COLLATE \"C\") LIKE lower({pattern} COLLATE \"C\") ESCAPE '\\'"
    return f"{column} LIKE {pattern} ESCAPE '\\'"


def search(conn: sqlite3.Connection, decls: list[Declaration], text: str, limit: int = 20) -> list[dict]:
    """Entities whose id or a name contains `text` (case-insensitive), ids first that start with it, at most
    `limit`: [{id, names}]."""
    text = text.strip()
    if not text:
        return []
    found: set[str] = set()
    source = names_source(conn)
    if source is not None:
        key, name, columns = source
        searched = [c for c in (name, "aliases") if c in columns]
        where = " OR ".join(_contains(conn, ident(c), ":text") for c in searched)
        found |= {r[0] for r in conn.execute(f"SELECT DISTINCT {ident(key)} FROM {quote(NAMES_TABLE)} WHERE {where} "
                                             f"LIMIT :limit", {"text": _like(text), "limit": limit})}
    for decl in _stored(conn, decls):
        for col in entity_columns(decl):
            if len(found) >= 4 * limit:
                break
            found |= {r[0] for r in conn.execute(
                f"SELECT DISTINCT {ident(col)} FROM {quote('ev_' + decl.name)} WHERE {_contains(conn, ident(col), '?')} "
                f"LIMIT ?", [_like(text), limit]) if r[0] is not None}
    lowered = text.lower()
    ranked = sorted(found, key=lambda e: (not str(e).lower().startswith(lowered), str(e)))[:limit]
    return [{"id": e, "names": names_of(conn, e)} for e in ranked]


def evidence_about(conn: sqlite3.Connection, decls: list[Declaration], entity: str, limit: int = 500) -> list[Record]:
    """Every record (assertions and retractions) whose entity columns name `entity`, by predicate and time."""
    from ..proof.terms import atom_text

    out: list[Record] = []
    for decl in _stored(conn, decls):
        names = [c.name for c in decl.columns]
        where = " OR ".join(f"e.{ident(c)} = ?" for c in entity_columns(decl))
        cursor = conn.execute(
            f"SELECT {', '.join('e.' + ident(n) for n in names)}, e._hash, e._action, e._source, s.name, s.kind, "
            f"s.reliability, e._credibility, e._document, e._observed, e._valid_from, e._valid_to, e._recorded_at "
            f"FROM {quote('ev_' + decl.name)} AS e LEFT JOIN sources AS s ON s.id = e._source WHERE {where} "
            f"ORDER BY e._recorded_at, e._hash LIMIT ?", [entity] * len(entity_columns(decl)) + [limit])
        for row in cursor:
            args, meta = tuple(row[:len(names)]), row[len(names):]
            h, action, src, src_name, kind, reliability, credibility, document, observed, vf, vt, recorded = meta
            out.append(Record(decl.name, args, atom_text(decl.name, args), h, action or "assert",
                              src_name or src or "unknown source", kind, grade_text(reliability, credibility),
                              document, observed, vf, vt, recorded))
    return out


def holdings(conn: sqlite3.Connection, decls: list[Declaration], entity: str, clocks: Clocks,
             visible=lambda evidence_sql: evidence_sql, limit: int = 40) -> tuple[list[Edge], int]:
    """Holdings and control in force under `clocks` into and out of `entity`: predicates with two or more
    entity columns, first -> second, from the records `visible` keeps (it wraps the evidence query, as
    `Withholding.provider` does). Returns (edges, how many more were left out past `limit` each way)."""
    from ..proof.terms import value_text

    edges: list[Edge] = []
    more = 0
    evidence_sql = visible(lambda decl, _as_of=None: in_force_sql(decl, clocks))
    for decl in _stored(conn, decls):
        cols = entity_columns(decl)
        if len(cols) < 2:
            continue
        first, second = cols[:2]
        others = [c.name for c in decl.columns if c.name not in (first, second)]
        sql, params = evidence_sql(decl)
        select = ", ".join(ident(c) for c in [first, second, *others])
        for col in (first, second):
            rows = conn.execute(f"SELECT DISTINCT {select} FROM ({sql}) AS _in_force WHERE {ident(col)} = ? "
                                f"ORDER BY {select} LIMIT ?", list(params) + [entity, limit + 1]).fetchall()
            more += max(0, len(rows) - limit)
            for row in rows[:limit]:
                label = " ".join([decl.name] + [value_text(v) for v in row[2:]])
                edges.append(Edge(decl.name, row[0], row[1], label))
    return sorted(set(edges), key=lambda e: (e.predicate, e.source, e.target, e.label)), more
