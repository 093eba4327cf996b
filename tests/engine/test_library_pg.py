"""The library's functions on PostgreSQL (engine/eval/functions_pg.py LIBRARY) give what their Python twins
give on SQLite (engine/eval/functions.py), including NULL for a missing argument or a date that is not one,
and SQLite's own julianday/date for date arithmetic."""

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.eval.functions import register, sql_name
from engine.store.schema import open_store

FIXTURE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
texts = st.text(alphabet=st.sampled_from("aAbzZéÉßẞİıσΣ ǅ-_1"), max_size=6)
dates = st.dates().map(lambda d: d.isoformat()) | st.sampled_from(["2024-02-30", "not a date", "2024-01-31T10:00:00"])
durations = st.builds(lambda n, unit: f"{n} {unit}", st.integers(0, 40),
                      st.sampled_from(["minutes", "hours", "days", "weeks", "months", "years", "day", "month"]))


@pytest.fixture
def both(postgres_url):
    """(a function giving a SQL expression's value on PostgreSQL, the same on SQLite with the engine's functions)."""
    lite = register(sqlite3.connect(":memory:"))
    with open_store(postgres_url) as store:
        def ask(conn, sql, params):
            return conn.execute(sql, params).fetchone()[0]
        yield (lambda sql, params: ask(store.conn, sql, params)), (lambda sql, params: ask(lite, sql, params))


def _same(both, sql: str, params: list):
    on_pg, on_sqlite = both
    assert on_pg(sql, params) == on_sqlite(sql, params), (sql, params)


@FIXTURE
@given(name=st.sampled_from(["lower", "upper", "length"]), t=texts | st.none())
def test_text_functions(both, name, t):
    _same(both, f"SELECT {sql_name(name)}(?)", [t])


@FIXTURE
@given(name=st.sampled_from(["contains", "starts_with", "ends_with", "concat"]), a=texts, b=texts)
def test_text_pairs(both, name, a, b):
    _same(both, f"SELECT {sql_name(name)}(?, ?)", [a, b])


@FIXTURE
@given(name=st.sampled_from(["year", "month", "day"]), d=dates)
def test_date_parts(both, name, d):
    _same(both, f"SELECT {sql_name(name)}(?)", [d])


@FIXTURE
@given(d=dates, duration=durations, sign=st.sampled_from([1, -1]))
def test_shift(both, d, duration, sign):
    _same(both, f"SELECT {sql_name('shift')}(?, ?, ?)", [d, duration, sign])


@FIXTURE
@given(a=st.dates(), b=st.dates(), days=st.integers(-1000, 1000))
def test_date_arithmetic_as_sqlgen_writes_it(both, a, b, days):
    _same(both, "SELECT CAST(julianday(?) - julianday(?) AS INTEGER)", [a.isoformat(), b.isoformat()])
    _same(both, "SELECT date(julianday(?) + (?))", [a.isoformat(), days])


@pytest.mark.parametrize("sql, params", [
    ("SELECT warrant_round(?, ?)", [2.675, 2]), ("SELECT warrant_round(?)", [-2.5]), ("SELECT warrant_floor(?)", [-2.5]),
    ("SELECT warrant_ceil(?)", [2.1]), ("SELECT warrant_abs(?)", [-3]), ("SELECT warrant_min(?, ?)", [3, 2.5]),
    ("SELECT warrant_max(?, ?, ?)", ["b", "a", "c"]), ("SELECT warrant_min(?, ?)", ["2024-01-02", "2023-12-31"]),
    ("SELECT warrant_max(?, ?)", [1, None]), ("SELECT warrant_lower(?)", ["ÉTAT"]), ("SELECT warrant_upper(?)", ["straße"]),
])
def test_known_values(both, sql, params):
    _same(both, sql, params)
