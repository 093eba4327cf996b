"""The rulebook AST: frozen dataclasses, each node carrying the span it was parsed from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from ..source import Span

TYPES = ("entity", "text", "number", "percent", "date", "timestamp", "bool")
DECL_KINDS = ("evidence", "derived", "conclusion")
META_FIELDS = {
    "source": "text",
    "source_name": "text",
    "source_kind": "text",
    "reliability": "text",
    "credibility": "number",
    "jurisdiction": "text",
    "document": "text",
    "observed": "date",
    "valid_from": "date",
    "valid_to": "date",
    "recorded_at": "date",
    "record": "text",
}


@dataclass(frozen=True)
class Var:
    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Wildcard:
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Const:
    """A literal: type is text, number, date or bool."""

    value: Union[str, int, float, bool]
    type: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ConstRef:
    """A named constant or threshold used in a rule."""

    name: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class BinOp:
    op: str
    left: "Expr"
    right: "Expr"
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Neg:
    operand: "Expr"
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Call:
    """A function of the library applied to its arguments: lower(F), min(A, B) (engine/syntax/library.py)."""

    func: str
    args: tuple["Expr", ...]
    span: Span = field(compare=False)


Expr = Union[Var, Wildcard, Const, ConstRef, BinOp, Neg, Call]


@dataclass(frozen=True)
class MetaItem:
    """`with field = expr` on an evidence atom: reaches a record's metadata."""

    field: str
    value: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Atom:
    predicate: str
    args: tuple[Expr, ...]
    meta: tuple[MetaItem, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Negation:
    atom: Atom
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Comparison:
    op: str
    left: Expr
    right: Expr
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Aggregate:
    """`Var = func [distinct](target for body)`, grouped by the variables shared with the rule."""

    var: Var
    func: str
    distinct: bool
    target: Expr
    body: tuple["Literal", ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Membership:
    """`E in (V1, V2, ...)`, or `E not in (...)` when `negated`: E equals one of the members (none of them)."""

    value: Expr
    members: tuple[Expr, ...]
    negated: bool
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Disjunction:
    """`(A and B or C)`: alternatives, each a conjunction. A rule holding one is compiled to one rule per
    branch (syntax.branches), so no later pass sees it."""

    alternatives: tuple[tuple["Literal", ...], ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class NegatedConjunction:
    """`not (A and B ...)`: no way for the conditions to hold together. Its variables that the rest of the rule
    mentions are the rule's (bound outside it); the others are its own, as an aggregate's are."""

    body: tuple["Literal", ...]
    span: Span = field(compare=False)


Literal = Union[Atom, Negation, Comparison, Aggregate, Membership, Disjunction, NegatedConjunction]


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    citation: str
    head: Atom
    body: tuple[Literal, ...]
    explanation: str
    span: Span = field(compare=False)
    id_span: Span = field(compare=False)
    explanation_span: Span = field(compare=False)
    rulebook: str = ""
    in_force: Period | None = None
    branch: int = 0  # for a rule written with `or`: which branch (from 1) this compiled rule is
    alternative: tuple["Literal", ...] = ()  # the conditions of that branch that came from inside `or`

    @property
    def key(self) -> str:
        """The rule's id, with `#branch` for one branch of a rule written with `or`: unique in a program."""
        return f"{self.id}#{self.branch}" if self.branch else self.id

    def in_force_on(self, day: str) -> bool:
        """Whether the rule applies on the assessment date `day` (always, unless it states a period)."""
        return self.in_force is None or self.in_force.covers(day)


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    span: Span = field(compare=False)
    type_span: Span = field(compare=False)


@dataclass(frozen=True)
class Declaration:
    kind: str  # evidence | derived | conclusion
    name: str
    columns: tuple[Column, ...]
    description: str
    span: Span = field(compare=False)

    @property
    def arity(self) -> int:
        return len(self.columns)

    @property
    def is_evidence(self) -> bool:
        return self.kind == "evidence"


@dataclass(frozen=True)
class Fact:
    """A fact the rulebook states itself, with the legal source it cites: `fact p("a") cites "..."`, or one
    row of a `table`. It holds in every run of the rulebook, and proofs show it as the rulebook's."""

    atom: Atom
    citation: str
    span: Span = field(compare=False)
    rulebook: str = ""
    row: bool = False  # a row of a table (which declares the predicate), not a `fact`


@dataclass(frozen=True)
class Table:
    """`table p(columns) "description" cites "...": row; row.`: declares p (derived) and states its rows."""

    declaration: Declaration
    facts: tuple[Fact, ...]
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Period:
    """When a rule, or one value of a threshold, is in force: from `start` until `end`, both days included;
    None leaves that end open."""

    start: str | None
    end: str | None
    span: Span = field(compare=False)

    def covers(self, day: str) -> bool:
        """Whether the period includes the date `day` (YYYY-MM-DD)."""
        return (self.start is None or self.start <= day) and (self.end is None or day <= self.end)

    def text(self) -> str:
        """The period as a rulebook writes it: 'from 2024-07-03', 'until 2024-07-02', 'from A until B'."""
        return " ".join(p for p in (self.start and f"from {self.start}", self.end and f"until {self.end}") if p)


@dataclass(frozen=True)
class ConstantVersion:
    """One value of a threshold or constant, and when it applies (None: always)."""

    value: Const
    period: Period | None
    span: Span = field(compare=False)

    def text(self) -> str:
        """The value and its period as a proof names them: '50% until 2024-07-02'."""
        shown = f"{self.value.value}{'%' if self.value.type == 'percent' else ''}"
        return f"{shown} {self.period.text()}" if self.period else shown


@dataclass(frozen=True)
class Constant:
    """A threshold or constant. `value` is its first (often only) value; a dated one has several
    `versions`, each in force for a period, and takes the value of the version in force on the
    assessment date (`version_on`)."""

    kind: str  # threshold | constant
    name: str
    value: Const
    span: Span = field(compare=False)
    versions: tuple[ConstantVersion, ...] = ()

    @property
    def dated(self) -> bool:
        return any(v.period is not None for v in self.versions)

    def version_on(self, day: str) -> ConstantVersion | None:
        """The version in force on `day` (the first that covers it), or None when none does."""
        if not self.versions:
            return ConstantVersion(self.value, None, self.span)
        return next((v for v in self.versions if v.period is None or v.period.covers(day)), None)


@dataclass(frozen=True)
class Example:
    name: str
    given: tuple[Atom, ...]
    expect: tuple[Atom, ...]
    expect_not: tuple[Atom, ...]
    as_of: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Use:
    path: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Rulebook:
    """One parsed rulebook file, before `use` is resolved."""

    id: str
    title: str
    version: str
    authority: tuple[str, ...]
    jurisdiction: tuple[str, ...]
    implements: tuple[str, ...]
    uses: tuple[Use, ...]
    declarations: tuple[Declaration, ...]
    constants: tuple[Constant, ...]
    rules: tuple[Rule, ...]
    examples: tuple[Example, ...]
    path: str
    span: Span = field(compare=False)
    sha256: str = ""
    facts: tuple[Fact, ...] = ()  # stated by `fact` and `table`, in the order written


def expr_vars(expr: Expr) -> list[Var]:
    """The variables of an expression, left to right."""
    if isinstance(expr, Var):
        return [expr]
    if isinstance(expr, BinOp):
        return expr_vars(expr.left) + expr_vars(expr.right)
    if isinstance(expr, Neg):
        return expr_vars(expr.operand)
    if isinstance(expr, Call):
        return [v for arg in expr.args for v in expr_vars(arg)]
    return []


def atom_vars(atom: Atom) -> list[Var]:
    """Variables in an atom's arguments and metadata."""
    out: list[Var] = []
    for arg in atom.args:
        out += expr_vars(arg)
    for item in atom.meta:
        out += expr_vars(item.value)
    return out


def literal_vars(lit: Literal) -> list[Var]:
    """All variables a literal mentions (an aggregate: its result and its group variables are not separated)."""
    if isinstance(lit, Atom):
        return atom_vars(lit)
    if isinstance(lit, Negation):
        return atom_vars(lit.atom)
    if isinstance(lit, Comparison):
        return expr_vars(lit.left) + expr_vars(lit.right)
    if isinstance(lit, Membership):
        return [v for e in (lit.value,) + lit.members for v in expr_vars(e)]
    if isinstance(lit, Disjunction):
        return [v for alt in lit.alternatives for sub in alt for v in literal_vars(sub)]
    if isinstance(lit, NegatedConjunction):
        return [v for sub in lit.body for v in literal_vars(sub)]
    inner = expr_vars(lit.target)
    for sub in lit.body:
        inner += literal_vars(sub)
    return [lit.var] + inner


def group_variables(agg: Aggregate, body, outside=frozenset()) -> set[str]:
    """The variables an aggregate groups by: its own variables that the rest of the rule mentions
    (`outside`: the head's, or an enclosing scope's). Another aggregate's own variables are its own."""
    return {v.name for v in literal_vars(agg)[1:]} & _mentioned_besides(agg, body, outside)


def shared_variables(neg: NegatedConjunction, body, outside=frozenset()) -> set[str]:
    """The variables of `not (...)` that are the rule's: those the rest of the rule mentions (the others are
    its own, as an aggregate's are)."""
    return {v.name for v in literal_vars(neg)} & _mentioned_besides(neg, body, outside)


def _mentioned_besides(lit, body, outside) -> set[str]:
    """The variables the literals of `body` other than `lit`, and `outside`, mention: of an aggregate only its
    result, and nothing of a `not (...)` (the variables of either are their own unless mentioned elsewhere)."""
    rest = set(outside)
    for other in body:
        if other is lit or isinstance(other, NegatedConjunction):
            continue
        if isinstance(other, Aggregate):
            rest.add(other.var.name)
        else:
            rest |= {v.name for v in literal_vars(other)}
    return rest


def body_atoms(body: tuple[Literal, ...]):
    """Every atom in a body with its polarity, descending into aggregates: (atom, negated, in_aggregate)."""
    for lit in body:
        if isinstance(lit, Atom):
            yield lit, False, None
        elif isinstance(lit, Negation):
            yield lit.atom, True, None
        elif isinstance(lit, Aggregate):
            for atom, neg, _ in body_atoms(lit.body):
                yield atom, neg, lit
        elif isinstance(lit, Disjunction):
            for alt in lit.alternatives:
                yield from body_atoms(alt)
        elif isinstance(lit, NegatedConjunction):  # every atom inside is under not
            for atom, _, _ in body_atoms(lit.body):
                yield atom, True, None


def numbered_wildcards(agg: Aggregate) -> Aggregate:
    """The aggregate with each `_` among its positive atoms' arguments named `_1`, `_2`, ... in order:
    an aggregate ranges over the distinct rows of its body, and these positions tell rows apart."""
    count = 0

    def name(arg):
        nonlocal count
        if not isinstance(arg, Wildcard):
            return arg
        count += 1
        return Var(f"_{count}", arg.span)

    body = tuple(Atom(lit.predicate, tuple(name(a) for a in lit.args), lit.meta, lit.span)
                 if isinstance(lit, Atom) else lit for lit in agg.body)
    return Aggregate(agg.var, agg.func, agg.distinct, agg.target, body, agg.span) if count else agg
