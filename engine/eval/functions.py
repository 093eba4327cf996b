"""The library's functions (engine/syntax/library.py) and the remainder operator, as SQL functions.

They are Python functions registered on every connection that evaluates rules (`register`): SQLite's own
lower and upper know only ASCII letters, its date modifiers roll 2024-01-31 + 1 month over into March,
and its % drops the fraction of a decimal. A NULL argument (a missing value) gives NULL, and so does a
division by zero, as SQLite's / does."""

from __future__ import annotations

import math
import sqlite3
import calendar
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from ..syntax.library import FUNCTIONS

PREFIX = "warrant_"


def _quotient(a, b):
    """a // b truncated toward zero (as C and SQLite's integer /)."""
    if isinstance(a, int) and isinstance(b, int):
        q = abs(a) // abs(b)
        return q if (a < 0) == (b < 0) else -q
    return math.trunc(a / b)


def remainder(a, b):
    """a % b with the sign of a (as C): a - b * (a // b)."""
    if a is None or b is None or b == 0:
        return None
    return a - b * _quotient(a, b)


def _round(x, places=0):
    """Half away from zero, on the number as written (2.675 to 2 places is 2.68)."""
    exact = Decimal(repr(x)).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return int(exact) if places == 0 else float(exact)


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


def _null_safe(fn: Callable) -> Callable:
    def call(*args):
        if any(a is None for a in args):
            return None
        try:
            return fn(*args)
        except (ValueError, TypeError, OverflowError):  # a date that is not one, a value too large
            return None
    return call


def sql_name(name: str) -> str:
    """The SQL function that computes library function `name` (or `%`)."""
    return PREFIX + {"%": "remainder"}.get(name, name)


def register(conn: sqlite3.Connection) -> sqlite3.Connection:
    """Make the library's functions callable in SQL on `conn`; returns `conn`."""
    for name, fn in IMPLEMENTATIONS.items():
        f = FUNCTIONS[name]
        nargs = -1 if f.variadic or f.optional else len(f.params)
        conn.create_function(sql_name(name), nargs, _null_safe(fn), deterministic=True)
    conn.create_function(sql_name("%"), 2, remainder, deterministic=True)
    conn.create_function(sql_name("shift"), 3, _null_safe(shift), deterministic=True)
    return conn


__all__ = ["IMPLEMENTATIONS", "register", "remainder", "shift", "sql_name"]
