"""A Pygments lexer for rulebooks: `pygmentize -l warrant file.rules`, and ```warrant blocks in the docs.

Registered under the entry point `pygments.lexers` (pyproject.toml); its words come from engine.highlight."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, include
from pygments.token import (Comment, Keyword, Name, Number, Operator, Punctuation, String, Text,
                            Whitespace)

from . import highlight as hl


class WarrantLexer(RegexLexer):
    """Rulebooks of the Warrant language (*.rules)."""

    name = "Warrant"
    aliases = ["warrant"]
    filenames = ["*.rules"]
    mimetypes = ["text/x-warrant"]
    url = "docs/language.md"

    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"#.*?$", Comment.Single),
            (r'"', String.Double, "string"),
            (hl.DATE, Number.Date),
            (hl.PERCENT, Number),
            (hl.NUMBER, Number),
            (rf"\b(rule)(\s+)({hl.RULE_ID})", bygroups(Keyword.Declaration, Whitespace, Name.Label)),
            (hl.column(), bygroups(Name.Attribute, Whitespace, Punctuation, Whitespace, Keyword.Type)),
            include("words"),
            (hl.PREDICATE, Name.Function),
            (hl.VARIABLE, Name.Variable),
            (hl.WILDCARD, Name.Variable.Anonymous),
            (hl.NAME, Name.Constant),
            (hl.OPERATOR, Operator),
            (hl.PUNCTUATION, Punctuation),
        ],
        "words": [
            (hl.words(hl.DECLARATION_KEYWORDS), Keyword.Declaration),
            (hl.words(hl.HEADER_KEYWORDS + hl.CONTROL_KEYWORDS), Keyword),
            (hl.words(hl.AGGREGATES), Name.Builtin),
            (hl.words(hl.FUNCTIONS), Name.Builtin),
            (hl.words(hl.DURATION_UNITS), Keyword.Type),
            (hl.words(hl.BOOLEANS), Keyword.Constant),
            (hl.words(hl.BUILTIN_NAMES), Name.Builtin.Pseudo),
        ],
        "string": [
            (hl.ESCAPE, String.Escape),
            (hl.PLACEHOLDER, String.Interpol),
            (r'[^"\\{}\n]+', String.Double),
            (r"[{}\\]", String.Double),
            (r'"', String.Double, "#pop"),
            (r"\n", Text, "#pop"),
        ],
    }
