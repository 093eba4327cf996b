"""Parse rulebook text into the AST; syntax errors become located diagnostics."""

from __future__ import annotations

import hashlib

from lark import Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedInput, VisitError

from .. import numbers
from ..diagnostics import SourceMap, WarrantError, error
from ..source import SourceFile, Span
from . import ast
from .branches import MAX_BRANCHES, branch_count
from .grammar import parser
from .library import AGGREGATE_NAMES, CONDITIONS, FUNCTIONS, arity_text, duration_type, takes
from .syntax_errors import syntax_diagnostic


MAX_NESTING = 64  # operations nested in one calculation; docs/language.md "Limits"
CALCULATED = (ast.BinOp, ast.Neg, ast.Call)


class ShapeError(Exception):
    """A parse that the grammar accepts but the language does not (reported under `code`)."""

    def __init__(self, message: str, span: Span, hint: str | None = None, code: str = "E004"):
        super().__init__(message)
        self.message, self.span, self.hint, self.code = message, span, hint, code


def _span(path: str, meta) -> Span:
    return Span(path, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(path: str, tok: Token) -> Span:
    return Span(path, tok.line, tok.column, tok.end_line or tok.line, tok.end_column or tok.column + len(tok))


def unquote(tok: Token) -> str:
    """The value of a STRING token, escapes resolved."""
    body = str(tok)[1:-1]
    out, i = [], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _number(text: str, span, negative: bool = False):
    """A number literal: an int when written without a point, else the float of the decimal as written;
    E175 when the language cannot hold it exactly (engine/numbers.py)."""
    try:
        value = numbers.parse(("-" if negative else "") + text)
    except numbers.NumberError as exc:
        raise ShapeError(str(exc), span, f"write a whole number from {numbers.INT_MIN} to {numbers.INT_MAX}, "
                         f"or a decimal of at most {numbers.DIGITS} significant digits", code="E175") from None
    return float(value) if "." in text else value


class _ToAst(Transformer_NonRecursive):
    """Lark tree -> AST. One method per grammar rule; spans come from lark's metadata.

    Bottom-up without recursion, so that no input can exhaust Python's stack; a calculation nested
    deeper than MAX_NESTING is refused here, before any later pass recurses into it."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.nesting: dict[int, int] = {}  # by id of a BinOp or Neg node: how deep its operations nest
        self.calculations = 0  # calculations lifted out of conditions' arguments (`lifted`)

    def nested(self, node, *operands):
        """`node` with its nesting recorded (one more than its deepest operand); ShapeError past MAX_NESTING."""
        depth = 1 + max(self.nesting.get(id(o), 0) for o in operands)
        if depth > MAX_NESTING:
            raise ShapeError(
                f"this calculation nests more than {MAX_NESTING} operations inside each other", node.span,
                "bind part of it to a new variable first, e.g. Sub = A + B + C and then Total = Sub + D, "
                "or move it into a rule of its own", code="E005")
        self.nesting[id(node)] = depth
        return node

    def s(self, meta) -> Span:
        return _span(self.path, meta)

    def t(self, tok: Token) -> Span:
        return _tok_span(self.path, tok)

    # terms and expressions
    @v_args(meta=True)
    def var(self, meta, items):
        return ast.Var(str(items[0]), self.s(meta))

    @v_args(meta=True)
    def wildcard(self, meta, items):
        return ast.Wildcard(self.s(meta))

    @v_args(meta=True)
    def constant_ref(self, meta, items):
        return ast.ConstRef(str(items[0]), self.s(meta))

    @v_args(meta=True)
    def string(self, meta, items):
        return ast.Const(unquote(items[0]), "text", self.s(meta))

    @v_args(meta=True)
    def number(self, meta, items):
        return ast.Const(_number(str(items[0]), self.s(meta)), "number", self.s(meta))

    @v_args(meta=True)
    def negative_number(self, meta, items):
        return ast.Const(_number(str(items[0]), self.s(meta), negative=True), "number", self.s(meta))

    @v_args(meta=True)
    def percent_literal(self, meta, items):
        return ast.Const(_number(str(items[0]), self.s(meta)), "percent", self.s(meta))

    @v_args(meta=True)
    def date(self, meta, items):
        return ast.Const(str(items[0]), "date", self.s(meta))

    @v_args(meta=True)
    def timestamp(self, meta, items):
        text = str(items[0])
        return ast.Const(text if len(text) == 19 else text + ":00", "timestamp", self.s(meta))

    @v_args(meta=True)
    def duration(self, meta, items):
        count, unit = str(items[0]), str(items[1])
        if "." in count:
            raise ShapeError(f"a duration counts whole {unit.rstrip('s')}s", self.s(meta),
                             "write a smaller unit instead of a fraction: 36 hours, not 1.5 days", code="E174")
        return ast.Const(f"{int(count)} {unit}", duration_type(unit), self.s(meta))

    @v_args(meta=True)
    def true(self, meta, items):
        return ast.Const(True, "bool", self.s(meta))

    @v_args(meta=True)
    def false(self, meta, items):
        return ast.Const(False, "bool", self.s(meta))

    @v_args(meta=True)
    def binop(self, meta, items):
        return self.nested(ast.BinOp(str(items[1]), items[0], items[2], self.s(meta)), items[0], items[2])

    @v_args(meta=True)
    def neg(self, meta, items):
        operand = items[0]
        if isinstance(operand, ast.Const) and operand.type in ("number", "percent"):
            return ast.Const(-operand.value, operand.type, self.s(meta))
        return self.nested(ast.Neg(operand, self.s(meta)), operand)

    @v_args(meta=True)
    def call(self, meta, items):
        name, *args = items
        return self.nested(_call(str(name), tuple(a for a in args if a is not None), self.s(meta)), *args, None)

    # literals
    @v_args(meta=True)
    def test(self, meta, items):
        return _test(items[0], True, self.s(meta))

    @v_args(meta=True)
    def meta_item(self, meta, items):
        return ast.MetaItem(str(items[0]), items[1], self.s(meta))

    def metadata(self, items):
        return tuple(items)

    @v_args(meta=True)
    def atom(self, meta, items):
        name, *rest = items
        meta_items = rest.pop() if rest and isinstance(rest[-1], tuple) else ()
        meta_items = meta_items or ()
        args = tuple(a for a in rest if a is not None)
        return ast.Atom(str(name), args, meta_items, self.s(meta))

    @v_args(meta=True)
    def negation(self, meta, items):
        atom = items[0]
        if isinstance(atom, ast.Atom) and atom.predicate in CONDITIONS and not atom.meta:
            return _test(_call(atom.predicate, atom.args, atom.span), False, self.s(meta))
        return ast.Negation(atom, self.s(meta))

    @v_args(meta=True)
    def negated_body(self, meta, items):
        if len(items) > 1:
            raise ShapeError("or cannot be used inside not (...)", self.s(meta),
                             "not (A or B) means not (A) and not (B): write them so", code="E164")
        inner = next((lit for lit in _walk(items[0]) if isinstance(lit, (ast.Aggregate, ast.Disjunction))), None)
        if inner is not None:
            what = "an aggregate" if isinstance(inner, ast.Aggregate) else "or"
            raise ShapeError(f"{what} cannot be used inside not (...)", inner.span,
                             "name those conditions in a derived predicate, and write not p(...) of it", code="E164")
        return ast.NegatedConjunction(items[0], self.s(meta))

    @v_args(meta=True)
    def comparison(self, meta, items):
        return ast.Comparison(str(items[1]), items[0], items[2], self.s(meta))

    @v_args(meta=True)
    def disjunction(self, meta, items):
        return ast.Disjunction(tuple(items), self.s(meta))

    def members(self, items):
        return tuple(items)

    @v_args(meta=True)
    def membership(self, meta, items):
        return ast.Membership(items[0], items[1], False, self.s(meta))

    @v_args(meta=True)
    def non_membership(self, meta, items):
        return ast.Membership(items[0], items[1], True, self.s(meta))

    @v_args(meta=True)
    def aggregate(self, meta, items):
        func, distinct, target, body = items
        inner = next((lit for lit in body if isinstance(lit, ast.Disjunction)), None)
        if inner is not None:
            raise ShapeError(
                "or cannot be used inside an aggregate", inner.span,
                "name the alternatives in a derived predicate, one rule for each, and use it in the aggregate",
                code="E160")
        return ("aggregate", str(func), distinct is not None, target, body, self.s(meta))

    @v_args(meta=True)
    def aggregate_binding(self, meta, items):
        var, op, (_, func, distinct, target, body, _agg_span) = items
        if not isinstance(var, ast.Var) or str(op) != "=":
            raise ShapeError(
                f"the result of {func} must be given to a new variable with =", self.s(meta),
                f"write N = {func}(...) and then compare N, e.g. N >= 2")
        return ast.Aggregate(var, func, distinct, target, body, self.s(meta))

    def body(self, items):
        return tuple(out for lit in items for out in self.lifted(lit))

    def lifted(self, lit) -> list:
        """A condition whose arguments calculate, as a fresh variable in each such argument and its
        calculation: owns(X, Y, P + 1) is owns(X, Y, _calc1) and _calc1 = P + 1 (under not, the calculation
        comes first, to give the variable its value)."""
        atom = lit.atom if isinstance(lit, ast.Negation) else lit
        if not isinstance(atom, ast.Atom) or not any(isinstance(a, CALCULATED) for a in atom.args):
            return [lit]
        args, calculations = [], []
        for arg in atom.args:
            if isinstance(arg, CALCULATED):
                self.calculations += 1
                fresh = ast.Var(f"_calc{self.calculations}", arg.span)
                calculations.append(ast.Comparison("=", fresh, arg, arg.span))
                arg = fresh
            args.append(arg)
        moved = ast.Atom(atom.predicate, tuple(args), atom.meta, atom.span)
        if isinstance(lit, ast.Negation):
            return calculations + [ast.Negation(moved, lit.span)]
        return [moved] + calculations

    # top level
    @v_args(meta=True)
    def rule(self, meta, items):
        rid, title, in_force, cites, head, body, because = items
        if (count := branch_count(body)) > MAX_BRANCHES:
            raise ShapeError(
                f"rule {rid} has {count} branches (each `or` multiplies them); at most {MAX_BRANCHES} are allowed",
                self.t(rid), "name some alternatives in a derived predicate, one rule for each, and use it here",
                code="E161")
        return ast.Rule(
            id=str(rid), title=unquote(title), citation=unquote(cites), head=head, body=body,
            explanation=unquote(because), span=self.s(meta), id_span=self.t(rid),
            explanation_span=self.t(because), in_force=in_force,
        )

    def in_force(self, items):
        return items[0]

    @v_args(meta=True)
    def period_from(self, meta, items):
        return ast.Period(str(items[0]), str(items[1]) if items[1] is not None else None, self.s(meta))

    @v_args(meta=True)
    def period_until(self, meta, items):
        return ast.Period(None, str(items[0]), self.s(meta))

    @v_args(meta=True)
    def constant_version(self, meta, items):
        return ast.ConstantVersion(items[0], items[1], self.s(meta))

    @v_args(meta=True)
    def column(self, meta, items):
        return ast.Column(str(items[0]), str(items[1]), self.s(meta), self.t(items[1]))

    def decl_kind(self, items):
        return str(items[0])

    def const_kind(self, items):
        return str(items[0])

    @v_args(meta=True)
    def declaration(self, meta, items):
        kind, name, *rest = items
        description = rest.pop()
        columns = tuple(c for c in rest if c is not None)
        return ast.Declaration(kind, str(name), columns, unquote(description) if description else "", self.s(meta))

    @v_args(meta=True)
    def constant(self, meta, items):
        kind, name, *versions = items
        dated = len(versions) > 1 or versions[0].period is not None
        return ast.Constant(kind, str(name), versions[0].value, self.s(meta), tuple(versions) if dated else ())

    @v_args(meta=True)
    def fact(self, meta, items):
        """The facts of one `fact` item, as a tuple (a table's come with its declaration)."""
        *atoms, cites = items
        return tuple(ast.Fact(a, unquote(cites), a.span) for a in atoms)

    @v_args(meta=True)
    def table_row(self, meta, items):
        return (tuple(items), self.s(meta))

    @v_args(meta=True)
    def table(self, meta, items):
        name, *rest = items
        columns = tuple(c for c in rest if isinstance(c, ast.Column))
        description, cites, *rows = rest[len(columns):]
        span = self.s(meta)
        decl = ast.Declaration("derived", str(name), columns, unquote(description) if description else "", span)
        facts = tuple(ast.Fact(ast.Atom(str(name), values, (), row_span), unquote(cites), row_span, row=True)
                      for values, row_span in rows)
        return ast.Table(decl, facts, span)

    @v_args(meta=True)
    def use(self, meta, items):
        return ast.Use(unquote(items[0]), self.s(meta))

    def given(self, items):
        return ("given", tuple(items))

    def expect(self, items):
        return ("expect", items[0])

    def expect_not(self, items):
        return ("expect_not", items[0])

    def as_of(self, items):
        return ("as_of", str(items[0]))

    @v_args(meta=True)
    def example(self, meta, items):
        name, *clauses = items
        given, expect, expect_not, as_of = [], [], [], None
        for kind, value in clauses:
            if kind == "given":
                given.extend(value)
            elif kind == "expect":
                expect.append(value)
            elif kind == "expect_not":
                expect_not.append(value)
            else:
                as_of = value
        return ast.Example(unquote(name), tuple(given), tuple(expect), tuple(expect_not), as_of, self.s(meta))

    def authority(self, items):
        return ("authority", unquote(items[0]))

    def jurisdiction(self, items):
        return ("jurisdiction", unquote(items[0]))

    def implements(self, items):
        return ("implements", unquote(items[0]))

    @v_args(meta=True)
    def header(self, meta, items):
        rid, title, version, *fields = items
        return (str(rid), unquote(title), unquote(version), fields, self.s(meta))


def _call(name: str, args: tuple, span: Span) -> ast.Call:
    """A call of a library function; ShapeError for an aggregate called as a function or a wrong count."""
    if name in AGGREGATE_NAMES:
        raise ShapeError(f"{name} is an aggregate, not a function of values", span,
                         f"write Total = {name}(P for owns(X, Y, P)) and compare Total", code="E172")
    f = FUNCTIONS[name]
    if not takes(f, len(args)):
        raise ShapeError(f"{name} takes {arity_text(f)}, not {len(args)}", span,
                         f"{name}: {f.doc} (a function: no predicate can have its name)", code="E171")
    return ast.Call(name, args, span)


def _test(expr, holds: bool, span: Span) -> ast.Comparison:
    """A true/false function written as a condition: `starts_with(F, "S")` is `starts_with(F, "S") = true`,
    and under not, `= false`."""
    if not (isinstance(expr, ast.Call) and expr.func in CONDITIONS):
        what = f"{expr.func}(...) gives a value" if isinstance(expr, ast.Call) else "this is a value"
        raise ShapeError(f"{what}, not a condition", span,
                         "a condition is a fact such as owns(X, Y, P), a comparison such as length(F) > 3, or a "
                         "true/false function: " + ", ".join(sorted(CONDITIONS)), code="E170")
    return ast.Comparison("=", expr, ast.Const(holds, "bool", expr.span), span)


def _walk(body):
    """Every condition of a body, inside `not (...)` too."""
    for lit in body:
        yield lit
        if isinstance(lit, ast.NegatedConjunction):
            yield from _walk(lit.body)


def _build(tree: Tree, source: SourceFile) -> ast.Rulebook:
    header, *items = tree.children
    rid, title, version, fields, span = header
    stated = [f for i in items if isinstance(i, (ast.Table, tuple)) for f in (i.facts if isinstance(i, ast.Table) else i)]
    by_kind = lambda cls: tuple(i for i in items if isinstance(i, cls))  # noqa: E731
    field_values = lambda key: tuple(v for k, v in fields if k == key)  # noqa: E731
    return ast.Rulebook(
        id=rid, title=title, version=version,
        authority=field_values("authority"), jurisdiction=field_values("jurisdiction"),
        implements=field_values("implements"),
        uses=by_kind(ast.Use), constants=by_kind(ast.Constant),
        declarations=tuple(i.declaration if isinstance(i, ast.Table) else i for i in items
                           if isinstance(i, (ast.Declaration, ast.Table))),
        rules=tuple(
            r.__class__(**{**r.__dict__, "rulebook": rid}) for r in by_kind(ast.Rule)
        ),
        examples=by_kind(ast.Example), path=source.path, span=span,
        sha256=hashlib.sha256(source.text.encode("utf-8")).hexdigest(),
        facts=tuple(f.__class__(**{**f.__dict__, "rulebook": rid}) for f in stated),
    )


def _to_ast(tree: Tree, source: SourceFile, sources: SourceMap):
    """The AST of a parse tree; a ShapeError becomes a located diagnostic."""
    try:
        return _ToAst(source.path).transform(tree)
    except VisitError as exc:  # a transformer bug must still name the file
        if isinstance(exc.orig_exc, ShapeError):
            err = exc.orig_exc
            raise WarrantError(error(err.code, err.message, err.span, err.hint), sources) from None
        raise WarrantError(syntax_diagnostic(exc.orig_exc, source), sources) from None


def parse_text(source: SourceFile) -> ast.Rulebook:
    """Parse one rulebook; raises WarrantError with a located syntax diagnostic."""
    return parse_tree(source)[1]


def parse_tree(source: SourceFile) -> tuple[Tree, ast.Rulebook]:
    """The parse tree of one rulebook (which `warrant fmt` lays out) and its AST; errors as parse_text."""
    sources = SourceMap()
    sources.add(source)
    try:
        tree = parser().parse(source.text)
    except UnexpectedInput as exc:
        raise WarrantError(syntax_diagnostic(exc, source), sources) from None
    return tree, _build(_to_ast(tree, source, sources), source)


def parse_rulebook(path: str) -> ast.Rulebook:
    """Read and parse a rulebook file."""
    return parse_text(SourceFile.read(path))


def parse_atom(text: str, origin: str = "<query>") -> ast.Atom:
    """Parse a single atom such as `blocked("A")` or `owns(X, "A", P)` (for queries)."""
    source = SourceFile(origin, text)
    sources = SourceMap()
    sources.add(source)
    try:
        tree = parser("atom").parse(text.strip())
    except UnexpectedInput as exc:
        raise WarrantError(syntax_diagnostic(exc, source, what="query"), sources) from None
    return _to_ast(tree, source, sources)
