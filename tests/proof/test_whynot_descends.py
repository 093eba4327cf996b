"""Why-not goes down through a derived condition that an earlier condition left partly unbound (written `_`)
until it reaches the figures or the missing evidence, and a sub-goal met twice is explained once."""

import textwrap

from engine.proof.api import render, whynot

from .harness import make_case, program_from_text, provider

RULES = textwrap.dedent('''\
    rulebook uk "UK" version "1"
    evidence listed(party: entity) "designated"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    derived majority(owner: entity, owned: entity) "holds more than half"
    conclusion blocked(party: entity) "frozen"
    conclusion reported(party: entity) "to report"
    rule U1 "Designated persons" cites "reg 11":
      blocked(P) if listed(P).
      because "{P} is designated".
    rule U2 "Owned by a designated person" cites "reg 7(2)":
      blocked(E) if majority(P, E) and listed(P).
      because "{P} owns more than half of {E}".
    rule U3 "More than 50%" cites "reg 7(2)(a)":
      majority(P, E) if T = sum(Pct for owns(P, E, Pct)) and T > 50.
      because "{P} holds {T}% of {E}".
    rule U4 "Report a majority holding" cites "reg 70":
      reported(E) if majority(P, E).
      because "{E} has a majority owner".
    rule U5 "Report a majority holding by a designated person" cites "reg 71":
      reported(E) if majority(P, E) and listed(P).
      because "{E} has a designated majority owner".
    ''')


def case():
    program = program_from_text(RULES)
    conn, run = make_case(program, {"listed": [("K",)], "owns": [("K", "A", 50)]})
    return program, conn, run


def test_the_near_miss_reaches_the_figures():
    program, conn, run = case()
    w = whynot(conn, program, run, 'blocked("A")', provider)
    u2 = next(a for a in w.attempts if a.rule == "U2")
    (failure,) = u2.failures
    assert failure.message == 'U2 needs majority(_, "A"), which does not hold'
    (sub,) = failure.subgoals
    assert sub.atom == 'majority(_, "A")' and not sub.holds
    (u3,) = sub.attempts
    assert u3.summary.startswith("U3 needs more than 50 from sum(Pct for owns(P, E, Pct)); it comes to 50")
    assert u3.bindings == [{"E": "A", "P": "K", "T": 50}]
    assert "it comes to 50" in render(w, "text")


def test_a_shared_sub_goal_is_explained_once():
    program, conn, run = case()
    w = whynot(conn, program, run, 'reported("A")', provider)
    assert [a.failures[0].subgoals[0].atom for a in w.attempts] == ['majority(_, "A")'] * 2
    text = render(w, "text")
    explained = 'majority(_, "A") does not hold: U3 needs more than 50'
    assert text.count(explained) == 1 and text.count('majority(_, "A"): explained above') == 1
    assert render(w, "html").count(explained.replace('"', "&quot;")) == 1
