"""Exact numbers, as the rulebook language defines them (docs/language.md, "Numbers").

A whole number is a Python int (an SQLite INTEGER) from -2**63 to 2**63 - 1; anything outside is an error,
never a wrap or a float. A decimal has at most 15 significant digits and is kept as the IEEE double whose
shortest repr is that decimal (every decimal of 15 digits or fewer has one), so SQLite compares decimals,
and decimals with integers, exactly. Arithmetic is decimal arithmetic with 15 significant digits, rounding
half to even; a result that is whole is an int.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow

INT_MIN, INT_MAX = -(2 ** 63), 2 ** 63 - 1
DIGITS = 15
CONTEXT = Context(prec=DIGITS, rounding=ROUND_HALF_EVEN, Emax=999999, Emin=-999999,
                  traps=[InvalidOperation, DivisionByZero, Overflow])
_WIDE = Context(prec=80, rounding=ROUND_HALF_EVEN, Emax=999999, Emin=-999999,
                traps=[InvalidOperation, DivisionByZero, Overflow])
_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
RANGE_TEXT = f"whole numbers go from {INT_MIN} to {INT_MAX}"


class NumberError(ValueError):
    """A number the language cannot hold exactly: out of range, or a decimal with too many digits."""


def in_range(n: int, written: str | None = None) -> int:
    """`n`, or NumberError (naming it as `written`, if given) when it lies outside the 64-bit range."""
    if not INT_MIN <= n <= INT_MAX:
        shown = written or (str(n) if len(str(n)) <= 40 else f"a number of {len(str(abs(n)))} digits")
        raise NumberError(f"{shown} is too large: {RANGE_TEXT}")
    return n


def from_decimal(d: Decimal) -> int | float:
    """The stored form of decimal `d`, rounded to 15 significant digits: an int when whole, else a float."""
    d = CONTEXT.plus(d)
    if d == d.to_integral_value():
        return in_range(int(d))
    return float(d)


def parse(text: str) -> int | float:
    """The number written in `text` (ASCII digits, optional sign, point and exponent): integers read with
    int(), never through a float. NumberError when out of range or with more than 15 significant digits."""
    text = text.strip()
    try:
        if _INTEGER_TEXT.fullmatch(text):
            return in_range(int(text), text)
        d = Decimal(text)
        whole = d.is_finite() and d == d.to_integral_value()
    except (ArithmeticError, ValueError):  # an exponent or a count of digits beyond any context
        raise NumberError(f"{text[:40]} is too large: {RANGE_TEXT}") from None
    if not d.is_finite():
        raise NumberError(f"{text} is not a number")
    if whole:
        return in_range(int(d), text)
    digits = len(d.normalize().as_tuple().digits)
    if digits > DIGITS:
        raise NumberError(f"{text} has {digits} significant digits: a decimal has at most {DIGITS}")
    return float(d)


_SHORT = 15  # characters: at most 15 digits, so exact as a double and inside the 64-bit range
_PLAIN_CHARS = str.maketrans("", "", "0123456789.+- \t")


def parse_all(texts: list[str]) -> list[int | float]:
    """`[parse(t) for t in texts]`, the same values and errors, at C speed for the common column: texts of at
    most 15 characters made of ASCII digits, signs, points, spaces and tabs (no exponent) are read by float(),
    which is exact there (at most 15 digits: no NumberError either), whole values made ints. A column with
    anything else is parsed text by text."""
    if not texts or max(map(len, texts)) > _SHORT or "".join(texts).translate(_PLAIN_CHARS):
        return list(map(parse, texts))
    try:
        values = list(map(float, texts))
    except ValueError:  # parse says which text, and how
        return list(map(parse, texts))
    if all(map(float.is_integer, values)):
        return list(map(int, values))
    return [int(x) if x.is_integer() else x for x in values]


def exact(x: int | float) -> Decimal:
    """The decimal a stored number stands for."""
    return Decimal(x) if isinstance(x, int) else Decimal(repr(x))


def stored(x):
    """A value as the store keeps it: a whole float becomes an int (range-checked); anything else unchanged."""
    if type(x) is float and x.is_integer():
        return in_range(int(x))
    return x


def from_float(x: float) -> int | float:
    """A float from outside (JSON, a library) as a number: its shortest repr, which must have at most 15
    significant digits (NumberError otherwise)."""
    if x != x or x in (float("inf"), float("-inf")):
        raise NumberError("not a finite number")
    return parse(repr(x))


def number_text(x: int | float) -> str:
    """A number for people: `5`, `-27`, `50.85`, `0.00001`; never `5.0`; an exponent only for magnitudes
    beyond 1e-20 to 1e20."""
    if isinstance(x, int):
        return str(x)
    if x.is_integer() and abs(x) < 1e20:
        return str(int(x))
    r = repr(x)
    if "e" in r and 1e-20 < abs(x) < 1e20:
        return format(Decimal(r), "f")
    return r


def argument_text(v) -> str:
    """A value as an atom's argument in command output and query patterns: a number by `number_text` (which
    the parser reads back, where `1e-05` would not parse), anything else as JSON."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return number_text(v)
    return json.dumps(v)


def _quotient(a: Decimal, b: Decimal) -> Decimal:
    return _WIDE.divide_int(a, b)  # truncated toward zero


def calculate(op: str, a, b):
    """`a op b` for + - * / // % on stored numbers: exact on integers (NumberError beyond 64 bits), decimal
    with 15 significant digits otherwise; `//` truncates toward zero and `%` takes the sign of `a`, as C.
    None for a missing operand or a division by zero (SQL's NULL)."""
    if a is None or b is None:
        return None
    if op in ("/", "//", "%") and b == 0:
        return None
    if type(a) is int and type(b) is int and op != "/":
        if op == "//" or op == "%":
            q = abs(a) // abs(b)
            q = q if (a < 0) == (b < 0) else -q
            return in_range(q if op == "//" else a - b * q)
        return in_range(a + b if op == "+" else a - b if op == "-" else a * b)
    x, y = exact(a), exact(b)
    try:
        if op == "+":
            r = _WIDE.add(x, y)
        elif op == "-":
            r = _WIDE.subtract(x, y)
        elif op == "*":
            r = _WIDE.multiply(x, y)
        elif op == "/":
            r = CONTEXT.divide(x, y)
        elif op == "//":
            r = _quotient(x, y)
        else:
            r = _WIDE.subtract(x, _WIDE.multiply(y, _quotient(x, y)))
    except (InvalidOperation, Overflow) as exc:
        raise NumberError(f"{number_text(a)} {op} {number_text(b)} is too large") from exc
    return from_decimal(r)


def negate(a):
    """-a (NumberError for -(-2**63))."""
    if a is None:
        return None
    return in_range(-a) if type(a) is int else -a


def exact_sum(values) -> int | float | None:
    """The exact sum of stored numbers, rounded once to 15 significant digits when any is a decimal (a sum
    of whole numbers is exact, and range-checked); None when there are none."""
    ints, decimals, seen = 0, None, False
    for v in values:
        if v is None:
            continue
        seen = True
        if type(v) is int:
            ints += v
        else:
            decimals = _WIDE.add(decimals or Decimal(0), exact(v))
    if not seen:
        return None
    if decimals is None:
        return in_range(ints)
    return from_decimal(_WIDE.add(Decimal(ints), decimals))


__all__ = ["CONTEXT", "argument_text", "DIGITS", "INT_MAX", "INT_MIN", "NumberError", "calculate", "exact", "exact_sum",
           "from_decimal", "from_float", "in_range", "negate", "number_text", "parse", "stored"]
