"""Calculations as the proof checker recomputes them: operators and the library's functions, written
here again (not imported from the evaluator) so that a proof is checked by independent code.

Values are as a proof's JSON holds them: numbers (int or float), texts, dates as `YYYY-MM-DD` texts,
booleans. A missing value or a division by zero gives None, as SQL's NULL.

Numbers follow the language's exact rules (docs/language.md, "Numbers"), computed here with exact fractions
where the evaluator uses Python's decimal module: a float stands for the decimal of its shortest repr, every
result is rounded once to 15 significant digits (half to even), and a whole result is an int of at most
64 bits (ArithmeticError beyond)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

_LIMIT = 2 ** 63
_SIGNIFICANT = 15


def _fraction(x) -> Fraction:
    return Fraction(x) if type(x) is int else Fraction(repr(x))


def number(q: Fraction):
    """`q` rounded to 15 significant digits, half to even: an int when whole (ArithmeticError outside
    64 bits), else the float nearest that decimal."""
    if q != 0:
        scale = Fraction(10) ** (len(str(abs(q.numerator) // abs(q.denominator) or 1)) - _SIGNIFICANT)
        while abs(q) / scale < 10 ** (_SIGNIFICANT - 1):
            scale /= 10
        q = round(q / scale) * scale
    return _whole(q) if q.denominator == 1 else float(q)


def _whole(q: Fraction) -> int:
    if not -_LIMIT <= q.numerator < _LIMIT:
        raise ArithmeticError(f"{q.numerator} is beyond 64 bits")
    return q.numerator


def _whole_quotient(a, b) -> Fraction:
    """a / b truncated toward zero."""
    q = _fraction(a) / _fraction(b)
    return Fraction(math.trunc(q))


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
    if op in ("/", "//", "%") and b == 0:
        return None
    x, y = _fraction(a), _fraction(b)
    if type(a) is int and type(b) is int and op != "/":  # whole numbers are exact, whatever their digits
        return _whole({"+": x + y, "-": x - y, "*": x * y, "//": _whole_quotient(a, b),
                       "%": x - y * _whole_quotient(a, b)}[op])
    if op == "//":
        return number(_whole_quotient(a, b))
    if op == "%":
        return number(x - y * _whole_quotient(a, b))
    return number({"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else None}[op])


def total(values: list):
    """The exact sum of numbers, rounded once; None for no values."""
    if not values:
        return None
    exact = sum(map(_fraction, values), Fraction(0))
    return _whole(exact) if all(type(v) is int for v in values) else number(exact)


def negative(a):
    """-a, in 64 bits."""
    return None if a is None else _whole(-_fraction(a)) if type(a) is int else -a


def _rounded(x, places=0):
    step = Decimal(1).scaleb(-int(places))
    exact = Decimal(repr(x) if isinstance(x, float) else x).quantize(step, rounding=ROUND_HALF_UP)
    return number(Fraction(exact))


def _date(d: str) -> dt.date:
    return dt.date.fromisoformat(d[:10])


_CALLS = {
    "abs": lambda x: negative(x) if x < 0 else x,
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


__all__ = ["arith", "call", "negative", "number", "total"]
