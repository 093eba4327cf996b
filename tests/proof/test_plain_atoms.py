"""`why 'blocked("A")'` reads a plain ground atom (strings only) without loading the parser; whatever it reads
must be what the parser reads (same predicate, same values of the same types), and anything else (numbers
included: engine/numbers.py decides what they are) goes to the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.proof import terms
from engine.source import SourceFile
from engine.syntax.parser import parse_text
from engine.syntax.program import Program

RULEBOOK = '''rulebook plain "Plain atoms" version "1"
evidence listed(party: entity, list: text) "a listing"
evidence owns(owner: entity, owned: entity, percent: percent) "a holding"
conclusion blocked(party: entity) "blocked"
conclusion alarm() "something is blocked"
'''


@pytest.fixture(scope="module")
def program() -> Program:
    book = parse_text(SourceFile("plain.rules", RULEBOOK))
    return Program(book, (book,))


def _by_parser(program: Program, text: str):
    """What parse_atom gives through lark (the plain reader switched off), or the error's class."""
    plain = terms._plain_ground_atom
    terms._plain_ground_atom = lambda program, text: None
    try:
        atom = terms.parse_atom(program, text)
        return atom.predicate, tuple((type(v), v) for v in atom.args)
    except terms.ProofError as exc:
        return type(exc)
    finally:
        terms._plain_ground_atom = plain


SPACE = st.sampled_from(["", " ", "  ", "\t", "\n", " \r\n "])
STRING = st.text(st.sampled_from('aZ09 :-_,.()#é"\\\n'), max_size=6).map(lambda s: f'"{s}"')
NUMBER = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True) | st.sampled_from(["-1", "1.", ".5", "٣", "1e3"])
OTHER = st.sampled_from(["X", "_", "true", "2024-01-01", "ownership", "1 + 1", "# c"])


@st.composite
def atom_texts(draw) -> str:
    name = draw(st.sampled_from(["listed", "owns", "blocked", "alarm", "unknown", "Blocked", "sum"]))
    arity = {"listed": 2, "owns": 3, "blocked": 1, "alarm": 0}.get(name, 1)
    args = draw(st.lists(STRING | NUMBER, min_size=arity, max_size=arity) | st.lists(STRING | NUMBER | OTHER, max_size=4))
    inner = ",".join(draw(SPACE) + a + draw(SPACE) for a in args)
    return draw(SPACE) + name + draw(SPACE) + "(" + inner + ")" + draw(SPACE)


@settings(max_examples=400)
@given(atom_texts())
def test_a_plain_atom_is_read_as_the_parser_reads_it(program, text):
    plain = terms._plain_ground_atom(program, text)
    if plain is not None:
        assert (plain.predicate, tuple((type(v), v) for v in plain.args)) == _by_parser(program, text)


@pytest.mark.parametrize("text, args", [('blocked("co:volkhov-energy")', ("co:volkhov-energy",)),
                                        (' listed( "A, B" ,\n"" ) ', ("A, B", "")), ("alarm()", ())])
def test_the_usual_questions_are_read_without_the_parser(program, text, args):
    atom = terms._plain_ground_atom(program, text)
    assert atom is not None and atom.args == args and [type(a) for a in atom.args] == [type(a) for a in args]


@pytest.mark.parametrize("text", ['blocked("a\\"b")', "blocked(X)", 'blocked("A", "B")', 'unknown("A")',
                                  'blocked("A") # why', "owns(\"A\", \"B\", -5)",
                                  'owns("A", "B", 50)'])
def test_anything_else_goes_to_the_parser(program, text):
    assert terms._plain_ground_atom(program, text) is None
