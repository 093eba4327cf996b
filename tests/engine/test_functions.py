"""Integer division, remainder and the library's functions: what a run concludes, that the independent proof
checker recomputes the same values, and that SQL and the checker agree on every operator and function."""

from __future__ import annotations

import math
import sqlite3
import textwrap

import pytest
from hypothesis import given, settings, strategies as st

from engine.audit import calc
from engine.audit.bundle import verify_bundle
from engine.eval.functions import register, sql_name
from engine.source import SourceFile
from engine.syntax.parser import parse_text

from case_files import run_case

RULES = textwrap.dedent('''\
    rulebook fx "Functions" version "1"
    evidence vessel(name: entity, flag: text, tonnage: number, built: date)
    conclusion split(name: entity, thousands: number, rest: number, flag: text)
    conclusion sierra(name: entity)
    conclusion old(name: entity, year: number)

    rule F1 "Quotient and remainder" cites "c":
      split(V, K, R, L) if vessel(V, F, T, _) and K = T // 1000 and R = T % 1000 and L = upper(F).
      because "{V}: {K} thousand and {R}, flag {L}".

    rule F2 "Sierra" cites "c":
      sierra(V) if vessel(V, F, _, _) and starts_with(lower(F), "sierra") and not contains(F, "x").
      because "{V} flies {F}".

    rule F3 "Old and large" cites "c":
      old(V, Y) if vessel(V, F, T, B) and Y = year(B) and Y < 2005 and max(T, 10) >= 5000
        and length(concat(F, "!")) > 3 and round(T / 1000.0) = 5 and abs(-T) = T and floor(T / 3.0) < ceil(T / 3.0)
        and month(B) = 2 and day(B) = 3 and min(F, "Z") = F.
      because "{V} was built in {Y}".
    ''')
VESSELS = "name,flag,tonnage,built\nA,Sierra Leone,5432,2001-02-03\nB,SIERRA,-7321,2010-12-31\nC,Palau,99,1999-01-01\n" \
          "D,Sierra Nex,1,2000-01-01\nE,ÉTAT,2,2000-01-01\n"


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    root = tmp_path_factory.mktemp("functions")
    c, _ = run_case(root, RULES, {"vessel": VESSELS}, "2024-08-01")
    with c:
        yield root, c


def test_quotient_and_remainder_truncate_toward_zero_as_in_c(case):
    _, c = case
    split = {row[0]: row[1:] for row in c.conclusions()["split"]}
    assert split["A"] == [5, 432, "SIERRA LEONE"]
    assert split["B"] == [-7, -321, "SIERRA"]  # -7321 // 1000 is -7, not -8; the remainder has the sign of -7321
    assert split["C"] == [0, 99, "PALAU"]
    assert split["E"][2] == "ÉTAT" and split["E"][:2] == [0, 2]


def test_text_functions_and_conditions(case):
    _, c = case
    assert sorted(row[0] for row in c.conclusions()["sierra"]) == ["A", "B"]  # D contains an x
    assert c.conclusions()["old"] == [["A", 2001]]


@pytest.mark.parametrize("atom", ['split("B", -7, -321, "SIERRA")', 'sierra("B")', 'old("A", 2001)'])
def test_the_independent_checker_recomputes_every_value(case, atom, tmp_path):
    _, c = case
    c.export(atom, tmp_path / "bundle")
    verdict = verify_bundle(tmp_path / "bundle")
    assert verdict.valid, verdict


def test_lower_and_upper_know_every_alphabet():
    conn = register(sqlite3.connect(":memory:"))
    assert conn.execute(f"SELECT {sql_name('lower')}('ÉTAT'), {sql_name('upper')}('straße')").fetchone() == (
        "état", "STRASSE")


def _sql(expr: str, *args):
    conn = register(sqlite3.connect(":memory:"))
    return conn.execute(f"SELECT {expr}", args).fetchone()[0]


NUMBERS = st.one_of(st.integers(-10**6, 10**6), st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 3)))


