"""Turn lark's parse errors into diagnostics a legal officer can act on."""

from __future__ import annotations

from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from ..diagnostics import Diagnostic, error
from ..source import SourceFile, Span
from .foreign import Failure, recognise

TERMINAL_WORDS = {
    "NAME": "a name in lower case (like owns)",
    "VAR": "a variable in capitals (like X or Owner)",
    "STRING": 'a quoted text (like "SDN")',
    "NUMBER": "a number",
    "DATE": "a date (like 2024-07-03)",
    "RULE_ID": "a rule id (like R1)",
    "COMPARE": "a comparison (=, !=, <, <=, >, >=)",
    "ADD_OP": "+ or -",
    "MUL_OP": "* or /",
    "AGG_FUNC": "an aggregate (sum, count, min, max)",
    "DISTINCT": '"distinct"',
    "IN": '"in force from DATE" (or until DATE)',
    "$END": "the end of the file",
}

HINTS = [
    ({"DOT", "AND"}, 'end the rule body with a full stop, or join conditions with "and"'),
    ({"CITES"}, 'after the rule title, give its legal basis: cites "31 CFR 501.801" '
                '(and before that, if the rule is in force only for a time: in force from 2024-07-03)'),
    ({"IF"}, 'a rule reads: head(X) if condition and condition.'),
    ({"VERSION"}, 'the header reads: rulebook my_id "Title" version "2024-01-01"'),
    ({"RULEBOOK"}, 'a rulebook starts with: rulebook my_id "Title" version "1"'),
]

TOKEN_HINTS = {
    "%": "a percent sign is only for thresholds and constants (threshold majority = 50%); "
         "in a rule, write the number (50) or the threshold's name",
    "for": "an aggregate gives its result to a new variable, which you then compare: "
           "Total = sum(P for owns(X, Y, P)) and Total >= 50",
}


def _describe(term: str, exc: UnexpectedInput) -> str:
    if term in TERMINAL_WORDS:
        return TERMINAL_WORDS[term]
    try:
        from .grammar import parser

        pattern = parser().get_terminal(term).pattern
        if pattern.type == "str":
            return f'"{pattern.value}"'
    except (KeyError, AttributeError):
        pass
    return term.lower()


def _expected_words(expected: set[str], exc: UnexpectedInput) -> str:
    words = sorted({_describe(t, exc) for t in expected if not t.startswith("__")})
    if len(words) > 6:
        words = words[:6] + ["..."]
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _hint(expected: set[str]) -> str | None:
    for needed, hint in HINTS:
        if needed <= expected:
            return hint
    return None


def _failure(exc: UnexpectedInput, source: SourceFile, expected: set[str]) -> Failure:
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        if tok.type == "$END":
            return Failure(source, len(source.text.rstrip()), "$END", 1, frozenset(expected))
        return Failure(source, tok.start_pos, tok.type, max(1, len(str(tok))), frozenset(expected))
    return Failure(source, exc.pos_in_stream, "", 1, frozenset(expected))


def _accepted(exc: UnexpectedInput) -> set[str]:
    """The terminals the parser would have accepted where it stopped."""
    if isinstance(exc, UnexpectedToken):
        if exc.interactive_parser is not None:
            return set(exc.interactive_parser.accepts()) or set(exc.expected)
        return set(exc.expected)
    return set(getattr(exc, "allowed", None) or ())


def syntax_diagnostic(exc: Exception, source: SourceFile, what: str = "rulebook") -> Diagnostic:
    """One diagnostic for a parse failure, located at the offending token: a construct of another language
    (engine/syntax/foreign.py) gets its own, and anything else says what was expected there."""
    if isinstance(exc, (UnexpectedToken, UnexpectedCharacters)):
        found = recognise(_failure(exc, source, _accepted(exc)))
        if found is not None:
            return found[1]
    if isinstance(exc, UnexpectedToken):
        tok = exc.token
        expected = _accepted(exc)
        if tok.type == "$END":
            span = source.span_at(len(source.text.rstrip()))
            found = "end of the file"
        else:
            span = Span(source.path, tok.line, tok.column, tok.end_line or tok.line,
                        tok.end_column or tok.column + len(str(tok)))
            found = str(tok) if tok.type == "STRING" else f'"{tok}"'
        hint = TOKEN_HINTS.get(str(tok)) or _hint(expected)
        return error("E001", f"unexpected {found} in {what}: expected {_expected_words(expected, exc)}",
                     span, hint)
    if isinstance(exc, UnexpectedCharacters):
        span = Span(source.path, exc.line, exc.column, exc.line, exc.column + 1)
        char = source.text[exc.pos_in_stream] if exc.pos_in_stream < len(source.text) else "?"
        return error("E002", f"unexpected character {char!r} in {what}", span)
    if isinstance(exc, UnexpectedEOF):
        span = source.span_at(len(source.text.rstrip()))
        return error("E001", f"unexpected end of the file in {what}: expected {_expected_words(set(exc.expected), exc)}",
                     span)
    span = source.span_at(0)
    return error("E003", f"cannot read this {what}: {exc}", span)
