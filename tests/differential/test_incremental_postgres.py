"""Incremental runs on PostgreSQL against the same runs on SQLite: test_incremental.py's random programs and
histories (loads, retractions, validity windows, changes of the assessment date, what the loads since tell),
each played on an in-memory SQLite database and on the test server, inside a transaction rolled back
afterwards. On each database every incremental run must store a full run's facts (check_history), and the two
databases must agree step by step: the same mode (what was taken over, propagated, resumed, and why not) and
the same facts digest (arguments, rounds and rules). WARRANT_FUZZ_EXAMPLES_PG sets how many histories of each
kind (50 by default, about a minute in all: 30 deep histories missed a propagation on PostgreSQL that kept a
fact's old round where its round fell)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings

from test_incremental import check_history, deep_histories, histories

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES_PG", "50"))
SETTINGS = settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])


@pytest.fixture
def pg(postgres_url):
    """A connection to a fresh database with the engine's functions (as a case has them)."""
    from engine.eval import functions_pg
    from engine.store.backend_pg import connect

    conn = connect(postgres_url)
    functions_pg.define(conn)
    yield conn
    conn.close()


def _on_both(pg, history) -> None:
    on_sqlite = check_history(*history)
    pg.execute("BEGIN")
    try:
        assert check_history(*history, conn=pg) == on_sqlite
    finally:
        pg.execute("ROLLBACK")


@SETTINGS
@given(history=histories())
def test_incremental_runs_on_postgres_equal_those_on_sqlite(pg, history):
    _on_both(pg, history)


@SETTINGS
@given(history=deep_histories())
def test_incremental_runs_in_deep_recursion_on_postgres_equal_those_on_sqlite(pg, history):
    _on_both(pg, history)
