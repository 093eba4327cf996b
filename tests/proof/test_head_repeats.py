"""A rule whose head repeats a variable (`d(X, X)`) is no derivation of a fact with two different values."""

from __future__ import annotations

from engine.proof import why

from .harness import make_case, program_from_text, provider

RULES = """\
rulebook repeats "repeats" version "1"
evidence e(a: entity)
evidence f(a: entity, b: entity)
conclusion d(a: entity, b: entity)

rule SAME "same" cites "test":
  d(X, X) if e(X).
  because "{X}".

rule PAIR "pair" cites "test":
  d(X, Y) if f(X, Y).
  because "{X} {Y}".
"""


def test_only_the_rules_that_derive_the_fact_are_shown():
    program = program_from_text(RULES)
    conn, run_id = make_case(program, {"e": [("A",)], "f": [("A", "B")]})
    rules = lambda atom: sorted(n.rule for n in why(conn, program, run_id, atom, provider).nodes.values()  # noqa: E731
                                if n.kind == "derivation")
    assert rules('d("A", "B")') == ["PAIR"]
    assert rules('d("A", "A")') == ["SAME"]
