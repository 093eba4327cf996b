"""Which database a case lives in: a path is a SQLite case file, a postgresql:// URL a PostgreSQL database.

The engine speaks SQLite's SQL and sqlite3's connection interface; a case on PostgreSQL is opened through
`backend_pg.PgConnection`, which speaks the same interface (imported only for such a URL, so that commands
on a case file never load psycopg). The few statements that differ between the two databases ask
`dialect(conn)` which one they talk to.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")
SQLITE, POSTGRES = "sqlite", "postgres"


def is_postgres_url(location) -> bool:
    """Whether `location` (a --db value) names a PostgreSQL database rather than a case file."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def dialect(conn) -> str:
    """The SQL dialect `conn` speaks: "postgres" for a PgConnection, else "sqlite"."""
    return getattr(conn, "dialect", SQLITE)


def shown_url(url: str) -> str:
    """The URL without its password, fit for messages and the audit log."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def has_table(conn, name: str) -> bool:
    """Whether the case has a table (or trigger, on SQLite) called `name`."""
    if dialect(conn) == POSTGRES:
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", [name]).fetchone()[0]
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [name]).fetchone() is not None


__all__ = ["POSTGRES", "SQLITE", "dialect", "has_table", "is_postgres_url", "shown_url"]
