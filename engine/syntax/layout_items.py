"""The canonical layout of each top-level item of a rulebook (docs/language.md, "Formatting")."""

from __future__ import annotations

from lark import Tree

from .layout import (
    BLANK_LINE, INDENT, WRAP, Block, HasComment, LayoutError, Line, atom, condition, end_of, expr, fill, fits, kids,
    period, present, text,
)


def blocks(tree: Tree, source: str, has_comment: HasComment) -> list[Block]:
    """The blocks of a whole rulebook, header first, in source order."""
    if tree.data != "start":
        raise LayoutError(tree, f"a rulebook starting with `{tree.data}`")
    split = _split_descriptions(tree.children, source, has_comment)
    return [_block(item, has_comment, i in split) for i, item in enumerate(tree.children)]


def _block(item: Tree, has_comment: HasComment, split: bool) -> Block:
    lay = _ITEMS.get(item.data)
    if lay is None:
        raise LayoutError(item, f"the item `{item.data}`")
    lines = declaration(item, has_comment, split) if item.data == "declaration" else lay(item, has_comment)
    return Block(item.data, item.meta.start_pos, item.meta.end_pos, tuple(lines))


def _split_descriptions(items: list[Tree], source: str, has_comment: HasComment) -> set[int]:
    """The declarations whose description goes on a line of its own: in a group of declarations written
    without a blank line between them, all of them when one does not fit on its declaration's line."""
    groups: list[list[int]] = []
    for i, item in enumerate(items):
        if item.data != "declaration":
            continue
        joined = groups and groups[-1][-1] == i - 1 and not BLANK_LINE.search(
            source, items[i - 1].meta.end_pos, item.meta.start_pos)
        groups[-1].append(i) if joined else groups.append([i])
    return {i for g in groups if any(len(declaration(items[j], has_comment)) > 1 for j in g) for i in g}


def header(node: Tree, _: HasComment) -> list[Line]:
    """`rulebook NAME "Title" version "V"`, then each field on its own line."""
    name, title, version, *fields = node.children
    lines = [Line(f"rulebook {name} {title} version {version}", end_of(version))]
    for field in fields:
        if field.data not in ("authority", "jurisdiction", "implements"):
            raise LayoutError(field, f"the header field `{field.data}`")
        value = kids(field, 1)[0]
        lines.append(Line(f"{INDENT}{field.data} {value}", end_of(value)))
    return lines


def use(node: Tree, _: HasComment) -> list[Line]:
    """`use "file"`."""
    path = kids(node, 1)[0]
    return [Line(f"use {path}", end_of(path))]


def declaration(node: Tree, has_comment: HasComment, split: bool = False) -> list[Line]:
    """`kind name(col: type, ...)` and its description: on a line of its own, indented, when `split`,
    when a comment comes before it, or when it does not fit on the declaration's line."""
    kind, name, *rest = node.children
    description = rest.pop()
    columns = []
    for col in (c for c in rest if c is not None):
        if col.data != "column":
            raise LayoutError(col, f"`{col.data}` among the columns")
        columns.append("{}: {}".format(*kids(col, 2)))
    first = f"{_keyword(kind, 'decl_kind')} {name}({', '.join(columns)})"
    if description is None:
        return [Line(first, end_of(node))]
    columns_end = end_of(rest[-1] if rest and rest[-1] is not None else name)
    if not split and fits(f"{first} {description}") and not has_comment(columns_end, description.start_pos):
        return [Line(f"{first} {description}", end_of(description))]
    return [Line(first, columns_end), Line(f"{INDENT}{description}", end_of(description))]


def _keyword(node: Tree, data: str) -> str:
    if node.data != data:
        raise LayoutError(node, f"`{node.data}` where `{data}` belongs")
    return str(kids(node, 1)[0])


def constant(node: Tree, _: HasComment) -> list[Line]:
    """`kind name = value [period], ...`, one value a line when they do not fit on one."""
    kind, name, *versions = node.children
    values = [(_version(v), end_of(v)) for v in versions]
    first = f"{_keyword(kind, 'const_kind')} {name} = "
    one = first + ", ".join(v for v, _ in values)
    if fits(one) or len(values) == 1:
        return [Line(one, end_of(node))]
    lines = [Line(first + values[0][0] + ",", values[0][1])]
    lines += [Line(f"{INDENT}{v},", e) for v, e in values[1:-1]]
    return lines + [Line(f"{INDENT}{values[-1][0]}", values[-1][1])]


def _version(node: Tree) -> str:
    if node.data != "constant_version":
        raise LayoutError(node, f"the value `{node.data}`")
    value, when = kids(node, 2)
    return expr(value)[0] + (f" {period(when)}" if when is not None else "")


def rule(node: Tree, has_comment: HasComment) -> list[Line]:
    """The rule's heading (on one line when it fits), its head and body, then `because`."""
    rid, title, in_force, cites, head, body, because = kids(node, 7)
    parts = [(f"rule {rid} {title}", end_of(title))]
    if in_force is not None:
        if in_force.data != "in_force":
            raise LayoutError(in_force, f"`{in_force.data}` after the rule's title")
        parts.append((f"in force {period(kids(in_force, 1)[0])}", end_of(in_force)))
    parts.append((f"cites {cites}:", end_of(cites)))
    one = " ".join(p for p, _ in parts)
    heading = [Line(one, end_of(cites))] if fits(one) else [
        Line(p if i == 0 else INDENT + p, e) for i, (p, e) in enumerate(parts)]
    return heading + _head_and_body(head, body, has_comment) + [
        Line(f"{INDENT}because {because}.", end_of(because))]


