"""What authors bring from other languages (Prolog, Datalog, SQL, C), and the rulebook way of saying it.

A parse error is matched against CATALOGUE, in order: an entry applies when its pattern matches the line of
the error with the error's column inside the match, and the parser accepted what the entry requires there.
Each entry names its construct with the group `x` (the diagnostic's span) and carries an example that
tests/check/test_foreign.py parses: when the grammar learns a construct (`or`, facts, ...),
that test fails for its entry, which is then removed or reworded.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from string import Template

from ..diagnostics import Diagnostic, error
from ..source import SourceFile
from .library import FUNCTIONS


@dataclass(frozen=True)
class Foreign:
    """One construct the language does not have: where it is recognised and what to write instead."""

    name: str  # also the golden test's name: tests/golden/diagnostics/NAME.rules
    code: str
    pattern: str  # searched in the error's line, the match covering the error's column ("": the token itself)
    message: str  # $x is the text of group x; other named groups by their names
    hint: str
    example: str  # rulebook items (after a header declaring listed and owns) that the grammar refuses
    accepts: frozenset[str] = field(default=frozenset())  # terminals the parser must accept at the error
    tokens: frozenset[str] = field(default=frozenset())  # the offending token's type must be one of these


def _f(name, code, pattern, message, hint, example, accepts=(), tokens=()) -> Foreign:
    return Foreign(name, code, pattern, message, hint, example, frozenset(accepts), frozenset(tokens))


FUNCTION_HINTS = {
    "today": "as_of is the assessment date of the run: as_of - D <= 30",
    "now": "as_of is the assessment date of the run: as_of - D <= 30",
    "sqrt": "compare the square instead: X * X <= Limit",
    "pow": "multiply the value by itself: P * P",
    "substr": "test the part you need with starts_with, ends_with or contains",
    "trim": "load the text without the spaces around it",
}


def function_message(name: str) -> tuple[str, str]:
    """The message and hint for a call of `name`, which is no function of the library (engine/syntax/library.py)."""
    near = difflib.get_close_matches(name, sorted(FUNCTIONS), n=1, cutoff=0.6)
    hint = FUNCTION_HINTS.get(name) or (f"did you mean {near[0]}? " if near else "") + (
        "the functions are " + ", ".join(sorted(FUNCTIONS)))
    return f"{name}(...) is not a function of the rulebook language", hint


def is_function_name(name: str) -> bool:
    """Whether `name` is a function other languages have, which an undeclared condition most likely meant."""
    return name in FUNCTION_HINTS


def _body(body: str) -> str:
    """An example rule whose body is `body` (for the catalogue's examples)."""
    return f'rule R1 "Listed persons" cites "31 CFR 501.801":\n  blocked(X) if {body}\n  because "{{X}}".\n'


_NOT = "rulebooks write negation as not: write not $a"
_WRITE_OR = 'write or instead of $x, with the alternatives in brackets: (listed(X, "SDN") or listed(X, "EU"))'
_RULE_IF = "write: head(X) if body."
_AND = "join conditions with and (in lower case)"
_NEGATED = r"\s*(?P<a>[a-z]\w*\s*\([^()]*\))"
_KEYWORD = r"(?!(?:not|and|if|for|in|or)\b)"

CATALOGUE: tuple[Foreign, ...] = (
    # comments
    _f("foreign_comment", "E021", r"^\s*(?P<x>//|--|/\*|%)", "$x does not start a comment in a rulebook",
       "a comment starts with # and runs to the end of the line", "// the SDN list\n"),
    # rules written the Prolog or Datalog way, and items a rulebook does not have
    _f("foreign_prolog_rule", "E020", r"^\s*[a-z]\w*\s*\(.*?(?P<x>:-)", "a rule written the Prolog way",
       'a rule reads: rule R1 "title" cites "legal basis": head(X) if body. because "explanation".',
       'blocked(X) :- listed(X, "SDN").\n', accepts={"RULE"}),
    _f("foreign_prolog_if", "E020", r"(?P<x>:-)", ":- is how Prolog and Datalog write a rule", _RULE_IF,
       'rule R1 "Listed persons" cites "31 CFR 501.801":\n  blocked(X) :- listed(X, "SDN").\n  because "{X}".\n',
       accepts={"IF"}),
    _f("foreign_datalog_arrow", "E020", r"(?P<x><-)", "<- is how some Datalogs write a rule", _RULE_IF,
       'rule R1 "Listed persons" cites "31 CFR 501.801":\n  blocked(X) <- listed(X, "SDN").\n  because "{X}".\n',
       accepts={"IF"}),
    _f("foreign_rule_without_header", "E022", r"^\s*[a-z]\w*\s*\(.*?\)\s*(?P<x>if)\b", "a rule needs its header",
       'start it with: rule R1 "title" cites "legal basis": and end it with because "explanation".',
       'blocked(X) if listed(X, "SDN").\n', accepts={"RULE"}),
    _f("several_heads", "E035", r"^\s*[a-z]\w*\s*\([^()]*\)\s*(?P<x>,|\band\b)\s*[a-z]\w*\s*\(",
       "a rule concludes one fact: it has one head",
       "write one rule for each conclusion; to share a long body, conclude a derived predicate once and use it "
       "in each: derived basis(X) ... then blocked(X) if basis(X). and flagged(X) if basis(X).",
       'rule R1 "Listed persons" cites "31 CFR 501.801":\n  blocked(X), flagged(X) if listed(X, "SDN").\n'
       '  because "{X}".\n', accepts={"IF"}),
    _f("foreign_fact", "E022", r"^\s*(?P<x>[a-z]\w*\s*\([^()]*\))\s*\.", "a fact in a rulebook starts with fact",
       'state it with its source: fact $x cites "the legal source". (Evidence comes from the case file, or from '
       'given in an example.)',
       'listed("Acme Ltd", "SDN").\n', accepts={"RULE"}),
    # negation
    _f("foreign_not_bang", "E023", r"(?P<x>!)" + _NEGATED, "! is not negation in a rulebook", _NOT,
       _body("listed(X, _) and !owns(X, _, _).")),
    _f("foreign_not_prolog", "E023", r"(?P<x>\\\+)" + _NEGATED, "\\+ is Prolog's negation", _NOT,
       _body("listed(X, _) and \\+ owns(X, _, _).")),
    _f("foreign_not_tilde", "E023", r"(?P<x>~)" + _NEGATED, "~ is not negation in a rulebook", _NOT,
       _body("listed(X, _) and ~owns(X, _, _).")),
    _f("foreign_not_capitals", "E023", r"(?P<x>\bNOT)\s" + _NEGATED, "NOT is written in lower case", _NOT,
       _body("listed(X, _) and NOT owns(X, _, _).")),
    # joining conditions
    _f("foreign_or_semicolon", "E024", r"(?P<x>;)", "; is Prolog's or", _WRITE_OR,
       _body('listed(X, "SDN"); listed(X, "EU").')),
    _f("foreign_or_pipes", "E024", r"(?P<x>\|\|?)", "$x is not a rulebook operator", _WRITE_OR,
       _body('listed(X, "SDN") || listed(X, "EU").')),
    _f("foreign_or_capitals", "E024", r"(?P<x>\bOR\b)", "OR is not a rulebook operator", _WRITE_OR,
       _body('listed(X, "SDN") OR listed(X, "EU").'), accepts={"AND"}),
    _f("foreign_and_ampersands", "E025", r"(?P<x>&&?)", "$x is not a rulebook operator", _AND,
       _body("listed(X, _) && owns(X, _, _).")),
    _f("foreign_and_capitals", "E025", r"(?P<x>\bAND\b)", "AND is written in lower case", _AND,
       _body("listed(X, _) AND owns(X, _, _)."), accepts={"AND"}),
    # comparisons and arithmetic
    _f("foreign_equals_twice", "E026", r"(?P<x>==+)", "$x is not a comparison in a rulebook",
       'equality is a single =: L = "SDN"', _body('listed(X, L) and L == "SDN".')),
    _f("foreign_not_equal_sql", "E026", r"(?P<x><>)", "<> is SQL's not-equal", 'write !=: L != "EU"',
       _body('listed(X, L) and L <> "EU".')),
    _f("foreign_less_equal_prolog", "E026", r"(?P<x>=<)", "=< is Prolog's less-or-equal", "write <=: P <= 50",
       _body("owns(X, _, P) and P =< 50.")),
    _f("foreign_is_prolog", "E026", r"(?P<v>\b[A-Z]\w*)\s+(?P<x>is)\b", "is is Prolog's arithmetic",
       "give a variable its value with =: $v = ...", _body("owns(X, _, P) and Q is P * 2 and Q > 50.")),
    _f("percent_in_rule", "E033", r"\d(?P<x>%)\s*(?:\.|\)|,|\band\b|\bor\b|$)",
       "a percent sign is only for thresholds and constants",
       "in a rule, write the number (50) or, better, a threshold's name: threshold majority = 50%",
       _body("owns(X, _, P) and P >= 50%."), tokens={"DOT", "RPAR", "COMMA", "AND", "OR", "$END"}),
    _f("foreign_power", "E027", r"(?P<x>\*\*|\^)", "$x (power) is not in the language",
       "multiply the value by itself: P * P", _body("owns(X, _, P) and Q = P ** 2 and Q > 1.")),
    _f("duration_abbreviated", "E034", r"\b(?P<n>\d+)\s*(?P<x>(?:h|hrs?|d|w|wks?|mos?|m|mins?|y|yrs?|s|secs?)\b)",
       "$x is not a unit of time in a rulebook",
       "write the unit in words after the number: $written (the units are minutes, hours, days, weeks, months and "
       "years)",
       _body("owns(X, _, P) and P > 24h.")),
    # functions (message and hint from function_message)
    _f("foreign_function_in_calculation", "E028", r"\b" + _KEYWORD + r"(?P<x>[a-z]\w*)\s*\(", "", "",
       _body("owns(X, _, P) and Q = absolute(P) and Q > 1."), tokens={"LPAR"}),
    _f("foreign_function_compared", "E028", r"\b" + _KEYWORD + r"(?P<x>[a-z]\w*)\s*\([^()]*\)\s*[<>!=]", "", "",
       _body('listed(X, L) and lowercase(L) = "sdn".'), accepts={"AND"}),
    # texts
    _f("foreign_single_quotes", "E002", r"(?P<x>'(?P<s>[^'\n]*)')", "texts are written in double quotes",
       'write "$s"', _body("listed(X, 'SDN').")),
    # brackets, separators and the end of a rule
    _f("unbalanced_bracket_open", "E029", "", "a bracket is not closed",
       "close the bracket opened at $open", _body('listed(X, "SDN".'), accepts={"RPAR"},
       tokens={"DOT", "AND", "BECAUSE", "IF", "RULE", "$END", "COLON"}),
    _f("unbalanced_bracket_close", "E029", r"(?P<x>\))", "this bracket closes nothing",
       "remove it, or open a bracket where it belongs", _body('listed(X, "SDN")).'), tokens={"RPAR"}),
    _f("trailing_comma", "E030", r"(?P<x>,)\s*[).]", "a comma with nothing after it", "remove the comma",
       _body('listed(X, "SDN", ).')),
    _f("trailing_and", "E030", r"(?P<x>\band)\s*\.", "a rule body cannot end with and",
       "remove the and, or add the condition it was to join", _body('listed(X, "SDN") and .')),
    _f("missing_because_text", "E031", r'(?P<x>"(?:[^"\\\n]|\\.)*"?)', "the explanation needs because before it",
       'write: because "an explanation with {Placeholders}".',
       'rule R1 "Listed persons" cites "31 CFR 501.801":\n  blocked(X) if listed(X, "SDN").\n  "{X} is listed".\n',
       accepts={"BECAUSE"}),
    _f("missing_because", "E031", "", "the rule has no explanation",
       'every rule ends with: because "an explanation with {Placeholders}".',
       'rule R1 "Listed persons" cites "31 CFR 501.801":\n  blocked(X) if listed(X, "SDN").\n\n'
       'example "listed":\n  given listed("A", "SDN").\n  expect blocked("A").\n', accepts={"BECAUSE"}),
)


@dataclass(frozen=True)
class Failure:
    """Where the parser stopped: the offset of the offending text, its token type and what was acceptable."""

    source: SourceFile
    offset: int
    token: str  # a terminal name, "$END", or "" for a character no token starts with
    length: int  # of the offending token
    accepts: frozenset[str]


def open_bracket(text: str, end: int) -> int | None:
    """The offset of the last bracket before `end` that is still open (texts and comments skipped)."""
    stack: list[int] = []
    for m in re.finditer(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|[()]', text[:end]):
        if m.group() == "(":
            stack.append(m.start())
        elif m.group() == ")" and stack:
            stack.pop()
    return stack[-1] if stack else None


def _where(source: SourceFile, offset: int) -> str:
    span = source.span_at(offset)
    return f"line {span.line}, column {span.column}"


def _applies(entry: Foreign, f: Failure, line: str, col: int) -> tuple[int, int, dict] | None:
    """Where the entry's construct is in `line` (start, end, named groups), or None when it does not apply."""
    if (entry.tokens and f.token not in entry.tokens) or not entry.accepts <= f.accepts:
        return None
    if entry.code == "E029":
        is_open = open_bracket(f.source.text, f.offset) is not None
        if is_open != (entry.name == "unbalanced_bracket_open"):
            return None
    if not entry.pattern:
        return col, col + f.length, {}
    for m in re.finditer(entry.pattern, line):
        if m.start() <= col < m.end():
            return *m.span("x"), {k: v for k, v in m.groupdict().items() if v is not None}
    return None


_UNIT_WORDS = {"h": "hour", "hr": "hour", "hrs": "hour", "d": "day", "w": "week", "wk": "week", "wks": "week",
               "mo": "month", "mos": "month", "y": "year", "yr": "year", "yrs": "year", "min": "minute",
               "mins": "minute", "m": "minute"}


def _written(number: str, abbreviation: str) -> str:
    """`24 hours` for 24h; seconds have no unit, so a number of seconds is written in minutes."""
    if abbreviation not in _UNIT_WORDS:
        return "a whole number of minutes"
    word = _UNIT_WORDS[abbreviation]
    written = f"{number} {word}" + ("" if number == "1" else "s")
    return written + (f" (or {number} month" + ("" if number == "1" else "s") + ")" if abbreviation == "m" else "")


def _text(entry: Foreign, groups: dict, f: Failure) -> tuple[str, str]:
    if entry.code == "E028" and not entry.message:
        return function_message(groups["x"])
    if entry.code == "E034":
        groups = dict(groups, written=_written(groups["n"], groups["x"]))
    at = open_bracket(f.source.text, f.offset)
    if at is not None:
        groups = dict(groups, open=f"{_where(f.source, at)}: {f.source.line(f.source.span_at(at).line).strip()}")
    return Template(entry.message).safe_substitute(groups), Template(entry.hint).safe_substitute(groups)


def recognise(f: Failure) -> tuple[Foreign, Diagnostic] | None:
    """The first catalogue entry that matches the failure, with its diagnostic; None when none does."""
    start = f.source.text.rfind("\n", 0, f.offset) + 1
    end = f.source.text.find("\n", f.offset)
    line = f.source.text[start:end if end >= 0 else len(f.source.text)]
    for entry in CATALOGUE:
        found = _applies(entry, f, line, f.offset - start)
        if found is not None:
            x0, x1, groups = found
            message, hint = _text(entry, groups, f)
            return entry, error(entry.code, message, f.source.span_at(start + x0, x1 - x0), hint)
    return None


__all__ = ["CATALOGUE", "Foreign", "Failure", "recognise", "function_message", "is_function_name", "open_bracket"]
