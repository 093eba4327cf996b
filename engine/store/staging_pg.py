"""Staging on PostgreSQL: one file's rows COPYed into a temporary table, then the new ones moved into its
evidence table in one statement (staging.Stage, for a case on PostgreSQL).

The first row of each `_hash` that the table lacks goes in, in file order. A table this load made has no
index but its partial ones until the load has filled it (loading.py then builds them, sorted, much faster
than row by row), and no other transaction can see it; a table that was there keeps its indexes (dropping
them would lock out its readers until the load commits), and `ON CONFLICT (_hash) DO NOTHING` leaves alone
a record that another load added meanwhile."""

from __future__ import annotations

import psycopg

from ..syntax.ast import Declaration
from .backend_pg import cannot_hold
from .evidence import POSTGRES_TYPES, quote, table_name
from .packing import META_FIELDS
from .schema import Store
from .staging import META, STAGE, Stage

_META_TYPES = {"credibility": "BIGINT"}  # the other metadata are text


class PostgresStage(Stage):
    """The staged rows of one file for `decl`'s table, staged through COPY."""

    def _stage_rows(self, rows: list[tuple]) -> None:
        columns = [f"c{i}" for i in range(self.width)] + ["_hash", "_meta"]
        self._copy(f"COPY {STAGE} ({', '.join(columns)}) FROM STDIN", rows)

    def _stage_metas(self, rows: list[tuple]) -> None:
        self._copy(f"COPY {META} (id, {', '.join(META_FIELDS)}) FROM STDIN", rows)

    def _copy(self, statement: str, rows) -> None:
        refused = None
        with self.store.conn.raw.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                try:
                    copy.write_row(row)
                except psycopg.DataError as exc:  # ends the COPY with the rows before: the transaction stays usable
                    refused = exc
                    break
        if refused is not None:
            raise cannot_hold(refused) from None

    def _insert_new(self, recorded_at: str, batch: int) -> int:
        name = table_name(self.decl.name)
        table = quote(name)
        names, values, source = self._moved("firsts")
        indexed = self.store.conn.execute("SELECT to_regclass(?) IS NOT NULL", [quote(f"{name}_hash")]).fetchone()[0]
        sql = (f"WITH firsts AS (SELECT DISTINCT ON (_hash) * FROM {STAGE} AS f WHERE NOT EXISTS "
               f"(SELECT 1 FROM {table} AS e WHERE e._hash = f._hash) ORDER BY _hash, _n) "
               f"INSERT INTO {table} ({names}) SELECT {values} FROM {source} ORDER BY s._n"
               + (" ON CONFLICT (_hash) DO NOTHING" if indexed else ""))
        return self.store.conn.execute(sql, [*(self._meta or ()), recorded_at, batch]).rowcount


def create_stage(store: Store, decl: Declaration) -> PostgresStage:
    """The temporary tables of one file's stage, typed as the evidence table's columns (`_n`: file order)."""
    types = [POSTGRES_TYPES[c.type] for c in decl.columns]
    columns = [f"c{i} {kind}" for i, kind in enumerate(types)] + ["_hash TEXT", "_meta BIGINT", "_n BIGSERIAL"]
    metas = ", ".join(f"{name} {_META_TYPES.get(name, 'TEXT')}" for name in META_FIELDS)
    store.conn.execute(f"CREATE TEMP TABLE {STAGE} ({', '.join(columns)})")
    store.conn.execute(f"CREATE TEMP TABLE {META} (id BIGINT PRIMARY KEY, {metas})")
    return PostgresStage(store, decl)


__all__ = ["PostgresStage", "create_stage"]
