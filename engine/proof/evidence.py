"""The evidence provider seen from the proof layer: in-force SQL with named parameters, and records.

A provider is `(declaration, as_of) -> (sql, params)` (as `evaluate` takes; the store's
`in_force_sql`). Its positional `?` parameters are renamed so several providers' queries can
sit in one statement next to the compiler's named parameters.
"""

from __future__ import annotations

from typing import Callable

from ..eval.relations import META_COLUMNS, ident, named_params
from ..syntax.ast import Declaration

EvidenceSQL = Callable[[Declaration, str | None], tuple[str, object]]

_META = tuple(sorted(set(META_COLUMNS.values()) | {"_source_name"}))


def provider_sql(decls: dict[str, Declaration], evidence_sql: EvidenceSQL, as_of) -> tuple[dict[str, str], dict]:
    """Each evidence predicate's in-force SELECT (named parameters) and all their parameters."""
    sqls, params = {}, {}
    for name, decl in sorted(decls.items()):
        if decl.is_evidence:
            sql, ps = evidence_sql(decl, as_of)
            sqls[name], named = named_params(sql, ps, f"ev_{name}_")
            params.update(named)
    return sqls, params


def record_rows(conn, decl: Declaration, sql: str, params: dict, conditions: dict[str, object]) -> list[dict]:
    """In-force records of `decl` whose columns (declared or metadata) equal `conditions`, one dict each."""
    where, ps = [], dict(params)
    for i, (col, value) in enumerate(sorted(conditions.items())):
        ps[f"rc{i}"] = value
        where.append(f"r.{col if col.startswith('_') else ident(col)} = :rc{i}")
    text = f"SELECT * FROM ({sql}) AS r" + (" WHERE " + " AND ".join(where) if where else "")
    cur = conn.execute(text, ps)
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    for r in rows:
        for m in _META:
            r.setdefault(m, None)
    return rows
