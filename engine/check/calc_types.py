"""The types of calculations: operators and library functions (E203, E209, E210).

`integer` is a whole number the checker can see is whole: an integer literal or constant, a count, days
between dates, `//`, and what + - * % abs min max give from whole numbers. A column of type number may
hold either, so `/` is refused only between two values known to be whole: it would silently be exact
division where the author may have meant `//`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..syntax.library import FUNCTIONS, param
from .scope import family

NUMERIC = ("number", "percent", "integer")


@dataclass(frozen=True)
class Problem:
    """Why a calculation has no type: a code, a message and a hint."""

    code: str
    message: str
    hint: str | None = None


def a(t: str) -> str:
    """A type in words, with its article."""
    return {"entity": "an entity", "text": "a text", "number": "a number", "percent": "a percent",
            "integer": "a number", "date": "a date", "timestamp": "a timestamp", "bool": "true/false value",
            "duration": "a duration", "time_duration": "a duration"}.get(t, t)


def _numeric(op: str, lt: str, rt: str) -> str | Problem:
    if op == "/" and lt == rt == "integer":
        return Problem("E209", "/ divides two whole numbers exactly, giving a fraction (139 / 5 is 27.8)",
                       "write // for the whole-number quotient (139 // 5 is 27, truncated toward zero as in C) and % "
                       "for the remainder (139 % 5 is 4), or write one side as a decimal (139.0 / 5) for the fraction")
    if op in ("//", "%"):
        return "integer" if op == "//" or lt == rt == "integer" else "number"
    if lt == rt and op in "+-*" and (lt == "integer" or op != "*"):
        return lt
    if op == "*" and "percent" in (lt, rt) and lt != rt:
        return "percent"
    return "number"


DURATIONS = ("duration", "time_duration")
_TIME_HINT = ("a date or timestamp plus or minus a duration (24 hours, 12 months) is a date or timestamp; to ask "
              "whether more than a duration has passed, compare with the sum: End > Start + 24 hours")


def _moment(op: str, lt: str, rt: str) -> str | Problem:
    """Arithmetic on a date or timestamp: plus or minus a duration (or days, for a date)."""
    if op in "+-" and rt in DURATIONS and family(lt) == "date":
        return "date" if (lt, rt) == ("date", "duration") else "timestamp"
    if lt == "timestamp" or rt == "timestamp":
        return Problem("E203", f"cannot compute {a(lt)} {op} {a(rt)}", _TIME_HINT)
    return Problem("E203", f"cannot compute {a(lt)} {op} {a(rt)}", "arithmetic works on numbers and percents; a date "
                   "plus or minus a number of days or a duration is a date, and a date minus a date is a number of days")


def binop_type(op: str, types: list[str]) -> str | Problem:
    """The type of `left op right` from the types of both sides, or the problem with it."""
    lt, rt = types
    if lt in NUMERIC and rt in NUMERIC:
        return _numeric(op, lt, rt)
    if "timestamp" in types or rt in DURATIONS and family(lt) == "date":
        return _moment(op, lt, rt)
    if op == "+" and {family(lt), family(rt)} == {"date", "number"}:
        return "date"
    if op == "-" and lt == "date" and rt == "date":
        return "integer"
    if op == "-" and lt == "date" and rt in NUMERIC:
        return "date"
    return Problem("E203", f"cannot compute {a(lt)} {op} {a(rt)}",
                   "arithmetic works on numbers and percents; a date plus or minus a number of days is a date, and "
                   "a date minus a date is a number of days")


def _fits(want: str, have: str) -> bool:
    return family(have) in (("number", "text", "date") if want == "any" else (want,))


def call_type(name: str, args: list[str | None]) -> str | Problem | None:
    """The type of a call of library function `name` with arguments of types `args` (None: unknown), or the
    problem with it; None when an argument's type is unknown."""
    f = FUNCTIONS[name]
    for i, t in enumerate(args):
        if t is not None and not _fits(param(f, i), t):
            want = "a number, a text or a date" if param(f, i) == "any" else a(param(f, i))
            return Problem("E210", f"{name} takes {want} as argument {i + 1}, not {a(t)}", f"{name}: {f.doc}")
    if any(t is None for t in args):
        return None
    if f.params[0] == "any" and len({family(t) for t in args}) > 1:
        return Problem("E210", f"{name} compares values of one kind, not {' and '.join(sorted(set(map(a, args))))}",
                       f"{name}: {f.doc}")
    if name == "round":
        return "integer" if len(args) == 1 else "number"
    if f.result == "same":
        return args[0] if len(set(args)) == 1 else ("number" if family(args[0]) == "number" else family(args[0]))
    return f.result


__all__ = ["DURATIONS", "NUMERIC", "Problem", "a", "binop_type", "call_type"]
