"""The words of the rulebook language for editors: one list per class of word, from which the Pygments
lexer (engine/pygments_lexer.py), the VS Code grammar (editors/vscode/syntaxes/warrant.tmLanguage.json)
and the language server's completion are built.

To add a keyword, add it to its list here and regenerate the VS Code grammar:
`python -m engine.highlight > editors/vscode/syntaxes/warrant.tmLanguage.json`
(tests/highlight checks that every word of grammar/rulebook.lark is in a list, and that the file is current).
"""

from __future__ import annotations

import json

from .syntax.library import FUNCTIONS as LIBRARY

DECLARATION_KEYWORDS = ("rulebook", "use", "evidence", "derived", "conclusion", "threshold", "constant", "fact",
                        "table", "rule", "example")
HEADER_KEYWORDS = ("version", "authority", "jurisdiction", "implements", "cites", "because")
CONTROL_KEYWORDS = ("if", "and", "or", "not", "in", "for", "with", "given", "expect", "as", "of", "force", "from", "until")
AGGREGATES = ("sum", "count", "min", "max", "distinct")
FUNCTIONS = tuple(sorted(set(LIBRARY) - set(AGGREGATES)))  # min and max are both
BOOLEANS = ("true", "false")
TYPES = ("entity", "text", "number", "percent", "date", "timestamp", "bool")
DURATION_UNITS = ("minute", "minutes", "hour", "hours", "day", "days", "week", "weeks", "month", "months", "year",
                  "years")
BUILTIN_NAMES = ("as_of",)

KEYWORDS = DECLARATION_KEYWORDS + HEADER_KEYWORDS + CONTROL_KEYWORDS

RULE_ID = r"[A-Za-z][A-Za-z0-9_.\-]*"
VARIABLE = r"\b[A-Z][A-Za-z0-9_]*\b"
NAME = r"\b[a-z][a-z0-9_]*\b"
PREDICATE = r"\b[a-z][a-z0-9_]*(?=\s*\()"
DATE = r"\b\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2})?)?\b"
PERCENT = r"\b\d+(?:\.\d+)?%"
NUMBER = r"\b\d+(?:\.\d+)?\b"
WILDCARD = r"\b_\b"
OPERATOR = r"//|>=|<=|!=|[-+*/%<>=!]"
PUNCTUATION = r"[(),.:;{}\[\]|]"
ESCAPE = r"\\.|\{\{|\}\}"
PLACEHOLDER = r"\{[^{}\"\n]*\}"


def words(names: tuple[str, ...]) -> str:
    """A regex matching any of `names` as a whole word."""
    return r"\b(?:" + "|".join(sorted(names, key=lambda w: (-len(w), w))) + r")\b"


def column() -> str:
    """A regex for a declaration's column, `name: type`, in five groups: name, space, colon, space, type."""
    return rf"\b([a-z][a-z0-9_]*)([ \t]*)(:)([ \t]*)({words(TYPES)})"


def textmate_grammar() -> dict:
    """The TextMate grammar (VS Code's syntax highlighting) for rulebook files."""
    def match(scope: str, regex: str) -> dict:
        return {"name": f"{scope}.warrant", "match": regex}

    repository = {
        "comment": match("comment.line.number-sign", r"#.*$"),
        "string": {
            "name": "string.quoted.double.warrant", "begin": '"', "end": '"|$',
            "patterns": [match("constant.character.escape", ESCAPE),
                         match("variable.other.placeholder", PLACEHOLDER)],
        },
        "date": match("constant.numeric.date", DATE),
        "number": {"patterns": [match("constant.numeric.percent", PERCENT), match("constant.numeric", NUMBER)]},
        "rule-id": {"match": rf"\b(rule)\s+({RULE_ID})",
                    "captures": {"1": {"name": "storage.type.rule.warrant"},
                                 "2": {"name": "entity.name.label.rule-id.warrant"}}},
        "column": {"match": column(),
                   "captures": {"1": {"name": "variable.parameter.column.warrant"},
                                "3": {"name": "punctuation.separator.warrant"},
                                "5": {"name": "support.type.warrant"}}},
        "keywords": {"patterns": [
            match("storage.type", words(DECLARATION_KEYWORDS)),
            match("keyword.other", words(HEADER_KEYWORDS)),
            match("keyword.control", words(CONTROL_KEYWORDS)),
            match("support.function.aggregate", words(AGGREGATES)),
            match("support.function.builtin", words(FUNCTIONS)),
            match("keyword.other.unit", words(DURATION_UNITS)),
            match("constant.language.boolean", words(BOOLEANS)),
            match("variable.language", words(BUILTIN_NAMES)),
        ]},
        "names": {"patterns": [
            match("entity.name.function.predicate", PREDICATE),
            match("variable.other", VARIABLE),
            match("variable.language.wildcard", WILDCARD),
            match("variable.other.constant", NAME),
        ]},
        "operators": {"patterns": [match("keyword.operator", OPERATOR), match("punctuation", PUNCTUATION)]},
    }
    order = ("comment", "string", "date", "number", "rule-id", "column", "keywords", "names", "operators")
    return {
        "$schema": "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
        "name": "Warrant",
        "scopeName": "source.warrant",
        "fileTypes": ["rules"],
        "patterns": [{"include": f"#{key}"} for key in order],
        "repository": repository,
    }


def textmate_json() -> str:
    """The TextMate grammar as the file editors/vscode/syntaxes/warrant.tmLanguage.json holds it."""
    return json.dumps(textmate_grammar(), indent=2) + "\n"


if __name__ == "__main__":
    print(textmate_json(), end="")
