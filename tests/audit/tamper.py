"""Editing a case by hand, around its append-only triggers, as whoever holds the case file (or owns the
database on PostgreSQL) could: what the audit chain and replay are there to reveal."""

import sqlite3

import psycopg
import pytest

from engine.store.backend import POSTGRES, dialect
from engine.store.schema import open_store, write_transaction

REFUSED = (sqlite3.IntegrityError, psycopg.errors.RaiseException)  # an append-only trigger's refusal, on each


def unguard(conn, trigger: str) -> None:
    """Drop the append-only `trigger` (its SQLite name, `TABLE_no_update` or `TABLE_no_delete`; on PostgreSQL
    one trigger guards both, `TABLE_append_only`)."""
    if dialect(conn) == POSTGRES:
        table = trigger.rsplit("_no_", 1)[0]
        conn.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"')
    else:
        conn.execute(f'DROP TRIGGER "{trigger}"')


def tamper(path, trigger: str, *statements: str) -> None:
    """Drop the append-only `trigger` of the case at `path`, then run `statements`, in one transaction."""
    with open_store(path, create=False) as store, write_transaction(store):
        unguard(store.conn, trigger)
        for sql in statements:
            store.conn.execute(sql)


def refuse(path, *statements: str) -> None:
    """Each of `statements` is refused by an append-only trigger of the case at `path`."""
    with open_store(path, create=False) as store:
        for sql in statements:
            with pytest.raises(REFUSED, match="append-only"), write_transaction(store):
                store.conn.execute(sql)
