"""Explanations (E14x): `because "..."` placeholders name variables the rule binds, or thresholds and constants.

`{Name}` is replaced by the value of the variable Name; `{name}` by the value of the threshold or constant
`name` in force on the run's assessment date (`{as_of}`: that date). `{{` and `}}` write a literal brace.
"""

from __future__ import annotations

import re
from typing import Mapping

from ..diagnostics import Diagnostic, error
from ..source import Span
from ..syntax.ast import Rule, expr_vars
from ..syntax.program import Program
from .safety import rule_bound_vars
from .scope import BUILTIN_CONSTANTS, did_you_mean

_VAR = re.compile(r"[A-Z][A-Za-z0-9_]*\Z")
_CONST = re.compile(r"[a-z][a-z0-9_]*\Z")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Z][A-Za-z0-9_]*|[a-z][a-z0-9_]*)\}")


def parse_explanation(text: str) -> tuple[list[tuple[str, str]], list[tuple[str, int]]]:
    """Split an explanation into parts ("text", s), ("var", Name) and ("const", name); also the problems found,
    with offsets."""
    parts: list[tuple[str, str]] = []
    problems: list[tuple[str, int]] = []
    buf: list[str] = []
    i = 0
    while i < len(text):
        two = text[i:i + 2]
        if two in ("{{", "}}"):
            buf.append(two[0])
            i += 2
        elif text[i] == "{":
            end = text.find("}", i + 1)
            if end < 0:
                problems.append(("unclosed {", i))
                buf.append(text[i:])
                break
            name = text[i + 1:end]
            if _VAR.match(name) or _CONST.match(name):
                if buf:
                    parts.append(("text", "".join(buf)))
                    buf = []
                parts.append(("var" if _VAR.match(name) else "const", name))
            else:
                problems.append((f"{{{name}}} is not a variable, threshold or constant name", i))
                buf.append(text[i:end + 1])
            i = end + 1
        elif text[i] == "}":
            problems.append(("} without {", i))
            buf.append("}")
            i += 1
        else:
            buf.append(text[i])
            i += 1
    if buf:
        parts.append(("text", "".join(buf)))
    return parts, problems


def fill_explanation(text: str, values: Mapping[str, object]) -> str:
    """The explanation with each `{Name}` or `{name}` replaced by str(values[name]) (left as is when missing)."""
    parts, _ = parse_explanation(text)
    return "".join(s if kind == "text" else str(values.get(s, "{" + s + "}")) for kind, s in parts)


def _offset_span(rule: Rule, text: str, offset: int, length: int) -> Span:
    """The span of explanation characters [offset, offset+length), counting the escapes of the source."""
    raw = sum(2 if ch in '"\\\n\t' else 1 for ch in text[:offset])
    s = rule.explanation_span
    col = s.column + 1 + raw
    return Span(s.path, s.line, col, s.line, col + max(1, length))


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    known = {c.name for c in program.constants} | set(BUILTIN_CONSTANTS)
    for rule in program.rules:
        text = rule.explanation
        bound = rule_bound_vars(rule) | {v.name for a in rule.head.args for v in expr_vars(a)}
        _, problems = parse_explanation(text)
        for problem, offset in problems:
            out.append(error("E141", f"{problem} in the explanation", _offset_span(rule, text, offset, 1),
                             "write {{ and }} for a brace that is not a placeholder"))
        for match in _PLACEHOLDER.finditer(text):
            name = match.group(1)
            span = _offset_span(rule, text, match.start(), len(match.group(0)))
            if name and name[0].isupper() and name not in bound:
                listed = ", ".join(sorted(bound)) or "none"
                out.append(error("E140", f"{{{name}}} is not a variable this rule binds", span,
                                 f"the rule binds: {listed}"))
            elif name and name[0].islower() and name not in known:
                out.append(error("E142", f"{{{name}}} is not a threshold or constant", span,
                                 did_you_mean(name, known) or "a lower-case placeholder names a threshold or "
                                 "constant (or as_of); a variable starts with a capital letter"))
    return out


__all__ = ["check", "parse_explanation", "fill_explanation"]
