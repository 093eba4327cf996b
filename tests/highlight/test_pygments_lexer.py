"""The Pygments lexer: registered as `warrant`, no error token on any shipped rulebook, and each class of
word (keywords, strings, numbers, dates, comments, variables, rule ids) classified."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, String

from engine.pygments_lexer import WarrantLexer

from .grammar_words import ADD_WORD, grammar_words

RULEBOOKS = sorted((Path(__file__).resolve().parents[2] / "rulebooks").glob("*.rules"))


def tokens(text: str) -> list[tuple]:
    return [(tok, value) for tok, value in WarrantLexer().get_tokens(text) if value.strip()]


def test_the_lexer_is_registered_with_pygments():
    assert isinstance(get_lexer_by_name("warrant"), WarrantLexer)
    assert isinstance(get_lexer_for_filename("ofac_50.rules"), WarrantLexer)


@pytest.mark.parametrize("path", RULEBOOKS, ids=[p.name for p in RULEBOOKS])
def test_shipped_rulebooks_lex_without_errors(path):
    found = tokens(path.read_text(encoding="utf-8"))
    assert [t for t in found if t[0] in Error] == []
    kinds = {tok for tok, _ in found}
    assert any(t in Keyword for t in kinds) and any(t in String for t in kinds)


def test_an_unknown_character_is_an_error_token():
    assert any(tok in Error for tok, _ in tokens("rule X @ y"))


@pytest.mark.parametrize("word", sorted(grammar_words()))
def test_every_word_of_the_language_is_a_keyword(word):
    ((tok, value),) = tokens(f" {word} ")
    assert value == word and (tok in Keyword or tok in Name.Builtin), ADD_WORD.format(word=word)


def test_each_class_is_classified():
    text = ('rule SDN-1 "Listed" cites "x": # a note\n'
            '  blocked(X) if owns(X, _, P) and P >= 50% and D = 2024-07-03 and N > 2.5 and N > majority.\n'
            '  because "{X} holds {{P}}".\n')
    found = dict((value, tok) for tok, value in tokens(text))
    assert found["rule"] in Keyword.Declaration and found["if"] in Keyword
    assert found["SDN-1"] in Name.Label
    assert found["blocked"] in Name.Function and found["X"] in Name.Variable
    assert found["50%"] in Number and found["2.5"] in Number and found["2024-07-03"] in Number.Date
    assert found["majority"] in Name.Constant
    assert found["# a note"] in Comment
    assert found["{X}"] in String.Interpol and found["{{"] in String.Escape
    assert found["Listed"] in String


def test_a_declaration_names_its_column_types():
    found = dict((value, tok) for tok, value in tokens("evidence owns(owner: entity, share: percent)"))
    assert found["owner"] in Name.Attribute
    assert found["entity"] in Keyword.Type and found["percent"] in Keyword.Type
