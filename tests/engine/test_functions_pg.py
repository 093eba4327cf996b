"""PostgreSQL's arithmetic functions (engine/eval/functions_pg.py) give exactly what the engine's Python
arithmetic gives (engine/numbers.py), value and kind (int or float), and fail where it fails."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import numbers
from engine.eval.functions import ARITHMETIC
from engine.store.schema import open_store

OUT_OF_RANGE = "22003"

whole = st.one_of(st.integers(-1000, 1000), st.integers(numbers.INT_MIN, numbers.INT_MAX),
                  st.sampled_from([numbers.INT_MIN, numbers.INT_MAX, 2 ** 62, -(2 ** 62), 10 ** 15, 10 ** 18]))
decimal = st.builds(lambda digits, exponent: numbers.parse(f"{digits}e{exponent}"),
                    st.integers(-(10 ** 15) + 1, 10 ** 15 - 1), st.integers(-25, 3))
stored = st.one_of(whole, decimal)


@pytest.fixture
def conn(postgres_url):
    with open_store(postgres_url) as store:
        yield store.conn


def _in_postgres(conn, sql: str, params: list):
    """The value `sql` gives, or "out of range" when it stops with SQLSTATE 22003."""
    import psycopg

    try:
        return conn.execute(sql, params).fetchone()[0]
    except psycopg.Error as exc:
        assert exc.sqlstate == OUT_OF_RANGE, exc
        assert "is too large: whole numbers go from" in str(exc)
        return "out of range"


def _in_python(fn, *args):
    try:
        return fn(*args)
    except numbers.NumberError:
        return "out of range"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(sorted(ARITHMETIC)), a=stored, b=stored)
def test_each_operation_matches_the_engine(conn, op, a, b):
    got = _in_postgres(conn, f"SELECT warrant_{ARITHMETIC[op]}(?, ?)", [a, b])
    want = _in_python(numbers.calculate, op, a, b)
    assert (got, type(got)) == (want, type(want)), (op, a, b)


@pytest.mark.parametrize("op, a, b, want", [
    ("+", 0.1, 0.2, 0.3), ("/", 1, 3, 0.333333333333333), ("/", 2, 3, 0.666666666666667), ("//", -7, 2, -3),
    ("%", -7, 2, -1), ("%", 7.5, 2, 1.5), ("*", 1e-06, 1e-06, 1e-12), ("+", 123456789012345678, 0.5, 123456789012346000),
    ("/", 1, 0, None), ("+", numbers.INT_MAX, 1, "out of range"), ("*", 0.5, 0.25, 0.125),
    # ties at the 16th digit go to the even 15th: half-up would give ...03 in each
    ("*", 1.00000000000002, 1.25, 1.25000000000002), ("+", 1, 0.000000000000025, 1.00000000000002),
    ("/", 2.00000000000005, 2, 1.00000000000002), ("-", 1.00000000000003, 0.000000000000005, 1.00000000000002),
    ("*", 1.00000000000001, 1.5, 1.50000000000002),  # odd: up
])
def test_known_results(conn, op, a, b, want):
    got = _in_postgres(conn, f"SELECT warrant_{ARITHMETIC[op]}(?, ?)", [a, b])
    assert (got, type(got)) == (want, type(want))
    assert _in_python(numbers.calculate, op, a, b) == want  # the expectation is the engine's own


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(st.one_of(st.none(), stored), max_size=6))
def test_sum_matches_the_engine(conn, values):
    rows = ", ".join("(?::numeric)" for _ in values) or "(NULL::numeric)"
    got = _in_postgres(conn, f"SELECT warrant_sum(x) FROM (VALUES {rows}) AS t(x)", values)
    want = _in_python(numbers.exact_sum, values)
    assert (got, type(got)) == (want, type(want)), values


@pytest.mark.parametrize("values", [
    [123456789, 0.123456], [-123456789, -0.123456], [0.5, 0.5], [12.5, 37.5], [1e-06, 2e-06], [7, 8],
    [999999999, 0.5, 0.499999], [999999999.5, 0.5],  # 15 digits under 10^9, kept; 10^9, the rounding's way
    [100000000, 5e-07], [1234567890, 0.123456], [123456789, 0.1234565],  # 16 digits: rounded, half to even
    [1e-07, 1e-07, -2e-07], [0.1, 0.2, -0.3], [numbers.INT_MAX, 1], [numbers.INT_MAX, 0.5, -0.5],
])
def test_sum_by_the_short_way_and_the_long_matches_the_engine(conn, values):
    """warrant_sum_final returns a sum of at most 15 digits under 10^9 at once; the edges of that short way. The
    sum is compared inside the server too, where a rule compares it: reading it back rounds it anyway."""
    rows = ", ".join("(?::numeric)" for _ in values)
    got = _in_postgres(conn, f"SELECT warrant_sum(x) FROM (VALUES {rows}) AS t(x)", values)
    want = _in_python(numbers.exact_sum, values)
    assert (got, type(got)) == (want, type(want)), values
    if want != "out of range":
        same = f"SELECT warrant_sum(x) = ?::numeric FROM (VALUES {rows}) AS t(x)"
        assert conn.execute(same, [want] + values).fetchone()[0], values


@given(a=stored)
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_negation_matches_the_engine(conn, a):
    got = _in_postgres(conn, "SELECT warrant_neg(?)", [a])
    want = _in_python(numbers.negate, a)
    assert (got, type(got)) == (want, type(want))
