"""The VS Code grammar (editors/vscode): valid JSON, current with engine.highlight, regexes that compile,
and every word of grammar/rulebook.lark highlighted as a keyword."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from engine.highlight import textmate_json

from .grammar_words import ADD_WORD, grammar_words
from .textmate import all_regexes, tokenize_line

VSCODE = Path(__file__).resolve().parents[2] / "editors" / "vscode"
GRAMMAR_FILE = VSCODE / "syntaxes" / "warrant.tmLanguage.json"
KEYWORD_SCOPES = ("keyword.", "storage.type.", "support.function.", "constant.language.", "variable.language.")


@pytest.fixture(scope="module")
def grammar() -> dict:
    return json.loads(GRAMMAR_FILE.read_text(encoding="utf-8"))


def test_the_grammar_file_is_generated_from_the_keyword_lists():
    assert GRAMMAR_FILE.read_text(encoding="utf-8") == textmate_json(), (
        "regenerate it: python -m engine.highlight > editors/vscode/syntaxes/warrant.tmLanguage.json")


def test_every_regex_compiles(grammar):
    regexes = all_regexes(grammar)
    assert len(regexes) > 15
    for regex in regexes:
        re.compile(regex)


def test_the_extension_contributes_the_language_and_the_grammar(grammar):
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    (language,) = package["contributes"]["languages"]
    (contributed,) = package["contributes"]["grammars"]
    assert language["id"] == contributed["language"] == "warrant"
    assert language["extensions"] == [".rules"]
    assert (VSCODE / contributed["path"]).resolve() == GRAMMAR_FILE
    assert contributed["scopeName"] == grammar["scopeName"]
    json.loads((VSCODE / language["configuration"]).read_text(encoding="utf-8"))
    assert (VSCODE / package["main"]).is_file()


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_extension_script_is_valid_javascript():
    subprocess.run(["node", "--check", str(VSCODE / "extension.js")], check=True, timeout=30)


@pytest.mark.parametrize("word", sorted(grammar_words()))
def test_every_word_of_the_language_is_a_keyword(word, grammar):
    (token,) = tokenize_line(f" {word} ", grammar)
    assert token[0] == word and token[1].startswith(KEYWORD_SCOPES), ADD_WORD.format(word=word)


def test_a_rule_is_highlighted_by_class(grammar):
    line = ('rule SDN-1 "Listed" cites "x": blocked(X) if owns(X, _, P) and P >= 50% and D = 2024-07-03 '
            'and N > 2.5 and N > majority.  because "{X} holds {{P}}". # note')
    scopes = dict(tokenize_line(line, grammar))
    assert scopes["rule"].startswith("storage.type")
    assert scopes["SDN-1"].startswith("entity.name.label")
    assert scopes["blocked"].startswith("entity.name.function")
    assert scopes["X"].startswith("variable.other")
    assert scopes["_"].startswith("variable.language.wildcard")
    assert scopes["50%"].startswith("constant.numeric.percent")
    assert scopes["2024-07-03"].startswith("constant.numeric.date")
    assert scopes["2.5"].startswith("constant.numeric")
    assert scopes["majority"].startswith("variable.other.constant")
    assert scopes[">="].startswith("keyword.operator")
    assert scopes["{X}"].endswith("variable.other.placeholder.warrant")
    assert scopes["{{"].endswith("constant.character.escape.warrant")
    assert scopes["# note"].startswith("comment")


def test_a_declaration_names_its_column_types(grammar):
    scopes = dict(tokenize_line('evidence owns(owner: entity, share: percent) "a holding"', grammar))
    assert scopes["evidence"].startswith("storage.type")
    assert scopes["owner"].startswith("variable.parameter")
    assert scopes["entity"] == scopes["percent"] == "support.type.warrant"
    assert scopes['"a holding"'] == "string.quoted.double.warrant"
