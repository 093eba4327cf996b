"""The canonical layout of a rulebook: its parse tree laid out as lines, one block per item.

Every token is written exactly as the source has it (strings with their escapes, numbers with their
digits); only whitespace and parentheses change. A construct this module does not know is a
LayoutError, never a silently dropped piece of the rulebook."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from lark import Token, Tree

WIDTH = 100
INDENT = "  "
WRAP = INDENT * 2
BLANK_LINE = re.compile(r"\n[ \t]*\n")


class LayoutError(Exception):
    """The parse tree holds a construct the formatter cannot lay out (the grammar grew past it)."""

    def __init__(self, node, what: str):
        meta = getattr(node, "meta", None)
        where = f" at line {meta.line}, column {meta.column}" if meta is not None and not meta.empty else ""
        super().__init__(f"warrant fmt cannot lay out {what}{where} yet")


@dataclass(frozen=True)
class Line:
    """One output line (indentation included) and the source offset just past its last token."""

    text: str
    end: int


@dataclass(frozen=True)
class Block:
    """The lines of one top-level item (the header is one too) and where the item is in the source."""

    kind: str
    start: int
    end: int
    lines: tuple[Line, ...]


HasComment = Callable[[int, int], bool]  # whether a comment starts in the source between two offsets


def end_of(node) -> int:
    """The source offset just past a token or tree."""
    if isinstance(node, Token):
        return node.end_pos
    if not node.meta.empty:
        return node.meta.end_pos
    return end_of(next(c for c in reversed(node.children) if c is not None))


def kids(tree: Tree, count: int) -> list:
    """The children of `tree`, which must be `count` (placeholders of missing optional parts included)."""
    if len(tree.children) != count:
        raise LayoutError(tree, f"this form of `{tree.data}`")
    return tree.children


def present(tree: Tree) -> list:
    """The children of `tree` that are there (not placeholders)."""
    return [c for c in tree.children if c is not None]


# expressions: (text, precedence); a lower precedence binds less tightly
_LEAVES = {"var", "constant_ref", "string", "number", "date", "timestamp"}
_OP_PRECEDENCE = {"ADD_OP": 1, "MUL_OP": 2}
_UNARY, _ATOMIC = 3, 4


def expr(node) -> tuple[str, int]:
    """An expression or constant value as text, with the precedence of its outermost operation."""
    if not isinstance(node, Tree):
        raise LayoutError(None, f"the token {node!r} in a calculation")
    if node.data in _LEAVES:
        return str(kids(node, 1)[0]), _ATOMIC
    if node.data in ("wildcard", "true", "false"):
        kids(node, 0)
        return {"wildcard": "_"}.get(node.data, node.data), _ATOMIC
    if node.data == "percent_literal":
        return f"{kids(node, 1)[0]}%", _ATOMIC
    if node.data == "negative_number":
        return f"-{kids(node, 1)[0]}", _UNARY
    if node.data == "neg":
        text, prec = expr(kids(node, 1)[0])
        return f"-{text}" if prec > _UNARY else f"-({text})", _UNARY
    if node.data == "binop":
        return _binop(node)
    if node.data == "duration":
        count, unit = kids(node, 2)
        return f"{count} {unit}", _ATOMIC
    if node.data == "call":
        name, *args = node.children
        return f"{name}({', '.join(expr(a)[0] for a in args if a is not None)})", _ATOMIC
    raise LayoutError(node, f"`{node.data}` in a calculation")


def _binop(node: Tree) -> tuple[str, int]:
    left, op, right = kids(node, 3)
    prec = _OP_PRECEDENCE.get(getattr(op, "type", None))
    if prec is None:
        raise LayoutError(node, f"the operator {op!r}")
    (lt, lp), (rt, rp) = expr(left), expr(right)
    lt = lt if lp >= prec else f"({lt})"
    rt = rt if rp > prec else f"({rt})"
    return f"{lt} {op} {rt}", prec


def text(node) -> str:
    """An expression as text."""
    return expr(node)[0]


def atom(node: Tree) -> str:
    """`name(args) with field = value, ...`."""
    if node.data != "atom":
        raise LayoutError(node, f"`{node.data}` where an atom belongs")
    name, *rest = node.children
    meta = rest.pop() if rest and isinstance(rest[-1], Tree) and rest[-1].data == "metadata" else None
    if rest and rest[-1] is None:
        rest.pop()  # the placeholder of a missing `with`
    out = f"{name}({', '.join(text(a) for a in rest if a is not None)})"
    if meta is not None:
        out += " with " + ", ".join(_meta_item(m) for m in meta.children)
    return out


def _meta_item(node: Tree) -> str:
    if node.data != "meta_item":
        raise LayoutError(node, f"`{node.data}` after `with`")
    name, value = kids(node, 2)
    return f"{name} = {text(value)}"


def condition(node: Tree) -> str:
    """One condition of a body."""
    if node.data == "atom":
        return atom(node)
    if node.data == "negation":
        return "not " + atom(kids(node, 1)[0])
    if node.data == "comparison":
        left, op, right = kids(node, 3)
        return f"{text(left)} {op} {text(right)}"
    if node.data == "test":
        return text(kids(node, 1)[0])
    if node.data == "aggregate_binding":
        var, op, agg = kids(node, 3)
        return f"{text(var)} {op} {_aggregate(agg)}"
    if node.data in ("membership", "non_membership"):
        value, members = kids(node, 2)
        if members.data != "members":
            raise LayoutError(members, f"`{members.data}` after in")
        word = "in" if node.data == "membership" else "not in"
        return f"{text(value)} {word} ({', '.join(text(m) for m in members.children)})"
    if node.data == "negated_body":
        return f"not ({' and '.join(_conditions(kids(node, 1)[0]))})"
    if node.data == "disjunction":
        return "(" + " or ".join(" and ".join(_conditions(alt)) for alt in node.children) + ")"
    raise LayoutError(node, f"the condition `{node.data}`")


def _aggregate(node: Tree) -> str:
    if node.data != "aggregate":
        raise LayoutError(node, f"`{node.data}` after =")
    func, distinct, target, body = kids(node, 4)
    return f"{func}{' distinct' if distinct else ''}({text(target)} for {' and '.join(_conditions(body))})"


def _conditions(body: Tree) -> list[str]:
    if body.data != "body":
        raise LayoutError(body, f"`{body.data}` where conditions belong")
    return [condition(c) for c in body.children]


def period(node: Tree) -> str:
    """`from D`, `from D until E` or `until D`."""
    if node.data == "period_from":
        start, end = kids(node, 2)
        return f"from {start}" + (f" until {end}" if end is not None else "")
    if node.data == "period_until":
        return f"until {kids(node, 1)[0]}"
    raise LayoutError(node, f"the period `{node.data}`")


def fill(first: str, items: list[tuple[str, int]], last: str) -> list[Line]:
    """Items joined by ', ' after `first`, wrapped at commas onto lines indented WRAP, `last` at the end."""
    lines, current, end = [], first + items[0][0], items[0][1]
    for i, (item, item_end) in enumerate(items[1:], 2):
        tail = last if i == len(items) else ","
        if len(f"{current}, {item}{tail}") <= WIDTH:
            current, end = f"{current}, {item}", item_end
        else:
            lines.append(Line(current + ",", end))
            current, end = WRAP + item, item_end
    return lines + [Line(current + last, end)]


def fits(line: str) -> bool:
    """Whether a line stays within the width."""
    return len(line) <= WIDTH
