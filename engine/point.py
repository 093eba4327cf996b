"""Point questions without a current run: answer from a partial evaluation that is never stored.

`why`, `whynot` and `query` about one predicate need only the strata that predicate depends on
(engine/eval/slice.py), and of its own stratum only what the asked atom's constants demand
(engine/eval/demand.py; `why` and `query`: a why-not names subgoals outside the demand). They are evaluated into a private scratch database with the case file attached
read-only (the one replay uses: engine/audit/replay.py `scratch`), under the run id PARTIAL, and the
answer is read there; the scratch database is deleted when the answer is built. Nothing is written to
the case file but the caller's audit entry, so a partial evaluation is never shown as a run of record.
The facts of the asked predicate, with their rounds and rules, are those a full run gives them, so a
proof read from the partial evaluation is the full run's proof but for the run it names.
"""

from __future__ import annotations

import sqlite3
from typing import Callable, TypeVar

from .audit.replay import scratch
from .eval import evaluate
from .eval.demand import Demand
from .store.asof import Clocks, record_clocks
from .syntax.program import Program

PARTIAL = "partial"  # the run id a partial evaluation's answers name: no stored run has it
T = TypeVar("T")


def answer_partially(case_path: str, program: Program, evidence_sql, clocks: Clocks, ask: str | Demand,
                     answer: Callable[[sqlite3.Connection, str], T], *, run_id: str = PARTIAL,
                     max_seconds: float | None = None, max_facts: int | None = None) -> T:
    """`answer(conn, run_id)` over a partial evaluation of `program` for `ask` (a predicate, or an atom with
    its demand) under `clocks`, in a
    scratch database that is gone when this returns (`run_id` other than PARTIAL is for tests that compare
    with a full run). Raises EvalError past the limits, as a run does."""
    with scratch(case_path) as conn:
        evaluate(conn, program, evidence_sql, as_of=clocks.as_of, run_id=run_id, collect=False, ask=ask,
                 max_seconds=max_seconds, max_facts=max_facts)
        record_clocks(conn, run_id, clocks)
        return answer(conn, run_id)


__all__ = ["PARTIAL", "answer_partially"]
