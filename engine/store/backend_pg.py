"""A case on PostgreSQL: the connection the engine talks to, and the making and opening of a case there.

`PgConnection` gives psycopg's connection the part of sqlite3.Connection's interface the ported commands use:
`execute` and `executemany` with SQLite's placeholders (`?` and `:name`), `in_transaction`, explicit BEGIN /
COMMIT / ROLLBACK / SAVEPOINT (autocommit otherwise, as sqlite3 in autocommit mode). Numbers come back as the
engine stores them: a numeric value is an int when whole, else the float of at most 15 significant digits
(engine/numbers.py), and a float goes to the server as numeric, so that the two databases hold the same values.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

import psycopg
from psycopg.adapt import Dumper
from psycopg.pq import TransactionStatus
from psycopg.types.numeric import NumericLoader

from .. import numbers
from ..audit import log
from ..audit.immutable import APPEND_ONLY_FUNCTION, protect
from ..eval import functions_pg
from ..access import principals
from . import entity_names
from .backend import POSTGRES, shown_url
from .errors import store_error
from .schema import Store, busy_timeout, check_version, create_base_tables, quote, upgrade_if_old, write_transaction

TYPES = {str: "TEXT", float: "NUMERIC", int: "BIGINT"}  # a number column is NUMERIC: exact decimals
WRITE_LOCK = 0x5741_5252_414E_5401  # the advisory lock a writing transaction holds: writers take turns
CONNECT_TIMEOUT = 10  # seconds to reach the server before S003
TEMP_BUFFERS = "256MB"  # set before the session's first temporary table, as PostgreSQL requires
_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\?|(?<![:\w]):([A-Za-z_]\w*)|%""")


_IGNORE = "INSERT OR IGNORE INTO "