@settings(max_examples=150, deadline=None)
@given(NUMBERS, NUMBERS)
def test_sql_and_the_checker_agree_on_integer_division_and_remainder(a, b):
    quotient = _sql(f"{sql_name('//')}(?, ?)", a, b)  # as engine/eval/sqlgen.py compiles //
    assert quotient == calc.arith("//", a, b)
    assert _sql(f"{sql_name('%')}(?, ?)", a, b) == calc.arith("%", a, b)
    if b and isinstance(a, int) and isinstance(b, int):
        assert quotient == math.trunc(a / b) and a == b * quotient + calc.arith("%", a, b)


@settings(max_examples=100, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: round(x, 6)), st.integers(0, 4))
def test_sql_and_the_checker_agree_on_rounding(x, places):
    for name, args in (("round", (x,)), ("round", (x, places)), ("floor", (x,)), ("ceil", (x,)), ("abs", (x,))):
        marks = ", ".join("?" * len(args))
        assert _sql(f"{sql_name(name)}({marks})", *args) == calc.call(name, list(args)), name


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=8), st.text(max_size=3))
def test_sql_and_the_checker_agree_on_texts(t, part):
    for name, args in (("lower", (t,)), ("upper", (t,)), ("length", (t,)), ("contains", (t, part)),
                       ("starts_with", (t, part)), ("ends_with", (t, part)), ("concat", (t, part, t)),
                       ("min", (t, part)), ("max", (t, part))):
        got = _sql(f"{sql_name(name)}({', '.join('?' * len(args))})", *args)
        assert got == calc.call(name, list(args)), name


def test_halves_round_away_from_zero():
    assert [calc.call("round", [x]) for x in (2.5, -2.5, 0.5, 1.49)] == [3, -3, 1, 1]
    assert calc.call("round", [2.675, 2]) == 2.68


def test_a_missing_value_or_a_division_by_zero_gives_no_value():
    assert _sql("CAST(? / ? AS INTEGER)", 5, 0) is None and calc.arith("//", 5, 0) is None
    assert _sql(f"{sql_name('%')}(?, ?)", 5, 0) is None and calc.arith("%", 5, 0) is None
    assert _sql(f"{sql_name('lower')}(?)", None) is None and calc.call("lower", [None]) is None


ARGUMENTS = textwrap.dedent('''\
    rulebook args "Calculated arguments" version "1"
    evidence listed(who: entity, since: date)
    evidence delisted(who: entity, on: date)
    evidence owns(owner: entity, owned: entity, share: percent)
    conclusion kept(who: entity)
    conclusion doubled(owned: entity)

    rule A1 "Not delisted the next day" cites "c":
      kept(X) if listed(X, D) and not delisted(X, D + 1).
      because "{X}".

    rule A2 "One holding twice another" cites "c":
      doubled(Y) if owns(A, Y, P) and owns(B, Y, P * 2) and A != B.
      because "{Y}".
    ''')


def test_a_condition_s_arguments_may_calculate(tmp_path):
    kept = next(r for r in parse_text(SourceFile("args.rules", ARGUMENTS)).rules if r.id == "A1")
    assert [type(lit).__name__ for lit in kept.body] == ["Atom", "Comparison", "Negation"]  # _calc1 = D + 1 first
    c, _ = run_case(tmp_path, ARGUMENTS, {"listed": "who,since\nA,2024-01-01\nB,2024-01-01\n",
                                          "delisted": "who,on\nA,2024-01-02\nB,2024-01-03\n",
                                          "owns": "owner,owned,share\nP,C,20\nQ,C,40\nP,D,30\nR,D,70\n"}, "2024-08-01")
    with c:
        assert c.conclusions()["kept"] == [["B"]] and c.conclusions()["doubled"] == [["C"]]
        for i, atom in enumerate(('kept("B")', 'doubled("C")')):
            c.export(atom, tmp_path / f"bundle{i}")
            assert verify_bundle(tmp_path / f"bundle{i}").valid
