"""Durations (`24 hours`, `12 months`) and timestamps: the calendar rule, what a run concludes from a case file
with a timestamp column, proofs the independent checker accepts, and the evaluator and the checker moving
dates alike."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from engine.audit import calc
from engine.audit.bundle import verify_bundle
from engine.eval.functions import shift
from engine.store.values import Bad, check_timestamp

from case_files import run_case

RULES = textwrap.dedent('''\
    rulebook sts "Ship-to-ship risk" version "1"
    evidence ais_gap(vessel: entity, off: timestamp, on: timestamp) "AIS switched off, then on again"
    evidence flag_change(vessel: entity, on: date)
    conclusion dark(vessel: entity, since: timestamp)
    conclusion flag_hopping(vessel: entity, first: date)
    threshold dark_limit = 24 hours
    threshold lookback = 12 months

    rule STS-1 "Dark for more than a day in the last year" cites "c":
      dark(V, Off) if ais_gap(V, Off, On) and On > Off + dark_limit and Off >= as_of - 1 year.
      because "{V} was dark from {Off} to {On}, more than {dark_limit}".

    rule STS-2 "Two flag changes within twelve months" cites "c":
      flag_hopping(V, D1) if flag_change(V, D1) and flag_change(V, D2) and D1 < D2 and D2 <= D1 + lookback.
      because "{V} changed flag on {D1} and again on {D2}, within {lookback}".
    ''')


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    c, _ = run_case(tmp_path_factory.mktemp("durations"), RULES, {
        "ais_gap": "vessel,off,on\nA,2024-07-01T10:00,2024-07-02T10:01\nB,2024-07-01T10:00:00,2024-07-02T10:00\n"
                   "Old,2023-01-01T00:00,2023-02-01T00:00\n",
        "flag_change": "vessel,on\nC,2024-01-31\nC,2025-01-31\nD,2024-01-31\nD,2025-02-01\n"}, "2024-08-01")
    with c:
        yield c


def test_more_than_a_duration_and_within_a_calendar_year(case):
    found = case.conclusions()
    assert found["dark"] == [["A", "2024-07-01T10:00:00"]]  # B is dark exactly 24 hours; Old before as_of - 1 year
    assert found["flag_hopping"] == [["C", "2024-01-31"]]  # 2024-01-31 + 12 months is 2025-01-31


@pytest.mark.parametrize("atom", ['dark("A", 2024-07-01T10:00)', 'flag_hopping("C", 2024-01-31)'])
def test_the_independent_checker_moves_dates_alike(case, atom, tmp_path):
    case.export(atom, tmp_path / "bundle")
    verdict = verify_bundle(tmp_path / "bundle")
    assert verdict.valid, verdict


def test_an_explanation_shows_a_duration_as_written(case):
    proof = case.why('dark("A", 2024-07-01T10:00)')
    (text,) = [n.explanation for n in proof.nodes.values() if n.kind == "derivation"]
    assert text.endswith("more than 24 hours")


@pytest.mark.parametrize("moment, duration, sign, moved", [
    ("2024-01-31", "1 month", 1, "2024-02-29"),
    ("2024-03-31", "1 month", -1, "2024-02-29"),
    ("2024-02-29", "1 year", 1, "2025-02-28"),
    ("2024-07-03", "24 hours", -1, "2024-07-02T00:00:00"),
    ("2024-07-03T12:00:00", "2 months", 1, "2024-09-03T12:00:00"),
    ("2024-12-31", "2 weeks", 1, "2025-01-14"),
])
def test_the_calendar_rule(moment, duration, sign, moved):
    assert shift(moment, duration, sign) == moved == calc.arith("+" if sign > 0 else "-", moment, duration)


UNITS = st.sampled_from(("minute", "hours", "days", "week", "months", "year"))
MOMENTS = st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)).map(
    lambda t: t.replace(microsecond=0)).flatmap(
    lambda t: st.sampled_from((t.date().isoformat(), t.isoformat(timespec="seconds"))))


@settings(max_examples=200, deadline=None)
@given(MOMENTS, st.integers(0, 500), UNITS, st.sampled_from((1, -1)))
def test_the_evaluator_and_the_checker_agree(moment, count, unit, sign):
    assert shift(moment, f"{count} {unit}", sign) == calc.arith("+" if sign > 0 else "-", moment, f"{count} {unit}")


def test_a_timestamp_column_keeps_seconds_and_refuses_a_date():
    assert check_timestamp("2024-07-03T12:00") == "2024-07-03T12:00:00"
    for bad in ("2024-07-03", "2024-02-30T10:00", "2024-07-03T24:00", "2024-07-03 12:00"):
        with pytest.raises(Bad):
            check_timestamp(bad)


HEADS = textwrap.dedent('''\
    rulebook heads "Calculated heads" version "1"
    evidence listed(who: entity, since: date)
    conclusion review_due(who: entity, on: date, weeks_listed: number, tag: text)

    rule REV-1 "Review a year after listing" cites "c":
      review_due(X, D + 1 year, (as_of - D) // 7, concat("L-", lower(X))) if listed(X, D).
      because "{X} has been listed since {D}".
    ''')


def test_a_head_may_calculate(tmp_path):
    c, _ = run_case(tmp_path, HEADS, {"listed": "who,since\nAcme,2024-01-31\n"}, "2024-08-01")
    with c:
        assert c.conclusions()["review_due"] == [["Acme", "2025-01-31", 26, "L-acme"]]
        c.export('review_due("Acme", 2025-01-31, 26, "L-acme")', tmp_path / "bundle")
        assert verify_bundle(tmp_path / "bundle").valid
        other = c.whynot('review_due("Acme", 2025-01-31, 27, "L-acme")').message
        assert "the calculations of its head" in other
