"""The words of the rulebook language, read from grammar/rulebook.lark itself, so that a keyword added
to the grammar fails the highlighting tests until the editors know it."""

from __future__ import annotations

import re

from engine.syntax.grammar import grammar_path

QUOTED = re.compile(r'"([^"\\]*)"')
REGEX_ALTERNATIVES = re.compile(r"/\((?:\?:)?([a-z_]+(?:\|[a-z_]+)+)\)")
WORD = re.compile(r"[a-z_]+")
ADD_WORD = ("the grammar has the word {word!r}: add it to a list of engine/highlight.py and regenerate the VS Code "
            "grammar (python -m engine.highlight > editors/vscode/syntaxes/warrant.tmLanguage.json)")
COMMENT = re.compile(r"(^|\s)//.*$", re.M)  # lark's comments; a literal "//" is not one


def grammar_words() -> set[str]:
    """Every word the grammar spells out: its quoted literals and the alternatives of word-list regexes
    such as /(sum|count|min|max)\\b/."""
    text = COMMENT.sub("", grammar_path().read_text(encoding="utf-8"))
    found = {w for w in QUOTED.findall(text) if WORD.fullmatch(w)}
    for group in REGEX_ALTERNATIVES.findall(text):
        found |= set(group.split("|"))
    return found - {"_"}
