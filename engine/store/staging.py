"""Stage one file's rows in a TEMP table, then move the new ones into its evidence table in one statement.

Rows are bound with only what varies per row (the args, two hashes, a metadata id); the metadata, the
recording time and the batch join in once. When the file brings at least as many rows as the table holds,
the table's indexes are dropped and rebuilt after the insert: sorting once is far faster than updating
random-ordered B-trees row by row; a file rarely repeats a record, so the rows go in first and the unique
`_hash` index confirms it (else the insert is undone and redone with the first row of each `_hash`).
Either way the rows go in in file order, once per `_hash`."""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Iterator

from ..syntax.ast import Declaration
from .backend import POSTGRES, dialect
from .evidence import create_indexes, drop_indexes, quote, table_name
from .packing import META_FIELDS, Packer
from .schema import Store, write_transaction

STAGE, META = "warrant_stage", "warrant_meta"  # temporary tables: both databases look there first
SPILL_METAS = 50_000  # distinct metadata kept in memory while a file is staged, at most (about 20 MiB)


class Stage:
    """The staged rows of one file for `decl`'s table (on PostgreSQL, its subclass staging_pg.PostgresStage)."""

    def __init__(self, store: Store, decl: Declaration):
        self.store, self.decl, self.rows = store, decl, 0
        self._meta: list | None = None
        self.width = len(decl.columns)
        self._insert = f"INSERT INTO {STAGE} VALUES ({', '.join('?' * (self.width + 2))})"

    def add(self, rows: list[tuple], packer: Packer | None = None) -> None:
        """Stage packed rows: (args..., _hash, meta id). With `packer`, its metadata are staged too once they
        are many (see Packer.drain), so memory stays bounded however many distinct metadata a file has."""
        self._stage_rows(rows)
        self.rows += len(rows)
        if packer is not None and len(packer.metas) > SPILL_METAS:
            self._stage_metas(packer.drain())

    def _stage_rows(self, rows: list[tuple]) -> None:
        self.store.conn.executemany(self._insert, rows)

    def _stage_metas(self, rows: list[tuple]) -> None:
        self.store.conn.executemany(f"INSERT INTO {META} VALUES ({', '.join('?' * (len(META_FIELDS) + 1))})", rows)

    def clear(self) -> None:
        """Forget every staged row."""
        self.store.conn.execute(f"DELETE FROM {STAGE}")
        self.rows = 0

    def move(self, packer: Packer, recorded_at: str, batch: int) -> int:
        """Insert the staged rows the table lacks (first of each `_hash`, in file order). Returns how many."""
        if not self.rows:
            return 0
        # one metadata (a plain file): bound to the move itself; else joined in by id
        metas = packer.metas
        self._meta = list(next(iter(metas))) if len(metas) == 1 and not packer.drained else None
        if self._meta is None:
            self._stage_metas(packer.drain())
        return self._insert_new(recorded_at, batch)

    def _insert_new(self, recorded_at: str, batch: int) -> int:
        conn, table = self.store.conn, quote(table_name(self.decl.name))
        existing = conn.execute(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}").fetchone()[0]
        bulk = self.rows >= existing
        if bulk and existing:  # dedupe against the table while its `_hash` index is still there
            conn.execute(f"DELETE FROM {STAGE} WHERE EXISTS (SELECT 1 FROM {table} AS e WHERE e._hash = {STAGE}._hash)")
        if not bulk:
            return self._insert_rows(table, "OR IGNORE ", "", recorded_at, batch)
        drop_indexes(self.store, self.decl)
        try:  # optimistic: no `_hash` twice in the file, which the unique index then confirms
            with write_transaction(self.store):
                added = self._insert_rows(table, "", "", recorded_at, batch)
                create_indexes(self.store, self.decl)
            return added
        except sqlite3.IntegrityError:  # undone to the savepoint: insert the first row of each `_hash` only
            first = f" WHERE s.rowid IN (SELECT MIN(rowid) FROM {STAGE} GROUP BY _hash)"
            added = self._insert_rows(table, "", first, recorded_at, batch)
            create_indexes(self.store, self.decl)
            return added

    def _insert_rows(self, table: str, conflict: str, where: str, recorded_at: str, batch: int) -> int:
        conn = self.store.conn
        before = conn.total_changes
        conn.execute(self._move_sql(table, conflict, where), [*(self._meta or ()), recorded_at, batch])
        return conn.total_changes - before

    def _move_sql(self, table: str, conflict: str, where: str) -> str:
        names, values, source = self._moved(STAGE)
        return (f"INSERT {conflict}INTO {table} ({names}) "
                f"SELECT {values} FROM {source}{where} ORDER BY s.rowid")

    def _moved(self, staged: str) -> tuple[str, str, str]:
        """The evidence table's columns, the staged values for them (`?` for the metadata bound to the move,
        the recording time and the batch), and the staged rows `staged` (as s) joined with their metadata."""
        names = [quote(c.name) for c in self.decl.columns] + ["_hash"]
        names += [f"_{name}" for name in META_FIELDS] + ["_recorded_at", "_batch"]
        values = [f"s.c{i}" for i in range(self.width)] + ["s._hash"]
        if self._meta is not None:
            values += ["?"] * len(META_FIELDS)
            source = f"{staged} AS s"
        else:
            values += [f"m.{name}" for name in META_FIELDS]
            source = f"{staged} AS s JOIN {META} AS m ON m.id = s._meta"
        values += ["?", "?"]  # _recorded_at, _batch
        return ", ".join(names), ", ".join(values), source


@contextlib.contextmanager
def stage(store: Store, decl: Declaration) -> Iterator[Stage]:
    """A fresh staging table for one file of `decl` (inside the load's transaction), dropped afterwards; on
    PostgreSQL, staging_pg's, filled through COPY."""
    conn = store.conn
    if dialect(conn) == POSTGRES:
        from .staging_pg import create_stage
        try:
            yield create_stage(store, decl)
        finally:
            _drop(conn)
        return
    columns = [f"c{i}" for i in range(len(decl.columns))] + ["_hash", "_meta"]
    conn.execute(f"CREATE TEMP TABLE warrant_stage ({', '.join(columns)})")
    conn.execute(f"CREATE TEMP TABLE warrant_meta (id INTEGER PRIMARY KEY, {', '.join(META_FIELDS)})")
    try:
        yield Stage(store, decl)
    finally:
        _drop(conn)


def _drop(conn) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {STAGE}")
    conn.execute(f"DROP TABLE IF EXISTS {META}")
