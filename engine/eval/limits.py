"""How long and how large a run may grow before it stops with an error instead of running on.

A run is one transaction: stopped at a limit, it leaves the case file as it was. The time limit is
enforced by SQLite's progress handler (which interrupts the statement running); the fact limit is
checked after each rule application, so one application may overshoot it before the run stops.
"""

from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from typing import Iterator

from ..store.backend import POSTGRES, dialect
from ..defaults import DEFAULT_MAX_FACTS, DEFAULT_MAX_ROUNDS, DEFAULT_MAX_SECONDS  # noqa: F401
_CANCELED = "57014"  # PostgreSQL's query_canceled
_CHECK_EVERY = 100_000  # SQLite virtual-machine steps between two looks at the clock


class LimitError(Exception):
    """A run passed one of its limits; the message names it and the option that raises it."""


def time_limit_error(seconds: float) -> LimitError:
    return LimitError(f"the run stopped after {seconds:g} s, its time limit; nothing was stored. Raise it with "
                      "--max-seconds (0: no limit) if the case is just large, or look for a rule that joins "
                      "conditions sharing no variable (a cross product)")


def fact_limit_error(limit: int, rule_id: str) -> LimitError:
    return LimitError(f"the run stopped after deriving more than {limit:,} facts (the last by rule {rule_id}), its "
                      "fact limit; nothing was stored. Raise it with --max-facts (0: no limit) if the case is just "
                      "large, or look for a rule that joins conditions sharing no variable (a cross product)")


def is_interrupt(exc: BaseException) -> bool:
    """True for the error SQLite raises when the progress handler stopped a statement (or PostgreSQL's, when
    its statement timeout did)."""
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_INTERRUPT
    return getattr(exc, "sqlstate", None) == _CANCELED


@contextmanager
def time_limit(conn: sqlite3.Connection, seconds: float | None) -> Iterator[None]:
    """Interrupt any statement of `conn` once `seconds` have passed (no limit: None or 0). SQLite then
    rolls back the whole transaction and raises OperationalError (see `is_interrupt`)."""
    if not seconds:
        yield
        return
    if dialect(conn) == POSTGRES:  # each statement may take the whole limit, not the run: a bound, not the rule
        conn.execute("SELECT set_config('statement_timeout', ?, true)", [f"{max(1, round(seconds * 1000))}ms"])
        yield  # on an error, the run's savepoint, rolled back, undoes the setting
        conn.execute("SELECT set_config('statement_timeout', '0', true)")
        return
    deadline = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > deadline, _CHECK_EVERY)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 0)
