"""The few statements of a run that SQLite and PostgreSQL spell differently (store/backend.py says which one a
connection talks to): typed columns, clustered tables, temporary indexes, and listing the run's temporary
tables (INSERT OR IGNORE is rewritten by backend_pg.PgConnection itself). On SQLite each gives exactly the text the engine always wrote."""

from __future__ import annotations

from ..store.backend import POSTGRES, dialect
from ..store.evidence import POSTGRES_TYPES
from .relations import ident


def column(conn, name: str, kind: str) -> str:
    """A column of a run's table for a declared column of type `kind`: untyped on SQLite (any value, as the
    engine stores it), typed by the declaration on PostgreSQL (text compared byte by byte, as SQLite does)."""
    return ident(name) + typed(conn, kind)


def typed(conn, kind: str) -> str:
    """What follows a column's name for a declared type `kind`: nothing on SQLite, the type on PostgreSQL."""
    if dialect(conn) != POSTGRES:
        return ""
    name = POSTGRES_TYPES[kind]
    return f' {name} COLLATE "C"' if name == "TEXT" else f" {name}"


def clustered(conn) -> str:
    """The end of a CREATE TABLE whose rows live in its primary key's B-tree (SQLite: WITHOUT ROWID)."""
    return "" if dialect(conn) == POSTGRES else " WITHOUT ROWID"


def temp_index(conn, name: str) -> str:
    """The name of an index on a temporary table (SQLite wants its schema named; PostgreSQL puts it there)."""
    return f'"{name}"' if dialect(conn) == POSTGRES else f'temp."{name}"'


def temp_tables(conn) -> list[str]:
    """The names of the temporary tables on `conn` (the run's working tables)."""
    if dialect(conn) == POSTGRES:
        return [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() "
                                           "AND relkind = 'r' ORDER BY relname")]
    return [r[0] for r in conn.execute("SELECT name FROM temp.sqlite_master WHERE type = 'table'")]


__all__ = ["clustered", "column", "temp_index", "temp_tables", "typed"]
