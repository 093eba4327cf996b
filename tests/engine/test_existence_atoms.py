"""Atoms without variables (`a(_)`, `listed(_, "SDN")`) are tests that a row exists, not joins: many of them
in one body must not multiply into a cross product (issue 15: seven such atoms took 30 to 54 s)."""

from __future__ import annotations

import sqlite3

from engine.eval import evaluate

from test_semantics import NOW, evidence_sql, facts_of, fill, program

WIDE = program('''\
    rulebook wide "Wildcards" version "1"
    evidence i(x: number) "i"
    evidence a(x: number) "a"
    evidence b(x: number, y: text) "b"
    evidence c(x: number) "c"
    conclusion q(x: number) "q"
    rule Q "q" cites "test":
      q(X) if i(X) and a(_) and b(_, "yes") and c(_) and a(_) and c(_) and a(_).
      because "{X}".
    ''')


class Steps:
    """Counts SQLite's virtual-machine steps (in units of 1,000) while a run evaluates, and interrupts the
    run past `limit` (a join of the six atoms would take about 100^6 steps: the test fails, it does not hang)."""

    def __init__(self, conn, limit: int):
        self.count, self.limit = 0, limit
        conn.set_progress_handler(self.tick, 1000)

    def tick(self):
        self.count += 1
        return self.count > self.limit


def test_atoms_without_variables_test_existence_and_do_not_multiply():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    fill(conn, WIDE, {"i": [(n,) for n in range(100)], "a": [(n,) for n in range(100)],
                      "b": [(n, "yes" if n == 7 else "no") for n in range(100)], "c": [(n,) for n in range(100)]})
    steps = Steps(conn, limit=5_000)
    result = evaluate(conn, WIDE, evidence_sql, as_of="2024-06-30", now=NOW)
    assert facts_of(conn, WIDE, "q", result.run_id) == {(n,) for n in range(100)}
    assert 0 < steps.count <= 5_000


def test_an_atom_without_variables_that_matches_nothing_blocks_the_rule():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    fill(conn, WIDE, {"i": [(1,)], "a": [(1,)], "b": [(1, "no")], "c": [(1,)]})
    result = evaluate(conn, WIDE, evidence_sql, as_of="2024-06-30", now=NOW)
    assert facts_of(conn, WIDE, "q", result.run_id) == set()
