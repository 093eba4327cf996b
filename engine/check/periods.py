"""Law that changes over time: the periods of rules and of dated thresholds and constants (E150-E152, W506).

A period's days must be calendar dates and it may not end before it starts; the versions of one dated
threshold must share a type and may not be in force on the same day; a gap between two versions is
allowed (the rules that use the threshold then do not apply) but is reported, since it is rarely meant.
"""

from __future__ import annotations

import datetime

from ..diagnostics import Diagnostic, error, warning
from ..syntax.ast import Constant, Period
from ..syntax.program import Program
from .scope import family


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for rule in program.rules:
        if rule.in_force is not None:
            out += _period(rule.in_force, f"rule {rule.id}")
    for constant in program.constants:
        for version in constant.versions:
            if version.period is not None:
                out += _period(version.period, f"this value of {constant.name}")
        out += _versions(constant)
    return out


def _day(text: str | None) -> datetime.date | None:
    try:
        return None if text is None else datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _period(period: Period, what: str) -> list[Diagnostic]:
    for day in (period.start, period.end):
        if day is not None and _day(day) is None:
            return [error("E208", f"{day} is not a calendar date", period.span, "dates are written YYYY-MM-DD")]
    if period.start and period.end and period.end < period.start:
        return [error("E150", f"{what} would be in force until {period.end}, before it starts on {period.start}",
                      period.span, "swap the two dates, or correct the one that is wrong")]
    return []


def _versions(constant: Constant) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    first = constant.versions[0].value if constant.versions else None
    for v in constant.versions[1:]:
        if family(v.value.type) != family(first.type):
            out.append(error("E152", f"{constant.name} is a {first.type} here but a {v.value.type} in this version",
                             v.value.span, "every value of one threshold or constant has the same type"))
    dated = [v for v in constant.versions if v.period is not None
             and all(d is None or _day(d) for d in (v.period.start, v.period.end))]
    if len(dated) < len(constant.versions) and len(constant.versions) > 1:
        undated = next(v for v in constant.versions if v.period is None)
        out.append(error("E151", f"a value of {constant.name} without dates would be in force alongside its dated values",
                         undated.span, "give every value of a dated threshold a period: from DATE, until DATE, "
                                       "or from DATE until DATE"))
        return out
    ordered = sorted(dated, key=lambda v: v.period.start or "")
    for before, after in zip(ordered, ordered[1:]):
        end, start = before.period.end, after.period.start
        if end is None or start is None or start <= end:
            out.append(error("E151", f"two values of {constant.name} are in force on the same days "
                                     f"({before.period.text()} and {after.period.text()})", after.span,
                             "end the earlier value the day before the later one starts"))
        elif _day(start) - _day(end) > datetime.timedelta(days=1):
            gap_from = _day(end) + datetime.timedelta(days=1)
            out.append(warning("W506", f"{constant.name} has no value from {gap_from} until "
                                       f"{_day(start) - datetime.timedelta(days=1)}: rules that use it do not apply then",
                               after.span, f"start this value on {gap_from}, or end the one before later"))
    return out