def _head_and_body(head: Tree, body: Tree, has_comment: HasComment) -> list[Line]:
    """`head if c1 and c2.` on one line when it fits and holds no comment; otherwise one condition a
    line, each after the first led by `and` (the first on a line of its own when it does not fit after
    `if`, or when a comment precedes it)."""
    if body.data != "body":
        raise LayoutError(body, f"`{body.data}` where conditions belong")
    start = f"{INDENT}{atom(head)} if "
    conds = body.children
    one = start + " and ".join(condition(c) for c in conds) + "."
    if fits(one) and not has_comment(end_of(head), end_of(body)):
        return [Line(one, end_of(body))]
    lines = _condition_lines(conds[0], start)
    if not fits(lines[0].text) or has_comment(end_of(head), lines[0].end):
        lines = [Line(start.rstrip(), end_of(head))] + _condition_lines(conds[0], WRAP)
    for cond in conds[1:]:
        lines += _condition_lines(cond, f"{WRAP}and ")
    return lines[:-1] + [Line(lines[-1].text + ".", lines[-1].end)]


def _condition_lines(node: Tree, lead: str) -> list[Line]:
    """A condition after `lead`; an aggregate that does not fit has its own conditions one a line."""
    one = lead + condition(node)  # checks the condition's shape
    if fits(one) or node.data != "aggregate_binding":
        return [Line(one, end_of(node))]
    var, op, agg = node.children
    func, distinct, target, body = agg.children
    if len(body.children) < 2:
        return [Line(one, end_of(node))]
    first, *rest = body.children
    opening = f"{lead}{text(var)} {op} {func}{' distinct' if distinct else ''}({text(target)} for "
    lines = [Line(opening + condition(first), end_of(first))]
    lines += [Line(f"{WRAP}{INDENT}and {condition(c)}", end_of(c)) for c in rest]
    return lines[:-1] + [Line(lines[-1].text + ")", end_of(node))]


def fact(node: Tree, _: HasComment) -> list[Line]:
    """`fact a(...), b(...) cites "source".`, wrapped at commas."""
    *atoms, cites = node.children
    lines = fill("fact ", [(atom(a), end_of(a)) for a in atoms], "")
    if fits(f"{lines[-1].text} cites {cites}."):
        return lines[:-1] + [Line(f"{lines[-1].text} cites {cites}.", end_of(cites))]
    return lines + [Line(f"{INDENT}cites {cites}.", end_of(cites))]


def table(node: Tree, _: HasComment) -> list[Line]:
    """The heading as a declaration's, then the rows: one a line when they have several values, otherwise
    filled onto lines, separated by `;`."""
    name, *rest = node.children
    columns = [c for c in rest if isinstance(c, Tree) and c.data == "column"]
    description, cites, *rows = rest[len(columns):]
    heading = f"table {name}({', '.join('{}: {}'.format(*kids(c, 2)) for c in columns)})"
    heading += f" {description}" if description is not None else ""
    lines = [Line(f"{heading} cites {cites}:", end_of(cites))] if fits(f"{heading} cites {cites}:") else [
        Line(heading, end_of(description if description is not None else columns[-1])),
        Line(f"{INDENT}cites {cites}:", end_of(cites))]
    texts = [(", ".join(expr(v)[0] for v in _row(r)), end_of(r)) for r in rows]
    if len(columns) > 1:
        return lines + [Line(f"{INDENT}{t}{';' if i < len(texts) - 1 else '.'}", e) for i, (t, e) in enumerate(texts)]
    current, end = INDENT + texts[0][0], texts[0][1]
    for t, e in texts[1:]:
        if fits(f"{current}; {t};"):
            current, end = f"{current}; {t}", e
        else:
            lines.append(Line(current + ";", end))
            current, end = INDENT + t, e
    return lines + [Line(current + ".", end)]


def _row(node: Tree) -> list:
    if node.data != "table_row":
        raise LayoutError(node, f"`{node.data}` among a table's rows")
    return node.children


def example(node: Tree, has_comment: HasComment) -> list[Line]:
    """`example "name":` and its clauses, one a line; the facts of a `given` wrapped at commas."""
    name, *clauses = node.children
    lines = [Line(f"example {name}:", end_of(name))]
    for clause in clauses:
        lay = _CLAUSES.get(clause.data)
        if lay is None:
            raise LayoutError(clause, f"the example clause `{clause.data}`")
        lines += lay(clause, has_comment)
    return lines


def _given(node: Tree, has_comment: HasComment) -> list[Line]:
    """The facts wrapped at commas; one a line when a comment comes between them."""
    facts = [(atom(a), end_of(a)) for a in present(node)]
    if not has_comment(facts[0][1], facts[-1][1]):
        return fill(f"{INDENT}given ", facts, ".")
    lead = [f"{INDENT}given "] + [WRAP] * (len(facts) - 1)
    return [Line(f"{lead[i]}{fact}{',' if i < len(facts) - 1 else '.'}", end) for i, (fact, end) in enumerate(facts)]


def _expect(node: Tree, words: str) -> list[Line]:
    fact = kids(node, 1)[0]
    return [Line(f"{INDENT}{words} {atom(fact)}.", end_of(fact))]


_CLAUSES = {
    "given": _given,
    "expect": lambda n, _: _expect(n, "expect"),
    "expect_not": lambda n, _: _expect(n, "expect not"),
    "as_of": lambda n, _: [Line(f"{INDENT}as of {kids(n, 1)[0]}.", end_of(n.children[0]))],
}

_ITEMS = {"header": header, "use": use, "declaration": declaration, "constant": constant, "rule": rule,
          "example": example, "fact": fact, "table": table}
