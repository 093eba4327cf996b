"""The functions of the rulebook language: their names, what they take and what they give.

Types here are the checker's (engine/check/types.py): `integer` is a whole number (a number), `any`
is one of the families the function accepts, all arguments of one call in the same family. The
evaluator computes them with engine/eval/functions.py, and the independent proof checker with its own
code; docs/language.md "Functions" documents each with an example.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Function:
    name: str
    params: tuple[str, ...]  # a family per argument: number, text, date, or any (number, text or date)
    result: str  # a type; "same" is the type of the arguments
    doc: str
    variadic: bool = False  # the last parameter repeats (at least once more)
    optional: int = 0  # how many trailing parameters may be left out


FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("abs", ("number",), "same", "the value without its sign: abs(-3) is 3"),
    Function("min", ("any", "any"), "same", "the smallest of its values: min(A, B)", variadic=True),
    Function("max", ("any", "any"), "same", "the largest of its values: max(A, B)", variadic=True),
    Function("round", ("number", "number"), "number",
             "to the nearest whole number, halves away from zero (round(2.5) is 3), or to N decimals: round(X, 2)",
             optional=1),
    Function("floor", ("number",), "integer", "the whole number at or below: floor(-2.5) is -3"),
    Function("ceil", ("number",), "integer", "the whole number at or above: ceil(2.1) is 3"),
    Function("lower", ("text",), "text", "the text in lower case (every alphabet): lower(\"ÉTAT\") is \"état\""),
    Function("upper", ("text",), "text", "the text in capitals (every alphabet)"),
    Function("contains", ("text", "text"), "bool", "whether the first text contains the second"),
    Function("starts_with", ("text", "text"), "bool", "whether the first text starts with the second"),
    Function("ends_with", ("text", "text"), "bool", "whether the first text ends with the second"),
    Function("length", ("text",), "integer", "the number of characters of a text"),
    Function("concat", ("text", "text"), "text", "the texts one after the other: concat(First, \" \", Last)",
             variadic=True),
    Function("year", ("date",), "integer", "the year of a date: year(2024-07-03) is 2024"),
    Function("month", ("date",), "integer", "the month of a date, 1 to 12"),
    Function("day", ("date",), "integer", "the day of the month of a date, 1 to 31"),
)}
CONDITIONS = frozenset(name for name, f in FUNCTIONS.items() if f.result == "bool")
AGGREGATE_NAMES = ("sum", "count")  # called like functions, they are aggregates: sum(P for ...)


# Durations: `24 hours`, `12 months`. Days and longer move a date to a date; hours and minutes make it a
# timestamp. Months and years move by the calendar, to the same day of the month, or the month's last day
# when it has no such day (2024-01-31 + 1 month is 2024-02-29).
DAY_UNITS = ("day", "days", "week", "weeks", "month", "months", "year", "years")
TIME_UNITS = ("minute", "minutes", "hour", "hours")


def duration_type(unit: str) -> str:
    """The type of a duration in `unit`: `duration` (days and longer) or `time_duration` (hours, minutes)."""
    return "duration" if unit in DAY_UNITS else "time_duration"


def arity_text(f: Function) -> str:
    """How many arguments `f` takes, in words."""
    least = len(f.params) - f.optional
    if f.variadic:
        return f"{least} or more arguments"
    if f.optional:
        return f"{least} or {len(f.params)} arguments"
    return f"{least} argument{'s' if least != 1 else ''}"


def takes(f: Function, count: int) -> bool:
    """Whether `f` can be called with `count` arguments."""
    least = len(f.params) - f.optional
    return count >= least if f.variadic else least <= count <= len(f.params)


def param(f: Function, index: int) -> str:
    """The family argument `index` of `f` must have."""
    return f.params[min(index, len(f.params) - 1)]


__all__ = ["Function", "FUNCTIONS", "CONDITIONS", "AGGREGATE_NAMES", "DAY_UNITS", "TIME_UNITS", "arity_text",
           "duration_type", "takes", "param"]