_UNARY_PLUS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|(?<=[\s(,])\+(?=[A-Za-z_"])""")


def statement(sql: str) -> str:
    """`sql` in PostgreSQL's spelling where SQLite's differs: INSERT OR IGNORE is INSERT ... ON CONFLICT DO
    NOTHING (the rule statements insert what is not there yet this way), and a unary `+` before a column,
    SQLite's way of keeping a lookup off that column's index, goes (PostgreSQL has no + for text)."""
    if sql.startswith(_IGNORE):
        sql = f"INSERT INTO {sql[len(_IGNORE):]} ON CONFLICT DO NOTHING"
    if "+" in sql:
        sql = _UNARY_PLUS.sub(lambda m: "" if m.group(0) == "+" else m.group(0), sql)
    return sql


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """`sql` with SQLite's placeholders (`?`, `:name`) as psycopg's (`%s`, `%(name)s`) and every `%` doubled;
    in quoted text and identifiers, and PostgreSQL's `::` casts, nothing else changes."""
    def swap(m: re.Match) -> str:
        token = m.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if m.group(1):
            return f"%({m.group(1)})s"
        return token.replace("%", "%%")  # quoted: placeholders stay text, and psycopg reads % even there
    return _TOKENS.sub(swap, statement(sql))


class _Number(NumericLoader):
    """numeric as the engine keeps numbers: an int when whole, else a float (15 significant digits)."""

    def load(self, data):
        d = super().load(data)
        return numbers.in_range(int(d)) if d == d.to_integral_value() else numbers.from_decimal(d)


class _FloatAsNumeric(Dumper):
    """A float sent as the exact decimal its shortest repr writes (the engine's decimals), typed numeric."""

    oid = psycopg.adapters.types["numeric"].oid

    def dump(self, obj: float) -> bytes:
        return repr(obj).encode()


class _BoolAsInt(Dumper):
    """A truth sent as 1 or 0, as SQLite stores it (the language's bool columns and functions hold integers)."""

    oid = psycopg.adapters.types["int8"].oid

    def dump(self, obj: bool) -> bytes:
        return b"1" if obj else b"0"


def cannot_hold(exc: psycopg.DataError) -> Exception:
    """S011 for a text with a NUL character, which a case file holds and PostgreSQL's text cannot (psycopg
    refuses it before sending anything); any other DataError as it is."""
    if "NUL (0x00)" not in str(exc):
        return exc
    return store_error("S011", "PostgreSQL cannot hold text with a NUL character (U+0000), which this command "
                               "was to store: nothing was stored")


class PgConnection:
    """A PostgreSQL connection with the sqlite3.Connection interface the engine uses (see the module)."""

    dialect = POSTGRES

    def __init__(self, raw: psycopg.Connection, url: str):
        self.raw, self.url = raw, url
        raw.adapters.register_loader("numeric", _Number)
        raw.adapters.register_dumper(float, _FloatAsNumeric)
        raw.adapters.register_dumper(bool, _BoolAsInt)

    def execute(self, sql: str, params=()) -> psycopg.Cursor:
        """Run one statement; the cursor holds its rows (fetchone, fetchall, iteration) and rowcount."""
        if sql == "BEGIN IMMEDIATE":  # as in SQLite: a transaction that writes, holding the write lock at once
            self.raw.execute("BEGIN")
            return self.raw.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
        if not params:  # no placeholders to translate: the text goes as written (a % is a %)
            return self.raw.execute(statement(sql))
        try:
            return self.raw.execute(translate(sql), params)
        except psycopg.DataError as exc:
            raise cannot_hold(exc) from None

    def executemany(self, sql: str, rows) -> psycopg.Cursor:
        cur = self.raw.cursor()
        try:
            cur.executemany(translate(sql), list(rows))
        except psycopg.DataError as exc:
            raise cannot_hold(exc) from None
        return cur

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        self.raw.close()


def connect(url: str) -> PgConnection:
    """A connection to the database at `url`; S009 when the server cannot be reached or refuses it."""
    timeout = busy_timeout()  # a bad WARRANT_BUSY_TIMEOUT is refused before connecting, as for a case file
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise store_error("S009", f"cannot connect to {shown_url(url)}: {reason}") from None
    # a command waits for another one's write lock as long as on a case file, then fails with S005; a run's
    # working tables are temporary, held in the session's own buffers: up to 256 MB, as SQLite's temp cache
    # (eval/run.py), where PostgreSQL's default 8 MB read a 1M-edge run's pages back from the kernel each round
    raw.execute("SELECT set_config('lock_timeout', %s, false), set_config('temp_buffers', %s, false)",
                [f"{max(1, round(timeout * 1000))}ms", TEMP_BUFFERS])
    return PgConnection(raw, url)


@dataclass(frozen=True)
class PgStore(Store):
    """A case in a PostgreSQL database: `path` is its URL without the password, `conn` a PgConnection."""

    @property
    def db(self):
        """Refused (TypeError): sqlite-utils works over sqlite3 connections only; on PostgreSQL all SQL goes through `conn`."""
        raise TypeError(f"{self.path} is a case on PostgreSQL: it has no sqlite-utils Database, use store.conn")

    def close(self) -> None:
        self.conn.close()

    def tables(self) -> list[str]:
        """The tables of the case's schema, by name."""
        return table_names(self.conn)


def open_database(url: str) -> PgStore:
    """The database at `url` as it is, nothing made or checked (for `migrate`, which fills an empty one)."""
    return PgStore(shown_url(url), connect(url))


def open_case(url: str, create: bool = True) -> PgStore:
    """Open the case in the PostgreSQL database at `url`, making its tables when `create` (the database
    itself must exist: the server's administrator makes it); a database without them is S004 otherwise."""
    store = open_database(url)
    conn = store.conn
    try:
        tables = set(table_names(conn))
        upgrade_if_old(store, tables)
        check_version(conn, tables, store.path)
        if not {"meta", "audit_log"} <= tables:
            if not create:
                raise store_error("S004", f"no case in the database {store.path}: its warrant tables are missing")
            with write_transaction(store):
                make_case_tables(conn)  # under the write lock: two commands making the case make it once
    except BaseException:
        conn.close()
        raise
    return store


def make_case_tables(conn: PgConnection) -> None:
    """The tables, functions and triggers of a new case (inside the caller's transaction; idempotent); S010
    in a database that does not sort text byte by byte."""
    check_collation(conn)
    conn.execute(APPEND_ONLY_FUNCTION)
    functions_pg.define(conn)
    create_base_tables(conn, TYPES)
    log.ensure_log(conn)
    for table in (principals.ensure_table, entity_names.ensure_table):  # a case file makes them when first used
        table(conn)
    from .recordmarks import TABLE  # reads manifests too: loaded only where a case is made

    conn.execute(TABLE)
    protect(conn)  # append-only from the start: the roles that write later may not add triggers to these tables


_BYTE_ORDER = re.compile(r"(C|POSIX)(\.utf-?8)?", re.IGNORECASE)  # libc's locales that sort by byte (code point)


def create_database_sql(name: str, server_version: int) -> str:
    """CREATE DATABASE for a new, empty case database `name` (a validated identifier) that sorts text byte by
    byte (check_collation), whatever the server's default locale: from template0, libc's C collation (the
    locale provider named from PostgreSQL 15 on, where a server may default to ICU)."""
    provider = " LOCALE_PROVIDER libc" if server_version >= 150000 else ""
    return f"CREATE DATABASE {quote(name)} TEMPLATE template0 ENCODING 'UTF8'{provider} LC_COLLATE 'C' LC_CTYPE 'C'"


def check_collation(conn: PgConnection) -> None:
    """S010 unless the database sorts and compares text byte by byte, as SQLite does (libc's C or C.UTF-8, or
    PostgreSQL's builtin provider): under a language's collation ("en_US.UTF-8", any ICU locale) queries would
    list rows in another order, and a rule comparing texts could conclude otherwise, than on a case file."""
    provider, collate = conn.execute("SELECT datlocprovider, datcollate FROM pg_database "
                                     "WHERE datname = current_database()").fetchone()
    if provider == "b" or (provider == "c" and _BYTE_ORDER.fullmatch(collate)):
        return
    kind = {"c": f"the collation {collate}", "i": "an ICU collation"}.get(provider, f"the collation {collate}")
    raise store_error("S010", f"the database {shown_url(conn.url)} sorts text by {kind}, not byte by byte as a "
                              "case file does: queries, proofs and rules would answer differently there")


@contextlib.contextmanager
def scratch_schema(url: str) -> Iterator[PgConnection]:
    """A connection of its own to the case's database, inside a transaction that is always rolled back, with a
    new schema first in its search path: unqualified tables a run makes go there, and the case's own tables
    are read where they are (the `scratch` database of audit/replay.py). `conn.schemas` names (the scratch
    schema, the case's). Nothing of it outlives the block, and it holds no write lock."""
    conn = connect(url)
    try:
        case = conn.execute("SELECT current_schema()").fetchone()[0]
        name = f"warrant_scratch_{secrets.token_hex(6)}"
        conn.execute("BEGIN")
        conn.execute(f'CREATE SCHEMA "{name}"')
        conn.execute("SELECT set_config('search_path', ?, true)", [f'"{name}", "{case}"'])
        conn.schemas = (f'"{name}"', f'"{case}"')
        yield conn
    finally:
        with contextlib.suppress(psycopg.Error):
            conn.execute("ROLLBACK")
        conn.close()


def table_names(conn: PgConnection) -> list[str]:
    """The case's tables (in its schema), by name."""
    return [r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")]


__all__ = ["PgConnection", "PgStore", "cannot_hold", "check_collation", "connect", "make_case_tables", "open_case", "open_database", "table_names", "translate"]
