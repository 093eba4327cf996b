"""What a rule application may not do: fail inside SQLite, or store a value that is not a finite number
(SQLite turns an overflow into ±Infinity, which JSON cannot carry).

Either stops the run with a RuleError naming the rule and where it is written (the run is one
transaction, so nothing is stored).
"""

from __future__ import annotations

import sqlite3
import sys

from ..syntax.ast import Rule
from .functions import take_failure
from .functions_pg import OUT_OF_RANGE
from .limits import is_interrupt
from .relations import RunTables, ident, table_name

_LARGEST = "1.7976931348623157e308"  # the largest finite double: anything beyond is ±Infinity
FINITE_HINT = ("bound the calculation with a comparison (e.g. Total < 1000000000000), above all inside "
               "recursion, where a value that grows every round overflows")


class RuleError(Exception):
    """A rule application that failed or produced what no fact may hold."""


def where(rule: Rule) -> str:
    return f"rule {rule.id} ({rule.span})"


def execute(conn: sqlite3.Connection, rule: Rule, sql: str, params: dict) -> int:
    """Run one application of `rule`; the number of rows it added. A time-limit interrupt passes through."""
    try:
        return conn.execute(sql, params).rowcount
    except sqlite3.Error as exc:
        overflow = take_failure()
        if is_interrupt(exc) or isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise
        if overflow or "integer overflow" in str(exc):
            raise RuleError(f"{where(rule)} calculated a number the language cannot hold ({overflow or exc}); "
                            f"nothing was stored. Hint: {FINITE_HINT}") from exc
        raise RuleError(f"{where(rule)} could not be evaluated by the database ({exc}); nothing was stored") from exc
    except Exception as exc:  # on a case on PostgreSQL: psycopg's errors
        psycopg = sys.modules.get("psycopg")
        if psycopg is None or not isinstance(exc, psycopg.Error) or is_interrupt(exc) \
                or isinstance(exc, psycopg.errors.LockNotAvailable):
            raise
        reason = exc.diag.message_primary or str(exc)
        if exc.sqlstate == OUT_OF_RANGE:  # functions_pg's overflow, as NumberError on SQLite
            raise RuleError(f"{where(rule)} calculated a number the language cannot hold ({reason}); "
                            f"nothing was stored. Hint: {FINITE_HINT}") from exc
        raise RuleError(f"{where(rule)} could not be evaluated by the database ({reason}); nothing was stored") from exc


def check_finite(conn: sqlite3.Connection, tables: RunTables, rules: list[Rule], k: int, prefix: str = "r") -> None:
    """RuleError if any of `rules` stored a non-finite number in round k of its head's table (`prefix`_<pred>:
    r_<pred>, or the facts a propagation changed)."""
    by_id = {r.key: r for r in rules}
    for predicate in sorted({r.head.predicate for r in rules}):
        numeric = [ident(c.name) for c in tables.decls[predicate].columns if c.type in ("number", "percent")]
        if not numeric:
            continue
        bad = " OR ".join(f"abs({c}) > {_LARGEST}" for c in numeric)
        row = conn.execute(f"SELECT _rule FROM {table_name(prefix, predicate)} WHERE _round = ? AND ({bad}) "
                           "ORDER BY _rule LIMIT 1", [k]).fetchone()
        if row is not None:
            rule = by_id.get(row[0])
            who = where(rule) if rule else f"rule {row[0]}"
            raise RuleError(f"{who} gave {predicate} a value that is not a finite number (an arithmetic "
                            f"overflow to Infinity); nothing was stored. Hint: {FINITE_HINT}")
