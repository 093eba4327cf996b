"""The library's functions (engine/syntax/library.py), arithmetic and sum, as SQL functions.

They are Python functions registered on every connection that evaluates rules (`register`): SQLite's own
lower and upper know only ASCII letters, its date modifiers roll 2024-01-31 + 1 month over into March,
its arithmetic is binary floating point (0.1 + 0.2 is not 0.3) and turns an integer overflow into a float,
and its % drops the fraction of a decimal. Arithmetic and sum are exact here (engine/numbers.py); a result
the language cannot hold stops the statement, and `take_failure` says why. A NULL argument (a missing value) gives NULL, and so does a
division by zero, as SQLite's / does."""

from __future__ import annotations

import calendar
import functools
import math
import sqlite3
import threading
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from .. import numbers
from ..syntax.library import FUNCTIONS

PREFIX = "warrant_"


def _round(x, places=0):
    """Half away from zero, on the number as written (2.675 to 2 places is 2.68); whole results are ints."""
    exact = numbers.exact(x).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return numbers.from_decimal(exact)


def _months_later(d: date, months: int) -> date:
    """The same day `months` later (or earlier), or the month's last day when it has no such day."""
    year, month = divmod(d.year * 12 + d.month - 1 + months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return d.replace(year=year, month=month + 1, day=min(d.day, last))


def shift(moment: str, duration: str, sign: int):
    """A date or timestamp moved by a duration such as '12 months' or '24 hours' (see library.duration_type):
    a date stays a date unless moved by hours or minutes; a timestamp stays a timestamp."""
    if moment is None or duration is None:
        return None
    count, unit = duration.split(" ")
    n, unit = int(count) * sign, unit.rstrip("s")
    if unit in ("month", "year"):
        start = datetime.fromisoformat(moment)
        moved = _months_later(start.date(), n * (12 if unit == "year" else 1))
        end = datetime.combine(moved, start.time())
    else:
        step = {"minute": timedelta(minutes=n), "hour": timedelta(hours=n), "day": timedelta(days=n),
                "week": timedelta(weeks=n)}[unit]
        end = datetime.fromisoformat(moment) + step
    timed = "T" in moment or unit in ("minute", "hour")
    return end.isoformat(timespec="seconds") if timed else end.date().isoformat()


def _day(d: str) -> date:
    return date.fromisoformat(d[:10])


IMPLEMENTATIONS: dict[str, Callable] = {
    "abs": abs,
    "min": lambda *xs: min(xs),
    "max": lambda *xs: max(xs),
    "round": _round,
    "floor": math.floor,
    "ceil": math.ceil,
    "lower": str.lower,
    "upper": str.upper,
    "contains": lambda t, part: part in t,
    "starts_with": str.startswith,
    "ends_with": str.endswith,
    "length": len,
    "concat": lambda *ts: "".join(ts),
    "year": lambda d: _day(d).year,
    "month": lambda d: _day(d).month,
    "day": lambda d: _day(d).day,
}


_FAILURE = threading.local()  # why the last function call on this thread stopped SQLite


def take_failure() -> str | None:
    """Why a calculation stopped the last SQL statement on this thread (an overflow), once; else None."""
    why, _FAILURE.why = getattr(_FAILURE, "why", None), None
    return why


def _checked(fn: Callable) -> Callable:
    """`fn`, with a number it cannot hold exactly (NumberError) stopping the statement, the reason kept for
    `take_failure`: SQLite itself only says that a function raised an exception."""
    def call(*args):
        try:
            return fn(*args)
        except numbers.NumberError as exc:
            _FAILURE.why = str(exc)
            raise
    return call


def _null_safe(fn: Callable) -> Callable:
    def call(*args):
        if any(a is None for a in args):
            return None
        try:
            return numbers.stored(fn(*args))
        except numbers.NumberError:
            raise
        except (ValueError, TypeError, OverflowError):  # a date that is not one, a value too large
            return None
    return _checked(call)


class _Sum:
    """sum(...) as an SQL aggregate: exact (engine/numbers.py exact_sum), NULLs skipped, NULL over no rows."""

    def __init__(self):
        self.values = []

    def step(self, value):
        self.values.append(value)

    def finalize(self):
        return _checked(numbers.exact_sum)(self.values)


ARITHMETIC = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "//": "quotient", "%": "remainder"}


def sql_name(name: str) -> str:
    """The SQL function that computes library function `name`, an operator (+ - * / // %), `neg` or `sum`."""
    return PREFIX + ARITHMETIC.get(name, name)


def register(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Make the library's functions callable in SQL on `conn`; returns `conn`."""
    for name, fn in IMPLEMENTATIONS.items():
        f = FUNCTIONS[name]
        nargs = -1 if f.variadic or f.optional else len(f.params)
        conn.create_function(sql_name(name), nargs, _null_safe(fn), deterministic=True)
    for op in ARITHMETIC:
        conn.create_function(sql_name(op), 2, _checked(functools.partial(numbers.calculate, op)),
                             deterministic=True)
    conn.create_function(sql_name("neg"), 1, _checked(numbers.negate), deterministic=True)
    conn.create_aggregate(sql_name("sum"), 1, _Sum)
    conn.create_function(sql_name("shift"), 3, _null_safe(shift), deterministic=True)
    return conn


__all__ = ["IMPLEMENTATIONS", "register", "shift", "sql_name", "take_failure"]
