"""Calculations as the proof checker recomputes them: operators and the library's functions, written
here again (not imported from the evaluator) so that a proof is checked by independent code.

Values are as a proof's JSON holds them: numbers (int or float), texts, dates as `YYYY-MM-DD` texts,
booleans. A missing value or a division by zero gives None, as SQL's NULL."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal


def _whole_quotient(a, b):
    if b == 0:
        return None
    if type(a) is int and type(b) is int:
        sign = -1 if (a < 0) != (b < 0) else 1
        return sign * (abs(a) // abs(b))
    return int(a / b)  # int() truncates toward zero


_STEPS = {"minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1), "day": dt.timedelta(days=1),
          "week": dt.timedelta(days=7)}


def _moved(moment: str, duration: str, sign: int) -> str:
    """A date or timestamp moved by a duration ('12 months', '24 hours'): months and years by the calendar,
    to the month's last day when it is shorter; hours and minutes make a date a timestamp."""
    count, unit = duration.split()
    n, unit = sign * int(count), unit[:-1] if unit.endswith("s") else unit
    at = dt.datetime.fromisoformat(moment)
    if unit in ("month", "year"):
        months = at.month - 1 + n * (12 if unit == "year" else 1)
        year, month = at.year + months // 12, months % 12 + 1
        following = dt.date(year + month // 12, month % 12 + 1, 1)
        at = at.replace(year=year, month=month, day=min(at.day, (following - dt.timedelta(days=1)).day))
    else:
        at = at + n * _STEPS[unit]
    if "T" in moment or unit in ("minute", "hour"):
        return at.strftime("%Y-%m-%dT%H:%M:%S")
    return at.strftime("%Y-%m-%d")


def arith(op: str, a, b):
    """`a op b`: + - * / // % on numbers; a date minus a date in days; a date plus or minus days; a date or
    timestamp plus or minus a duration."""
    if a is None or b is None:
        return None
    if isinstance(b, str) and " " in b:
        return _moved(a, b, 1 if op == "+" else -1)
    if isinstance(a, str) and isinstance(b, str) and op == "-":
        return (dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days
    if isinstance(a, str):
        days = dt.timedelta(days=b)
        return (dt.date.fromisoformat(a) + (days if op == "+" else -days)).isoformat()
    if op == "//":
        return _whole_quotient(a, b)
    if op == "%":
        q = _whole_quotient(a, b)
        return None if q is None else a - b * q
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.nan}[op]


def _rounded(x, places=0):
    step = Decimal(1).scaleb(-int(places))
    exact = Decimal(repr(x)).quantize(step, rounding=ROUND_HALF_UP)
    return float(exact) if places else int(exact)


def _date(d: str) -> dt.date:
    return dt.date.fromisoformat(d[:10])


_CALLS = {
    "abs": lambda x: -x if x < 0 else x,
    "min": lambda *xs: sorted(xs)[0],
    "max": lambda *xs: sorted(xs)[-1],
    "round": _rounded,
    "floor": lambda x: math.floor(x),
    "ceil": lambda x: math.ceil(x),
    "lower": lambda t: t.lower(),
    "upper": lambda t: t.upper(),
    "contains": lambda t, part: t.find(part) >= 0,
    "starts_with": lambda t, part: t[:len(part)] == part,
    "ends_with": lambda t, part: len(part) <= len(t) and t[len(t) - len(part):] == part,
    "length": lambda t: len(t),
    "concat": lambda *ts: "".join(ts),
    "year": lambda d: _date(d).year,
    "month": lambda d: _date(d).month,
    "day": lambda d: _date(d).day,
}


def call(name: str, args: list):
    """The library function `name` applied to `args` (KeyError for a name the library lacks)."""
    fn = _CALLS[name]
    return None if any(a is None for a in args) else fn(*args)


__all__ = ["arith", "call"]
