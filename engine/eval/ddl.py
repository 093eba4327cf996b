"""The few statements of a run that SQLite and PostgreSQL spell differently (store/backend.py says which one a
connection talks to): typed columns, clustered tables, temporary tables and indexes named, replacing a row of the
same key, and listing the run's temporary tables (INSERT OR IGNORE is rewritten by backend_pg.PgConnection
itself). On SQLite each gives exactly the text the engine always wrote."""

from __future__ import annotations

from ..store.backend import POSTGRES, dialect
from ..store.evidence import POSTGRES_TYPES
from . import relations
from .relations import ident


def column(conn, name: str, kind: str) -> str:
    """A column of a run's table for a declared column of type `kind`: untyped on SQLite (any value, as the
    engine stores it), typed by the declaration on PostgreSQL."""
    return ident(name) + typed(conn, kind)


def typed(conn, kind: str) -> str:
    """What follows a column's name for a declared type `kind`: nothing on SQLite, the type on PostgreSQL. Text
    takes the database's collation, as the evidence tables' text does: a case is made only in a database that
    compares and sorts text byte by byte, as SQLite does (backend_pg.check_collation, S010), and a join of a run's
    table with an evidence table under two collations could not use the evidence table's indexes (PostgreSQL then
    reads the whole table to look up a few rows)."""
    if dialect(conn) != POSTGRES:
        return ""
    return f" {POSTGRES_TYPES[kind]}"


def clustered(conn) -> str:
    """The end of a CREATE TABLE whose rows live in its primary key's B-tree (SQLite: WITHOUT ROWID)."""
    return "" if dialect(conn) == POSTGRES else " WITHOUT ROWID"


def fill_keyed(conn, table: str, typed: str, key: str, select: str, params) -> None:
    """Make the temporary table `table` (columns `typed`, primary key `key`) holding the distinct rows of
    `select`. SQLite inserts them into its clustered B-tree, skipping repeats; PostgreSQL fills a heap with
    SELECT DISTINCT and then builds the key's index in one pass (inserting row by row into the index, each
    insert checking for a conflict, took three times as long: 0.23 s against 0.07 s at 100,000 rows)."""
    if dialect(conn) != POSTGRES:
        conn.execute(f"CREATE TEMP TABLE {table} ({typed}, PRIMARY KEY ({key})){clustered(conn)}")
        conn.execute(f"INSERT OR IGNORE INTO {table} {select}", params)
        return
    conn.execute(f"CREATE TEMP TABLE {table} ({typed})")
    conn.execute(f"INSERT INTO {table} SELECT DISTINCT * FROM ({select}) AS _rows", params)
    conn.execute(f"ALTER TABLE {table} ADD PRIMARY KEY ({key})")


def temp_index(conn, name: str) -> str:
    """The name of an index on a temporary table (SQLite wants its schema named; PostgreSQL puts it there)."""
    return f'"{name}"' if dialect(conn) == POSTGRES else f'temp."{name}"'


def temp_table(conn, name: str) -> str:
    """A temporary table `name` (quoted) named with its schema, as DROP TABLE IF EXISTS wants it so that it never
    drops a case's table of that name."""
    return f"pg_temp.{name}" if dialect(conn) == POSTGRES else f"temp.{name}"


def round_index(conn, predicate: str, create: bool = True) -> str:
    """`relations.round_index` of r_<predicate>, its index named as `conn`'s database wants it."""
    return relations.round_index(predicate, create, temp_index(conn, f"r_{predicate}__round"))


def replacing(conn, key: list[str], updated: list[str]) -> tuple[str, str]:
    """(the start, the end) of an INSERT ... SELECT whose rows replace those of the same `key`, the columns
    `updated` taking the new values: SQLite's INSERT OR REPLACE, PostgreSQL's ON CONFLICT DO UPDATE (the SELECT
    must then give each key once, and end with its WHERE)."""
    if dialect(conn) != POSTGRES:
        return "INSERT OR REPLACE INTO", ""
    sets = ", ".join(f"{c} = excluded.{c}" for c in updated)
    return "INSERT INTO", f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {sets}"


def analyze(conn, *tables: str) -> None:
    """Give the planner the size of temporary tables just filled: on PostgreSQL, whose autovacuum never reads them
    (without statistics it guesses hundreds of rows, and hashes a whole evidence table to join one); SQLite plans
    without."""
    if dialect(conn) == POSTGRES:
        for table in tables:
            conn.execute(f"ANALYZE {table}")


def temp_tables(conn) -> list[str]:
    """The names of the temporary tables on `conn` (the run's working tables)."""
    if dialect(conn) == POSTGRES:
        return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                                           "AND relkind = 'r' ORDER BY relname")]
    return [r[0] for r in conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'")]


__all__ = ["analyze", "clustered", "column", "fill_keyed", "replacing", "round_index", "temp_index", "temp_table",
           "temp_tables", "typed"]
