"""The names of a program for an editor: which predicate, threshold, constant or rule a word under the cursor
names, its description for hover, where it is declared, and what may be completed."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .. import highlight
from ..diagnostics import SourceMap
from ..numbers import number_text
from ..source import Span
from ..syntax import ast
from ..syntax.program import Program

WIDE_WORD = re.compile(r"[A-Za-z0-9_.\-]+")  # a rule id may hold dots and dashes
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
AS_OF = "the assessment date of the run (`warrant run --as-of DATE`, today by default)"


@dataclass(frozen=True)
class Symbol:
    """A declared name: `node` is a Declaration, Constant or Rule (None for the built-in `as_of`)."""

    name: str
    node: ast.Declaration | ast.Constant | ast.Rule | None


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # predicate | constant | keyword | variable | field
    detail: str = ""
    documentation: str = ""


def _word_around(pattern: re.Pattern, line: str, character: int) -> re.Match | None:
    return next((m for m in pattern.finditer(line) if m.start() <= character <= m.end()), None)


def symbol_at(program: Program, line: str, character: int) -> Symbol | None:
    """The symbol named at `character` (0-based) of `line`, or None."""
    word = _word_around(WORD, line, character)
    wide = _word_around(WIDE_WORD, line, character)
    if word and re.match(r"\s*\(", line[word.end():]) and program.declaration(word.group()):
        return Symbol(word.group(), program.declaration(word.group()))
    rule = wide and next((r for r in program.rules if r.id == wide.group().rstrip(".")), None)
    if rule:
        return Symbol(rule.id, rule)
    if word and program.constant(word.group()):
        return Symbol(word.group(), program.constant(word.group()))
    if word and program.declaration(word.group()):
        return Symbol(word.group(), program.declaration(word.group()))
    if word and word.group() == "as_of":
        return Symbol("as_of", None)
    return None


def value_text(value: ast.Const) -> str:
    """A value as a rulebook writes it: "SDN", 50%, 2024-07-03, true."""
    if value.type == "text":
        return json.dumps(value.value, ensure_ascii=False)
    if value.type == "bool":
        return "true" if value.value else "false"
    if value.type in ("number", "percent"):
        return number_text(value.value) + ("%" if value.type == "percent" else "")
    return str(value.value)


def signature(decl: ast.Declaration) -> str:
    """`evidence owns(owner: entity, ...)`, as declared."""
    return f"{decl.kind} {decl.name}(" + ", ".join(f"{c.name}: {c.type}" for c in decl.columns) + ")"


def constant_text(const: ast.Constant) -> str:
    """`threshold t = 50% until 2024-07-02, 40% from 2024-07-03`, as declared."""
    versions = const.versions or (ast.ConstantVersion(const.value, None, const.span),)
    values = ", ".join(" ".join(filter(None, (value_text(v.value), v.period and v.period.text())))
                       for v in versions)
    return f"{const.kind} {const.name} = {values}"


def hover_markdown(symbol: Symbol) -> str:
    """What hovering over a symbol shows: its declaration, description, citation or values."""
    node = symbol.node
    if node is None:
        return f"`as_of`: {AS_OF}"
    where = f"\n\nDeclared in `{Path(node.span.path).name}`, line {node.span.line}."
    if isinstance(node, ast.Declaration):
        return f"```warrant\n{signature(node)}\n```" + (f"\n\n{node.description}" if node.description else "") + where
    if isinstance(node, ast.Constant):
        return f"```warrant\n{constant_text(node)}\n```" + where
    period = f"\n\nIn force {node.in_force.text()}." if node.in_force else ""
    return (f"**rule {node.id}**: {node.title}\n\ncites {node.citation}{period}\n\n"
            f"concludes `{node.head.predicate}`; because \"{node.explanation}\"" + where)


def definition(symbol: Symbol, sources: SourceMap) -> Span | None:
    """Where a symbol is declared: the span of its name."""
    node = symbol.node
    if node is None:
        return None
    if isinstance(node, ast.Rule):
        return node.id_span
    text = sources.line(node.span.path, node.span.line) or ""
    found = re.compile(rf"\b{re.escape(symbol.name)}\b").search(text, node.span.column - 1)
    if not found:
        return node.span
    return Span(node.span.path, node.span.line, found.start() + 1, node.span.line, found.end() + 1)


def used_file_at(program: Program, root_path: str, line: int, character: int) -> Path | None:
    """The file a `use "..."` at (line, character), 1-based line and 0-based character, names."""
    for use in program.root.uses:
        if use.span.line == line and use.span.column - 1 <= character <= use.span.end_column - 1:
            return Path(root_path).parent / use.path
    return None


def completions(program: Program | None, before_cursor: str = "") -> list[Completion]:
    """Predicates, thresholds, constants and keywords; after `with`, the metadata fields too."""
    words = highlight.KEYWORDS + highlight.AGGREGATES + highlight.FUNCTIONS + highlight.BOOLEANS + highlight.TYPES
    items = [Completion(w, "keyword") for w in words]
    items.append(Completion("as_of", "variable", "date", AS_OF))
    if re.search(r"\bwith\b", before_cursor):
        items += [Completion(name, "field", type_) for name, type_ in ast.META_FIELDS.items()]
    if program is not None:
        items += [Completion(d.name, "predicate", signature(d), d.description) for d in program.declarations]
        items += [Completion(c.name, "constant", constant_text(c)) for c in program.constants]
    return items
