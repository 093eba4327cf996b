"""The evidence provider seen from the proof layer: in-force SQL with named parameters, and records.

A provider is `(declaration, as_of) -> (sql, params)` (as `evaluate` takes; the store's
`in_force_sql`). Its positional `?` parameters are renamed so several providers' queries can
sit in one statement next to the compiler's named parameters.
"""

from __future__ import annotations

import re
from typing import Callable

from ..eval.relations import META_COLUMNS, ident
from ..syntax.ast import Declaration

EvidenceSQL = Callable[[Declaration, str | None], tuple[str, object]]

_META = tuple(sorted(set(META_COLUMNS.values()) | {"_source_name"}))


def named_params(sql: str, params, prefix: str) -> tuple[str, dict]:
    """Rewrite `?`/`?NNN` placeholders outside quotes and comments as `:<prefix><i>`."""
    if isinstance(params, dict):
        return sql, dict(params)
    params = list(params or [])
    out, named, i, n = [], {}, 0, 0
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"`[":
            close = "]" if ch == "[" else ch
            j = i + 1
            while j < len(sql):
                if sql[j] == close:
                    if close != "]" and j + 1 < len(sql) and sql[j + 1] == close:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = len(sql) if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = len(sql) if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif ch == "?":
            m = re.match(r"\?(\d+)", sql[i:])
            if m:
                index = int(m.group(1)) - 1
                i += len(m.group(0))
            else:
                index = n
                n += 1
                i += 1
            name = f"{prefix}{index}"
            named[name] = params[index]
            out.append(":" + name)
        else:
            out.append(ch)
            i += 1
    return "".join(out), named


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
