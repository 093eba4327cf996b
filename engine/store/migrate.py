"""Moving a case file whole into a PostgreSQL database: every table, its rows (through COPY), primary keys and indexes,
in one transaction on the server: the case arrives whole or not at all.

A column's type follows SQLite's affinity rules: text stays TEXT, any number becomes NUMERIC (exact decimals;
read back as the engine's ints and floats), and a column declared without a type (a fact column) takes the
type of what it holds. The append-only triggers are made anew for PostgreSQL, and the move is the last entry
of the audit log there, after the case file's own entries, which keep their hashes: the chain verifies."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..audit import log
from ..audit.immutable import protect
from .backend import shown_url
from .errors import store_error
from .evidence import batch_index
from .schema import EVIDENCE_PREFIX, Store, open_store, quote, table_names, write_transaction

ACTION = "case.migrate"


@dataclass(frozen=True)
class MigrateReport:
    """What a move copied: rows by table, and the audit chain at the other end."""

    source: str
    target: str
    rows: dict[str, int]
    chain: log.ChainReport

    def to_json(self) -> dict:
        return {"from": self.source, "to": self.target, "tables": len(self.rows), "rows": self.rows,
                "audit": {"ok": self.chain.ok, "entries": self.chain.entries, "head": self.chain.head}}


def migrate(source: str, target: str, actor: str | None = None) -> MigrateReport:
    """Copy the case file at `source` into the empty PostgreSQL database at `target` (S008 if it holds
    tables), all or nothing, recording the move in the copied audit log as `actor`. The case file is only read."""
    from .backend_pg import make_case_tables, open_database

    with open_store(source, create=False) as case:
        with open_database(target) as pg:
            if found := pg.tables():
                raise store_error("S008", f"the database {pg.path} already holds tables ({', '.join(found[:5])}"
                                          f"{', ...' if len(found) > 5 else ''}): a case moves only into an empty one")
            case.conn.execute("BEGIN")  # one snapshot of the case file, whatever writes it meanwhile
            try:
                head = log.verify(case.conn)
                with write_transaction(pg):
                    make_case_tables(pg.conn)
                    rows = {name: _copy_table(case, pg, name) for name in _tables(case.conn)}
                    _copy_indexes(case.conn, pg)
                    protect(pg.conn)
                    log.append(pg.conn, ACTION, shown_url(target), {
                        "from": str(source), "source_head": head.head, "source_entries": head.entries,
                        "tables": len(rows), "rows": sum(rows.values())}, actor)
                chain = log.verify(pg.conn)
            finally:
                case.conn.execute("ROLLBACK")
    return MigrateReport(str(source), shown_url(target), rows, chain)


def _tables(conn: sqlite3.Connection) -> list[str]:
    """The case file's tables in the order they were made (a table after those its keys refer to)."""
    return [name for name in table_names(conn) if not name.startswith("sqlite_")]


def _copy_table(case: Store, pg, name: str) -> int:
    conn = case.conn
    info = conn.execute(f"PRAGMA table_info({quote(name)})").fetchall()
    columns = [row[1] for row in info]
    if name not in pg.tables():
        pg.conn.execute(_create_sql(conn, name, info))
    elif name == "meta":  # the case file's settings (its schema version among them) replace the new case's
        pg.conn.execute("DELETE FROM meta")
    cols = ", ".join(quote(c) for c in columns)
    count = 0
    with pg.conn.raw.cursor().copy(f"COPY {quote(name)} ({cols}) FROM STDIN") as copy:
        for row in conn.execute(f"SELECT {cols} FROM {quote(name)}"):
            copy.write_row(row)
            count += 1
    return count


def _create_sql(conn: sqlite3.Connection, name: str, info: list) -> str:
    keys = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    parts = []  # no REFERENCES: a case file declares them, SQLite never enforces them (evidence._ensure_table)
    for _, column, declared, notnull, _, _ in info:
        part = f"{quote(column)} {column_type(conn, name, column, declared)}"
        parts.append(part + " NOT NULL" if notnull else part)
    if keys:
        parts.append(f"PRIMARY KEY ({', '.join(quote(k) for k in keys)})")
    return f"CREATE TABLE {quote(name)} ({', '.join(parts)})"


def column_type(conn: sqlite3.Connection, table: str, column: str, declared: str) -> str:
    """The PostgreSQL type of a case file's column: by SQLite's affinity rules for a declared type (text is
    TEXT, any number NUMERIC, a blob BYTEA); by what it holds for an untyped one (TEXT when it holds nothing).
    S003 for an untyped column holding both text and numbers, which no case file written by warrant has."""
    upper = declared.upper()
    if any(word in upper for word in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if upper and "BLOB" not in upper:
        return "NUMERIC"
    held = {r[0] for r in conn.execute(f"SELECT DISTINCT typeof({quote(column)}) FROM {quote(table)}")} - {"null"}
    if upper == "BLOB" or held == {"blob"}:
        return "BYTEA"
    if held and held <= {"integer", "real"}:
        return "NUMERIC"
    if held <= {"text"}:
        return "TEXT"
    raise store_error("S003", f"column {column} of {table} holds {' and '.join(sorted(held))} values: "
                              "this is not a case file warrant wrote")


def _copy_indexes(conn: sqlite3.Connection, pg) -> None:
    """The case file's own indexes (those SQLite makes for keys are made by PostgreSQL for its keys), and each
    evidence table's index by batch (evidence.batch_index)."""
    for (sql,) in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                               "AND tbl_name NOT LIKE 'sqlite_%' ORDER BY rowid"):
        pg.conn.execute(sql)
    for name in _tables(conn):  # and what PostgreSQL wants that a case file does without
        if name.startswith(EVIDENCE_PREFIX):
            index, columns, _ = batch_index(name[len(EVIDENCE_PREFIX):])
            pg.conn.execute(f"CREATE INDEX {quote(index)} ON {quote(name)} ({columns})")


__all__ = ["ACTION", "MigrateReport", "column_type", "migrate"]
