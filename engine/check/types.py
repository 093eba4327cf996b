"""Types (E2xx): each variable has one type, taken from where it is bound; literals, constants,
comparisons and arithmetic must fit it.

Families that may meet: entity with text, percent with number. date - date is a number of days;
date + number and date - number are dates.
"""

from __future__ import annotations

import datetime

from ..diagnostics import Diagnostic, error
from ..syntax.ast import (
    META_FIELDS, Aggregate, Atom, BinOp, Call, Comparison, Const, ConstRef, Declaration, Expr, Membership, Neg, Negation,
    Rule, Var,
)
from ..syntax.program import Program
from .calc_types import NUMERIC, Problem, a as _a, binop_type, call_type
from .scope import (
    compatible, constant_types, declarations, family, literal_exprs, sub_exprs, variable_keys, walk_literals,
)



def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    decls = declarations(program)
    consts = constant_types(program)
    for rule in program.rules:
        _RuleTyper(rule, decls, consts, out).run()
    for example in program.examples:
        for atom in example.given + example.expect + example.expect_not:
            _literal_args(atom, decls, consts, out)
    for fact in program.facts:
        _literal_args(fact.atom, decls, consts, out)
    out += _dates(program)
    return out


def rule_types(program: Program, rule: Rule) -> dict[str, str]:
    """The type of every variable of the rule itself that has one; the variables an aggregate keeps to
    itself are typed by `variable_type`."""
    typer = _RuleTyper(rule, declarations(program), constant_types(program), [])
    typer.run()
    return {key: t for key, (t, _) in typer.env.items() if "#" not in key}


def variable_type(program: Program, rule: Rule, var: Var) -> str | None:
    """The type of one variable occurrence of the rule's body (an aggregate's own variable has its own)."""
    typer = _RuleTyper(rule, declarations(program), constant_types(program), [])
    typer.run()
    found = typer.env.get(typer.key(var))
    return found[0] if found else None


def _column_of(atom: Atom, decls: dict[str, Declaration]):
    decl = decls.get(atom.predicate)
    if decl is None or decl.arity != len(atom.args):
        return None
    return decl


def _literal_args(atom: Atom, decls, consts, out: list[Diagnostic]) -> None:
    """E201/E205/E207: literals and named constants in an atom's arguments and `with` values."""
    decl = _column_of(atom, decls)
    if decl is not None:
        for arg, col in zip(atom.args, decl.columns):
            _fits(arg, col.type, f"column {col.name} of {decl.name}", consts, out, "E201")
    for item in atom.meta:
        if item.field in META_FIELDS:
            _fits(item.value, META_FIELDS[item.field], f"metadata field {item.field}", consts, out, "E207")


def _storable(have: str | None, want: str | None) -> bool:
    """Whether a value of type `have` can stand where `want` is kept: compatible, and a date is not a timestamp
    (they compare, but a column or variable holds one or the other)."""
    return compatible(have, want) and {have, want} != {"date", "timestamp"}


def _fits(expr: Expr, want: str, where: str, consts, out, code: str) -> None:
    if isinstance(expr, Const) and not _storable(expr.type, want):
        out.append(error(code, f"{_show(expr)} is {_a(expr.type)}, but {where} is {_a(want)}", expr.span,
                         _literal_hint(expr, want)))
    elif isinstance(expr, ConstRef) and expr.name in consts and not _storable(consts[expr.name], want):
        out.append(error("E205" if code == "E201" else code,
                         f"{expr.name} is {_a(consts[expr.name])}, but {where} is {_a(want)}", expr.span,
                         "use a constant of the right type"))


def _show(c: Const) -> str:
    if c.type == "text":
        return f'"{c.value}"'
    if c.type == "bool":
        return "true" if c.value else "false"
    if c.type == "percent":
        return f"{c.value}%"
    return str(c.value)


def _show_expr(e: Expr) -> str:
    """A member or tested value as the message names it: a literal as written, a variable or name by name."""
    if isinstance(e, Const):
        return _show(e)
    return e.name if isinstance(e, (Var, ConstRef)) else "the calculation"


def _literal_hint(c: Const, want: str) -> str | None:
    if want == "date" and c.type == "text":
        return "write dates without quotes, as 2024-07-03"
    if want == "date":
        return "write a date as 2024-07-03"
    if want in ("entity", "text") and c.type != "text":
        return f'write texts and entity names in double quotes, e.g. "{_show(c)}"'
    if want in NUMERIC and c.type == "text":
        return "write numbers without quotes"
    return None


class _RuleTyper:
    def __init__(self, rule: Rule, decls, consts, out: list[Diagnostic]):
        self.rule, self.decls, self.consts, self.out = rule, decls, consts, out
        self.env: dict[str, tuple[str, str]] = {}  # by variable key: an aggregate's own variables are its own
        self.keys = variable_keys(rule)

    def key(self, var: Var) -> str:
        return self.keys.get(id(var), var.name)

    def bind(self, var: Var, type_: str, where: str) -> None:
        have = self.env.get(self.key(var))
        if have is None:
            self.env[self.key(var)] = (type_, where)
        elif not _storable(have[0], type_):
            self.out.append(error("E204", f"{var.name} is used as {_a(have[0])} ({have[1]}) and as {_a(type_)} "
                                          f"({where})", var.span,
                                  "a variable has one type in a rule; use two variables if these are different "
                                  "things"))

    def run(self) -> None:
        rule = self.rule
        literals = list(walk_literals(rule.body))
        for lit, _ in literals:  # binding sites first
            if isinstance(lit, Atom):
                self._atom(lit, positive=True)
        for _ in range(len(literals) + 1):  # assignments and aggregate results, until nothing new
            before = len(self.env)
            for lit, _ in literals:
                if isinstance(lit, Comparison) and lit.op == "=":
                    for side, other in ((lit.left, lit.right), (lit.right, lit.left)):
                        if isinstance(side, Var) and self.key(side) not in self.env:
                            t = self.type_of(other, report=False)
                            if t is not None:
                                self.env[self.key(side)] = (t, "the value assigned to it")
                elif isinstance(lit, Aggregate) and self.key(lit.var) not in self.env:
                    t = self._aggregate_type(lit, report=False)
                    if t is not None:
                        self.env[self.key(lit.var)] = (t, f"the result of {lit.func}")
            if len(self.env) == before:
                break
        self._atom(rule.head, positive=False)
        self._head_calculations(rule.head)
        for lit, _ in literals:
            if isinstance(lit, Negation):
                self._atom(lit.atom, positive=False)
            elif isinstance(lit, Comparison):
                self._comparison(lit)
            elif isinstance(lit, Membership):
                self._membership(lit)
            elif isinstance(lit, Aggregate):
                self._aggregate_type(lit, report=True)

    def _atom(self, atom: Atom, positive: bool) -> None:
        _literal_args(atom, self.decls, self.consts, self.out)
        decl = _column_of(atom, self.decls)
        if decl is not None:
            for arg, col in zip(atom.args, decl.columns):
                if isinstance(arg, Var):
                    self.bind(arg, col.type, f"column {col.name} of {decl.name}")
        for item in atom.meta:
            if isinstance(item.value, Var) and item.field in META_FIELDS:
                self.bind(item.value, META_FIELDS[item.field], f"metadata field {item.field}")

    def _head_calculations(self, head: Atom) -> None:
        """E201: a calculation in the head gives a value of its column's type."""
        decl = _column_of(head, self.decls)
        for arg, col in zip(head.args, decl.columns if decl else ()):
            if isinstance(arg, (BinOp, Neg, Call)):
                t = self.type_of(arg, report=True)
                if t is not None and not _storable(t, col.type):
                    self.out.append(error("E201", f"this calculation gives {_a(t)}, but column {col.name} of "
                                                  f"{decl.name} is {_a(col.type)}", arg.span))

    def _comparison(self, lit: Comparison) -> None:
        lt, rt = self.type_of(lit.left, report=True), self.type_of(lit.right, report=True)
        if family(lt) == "duration" or family(rt) == "duration":
            self.out.append(error("E202", "durations are added to dates, not compared", lit.span,
                                  "compare the dates instead: Off > On + 24 hours"))
        elif not compatible(lt, rt):
            hint = None
            if {family(lt), family(rt)} == {"date", "number"}:
                hint = "a date minus a date is a number of days: e.g. as_of - Listed > 30"
            self.out.append(error("E202", f"cannot compare {_a(lt)} with {_a(rt)}", lit.span, hint))
        elif lit.op not in ("=", "!=") and "bool" in (lt, rt):
            self.out.append(error("E202", f"true/false values cannot be compared with {lit.op}", lit.span,
                                  "use = or !="))

    def _membership(self, lit: Membership) -> None:
        """E202: every member has the type of the value tested (one family: entity with text, percent with
        number), as each is compared with it."""
        want = self.type_of(lit.value, report=True)
        for member in lit.members:
            have = self.type_of(member, report=True)
            if not compatible(want, have):
                self.out.append(error("E202", f"{_show_expr(member)} is {_a(have)}, but {_show_expr(lit.value)} "
                                              f"is {_a(want)}", member.span,
                                      "every member of the list has the type of the value tested"))

    def _aggregate_type(self, agg: Aggregate, report: bool) -> str | None:
        t = self.type_of(agg.target, report=report)
        if agg.func == "count":
            return "integer"
        allowed = NUMERIC if agg.func == "sum" else NUMERIC + ("date", "text")
        if t is not None and t not in allowed:
            if report:
                self.out.append(error("E206", f"{agg.func} needs {' or '.join(map(_a, allowed[:2] + allowed[3:]))}, "
                                              f"not {_a(t)}", agg.target.span,
                                      "count counts anything; sum adds numbers; min and max also take dates and texts (in alphabetical order)"))
            return None
        return t

    def type_of(self, expr: Expr, report: bool) -> str | None:
        if isinstance(expr, Var):
            have = self.env.get(self.key(expr))
            return have[0] if have else None
        if isinstance(expr, Const):
            return "integer" if expr.type == "number" and isinstance(expr.value, int) else expr.type
        if isinstance(expr, ConstRef):
            return self.consts.get(expr.name)
        if isinstance(expr, Neg):
            t = self.type_of(expr.operand, report)
            if t is not None and t not in NUMERIC:
                if report:
                    self.out.append(error("E203", f"cannot take the negative of {_a(t)}", expr.span))
                return None
            return t
        if isinstance(expr, BinOp):
            return self._calculated(expr, binop_type, expr.op, [expr.left, expr.right], report)
        if isinstance(expr, Call):
            return self._calculated(expr, call_type, expr.func, list(expr.args), report)
        return None  # wildcard

    def _calculated(self, expr: Expr, typer, what: str, operands: list[Expr], report: bool) -> str | None:
        """The type of an operation or call from its operands' (None if one is unknown), reporting a problem."""
        types = [self.type_of(o, report) for o in operands]
        if typer is binop_type and None in types:
            return None
        result = typer(what, types)
        if isinstance(result, Problem):
            if report:
                self.out.append(error(result.code, result.message, expr.span, result.hint))
            return None
        return result


def _dates(program: Program) -> list[Diagnostic]:
    """E208: every date literal is a real calendar date."""
    consts: list[Const] = [c.value for c in program.constants]
    for rule in program.rules:
        consts += [e for a in rule.head.args for e in sub_exprs(a) if isinstance(e, Const)]
        for lit, _ in walk_literals(rule.body):
            consts += [e for x in literal_exprs(lit) for e in sub_exprs(x) if isinstance(e, Const)]
    for atom in [f.atom for f in program.facts] + [a for ex in program.examples
                                                   for a in ex.given + ex.expect + ex.expect_not]:
        consts += [e for x in list(atom.args) + [m.value for m in atom.meta] for e in sub_exprs(x)
                   if isinstance(e, Const)]
    out = []
    for c in consts:
        if c.type == "date" and not _valid_date(str(c.value)):
            out.append(error("E208", f"{c.value} is not a calendar date", c.span, "dates are written YYYY-MM-DD"))
        elif c.type == "timestamp" and not _valid_date(str(c.value), datetime.datetime):
            out.append(error("E208", f"{c.value} is not a time on a calendar date", c.span,
                             "timestamps are written YYYY-MM-DDTHH:MM, hours 00 to 23"))
    for example in program.examples:
        if example.as_of is not None and not _valid_date(example.as_of):
            out.append(error("E208", f"{example.as_of} is not a calendar date", example.span,
                             "dates are written YYYY-MM-DD"))
    return out


def _valid_date(text: str, kind=datetime.date) -> bool:
    try:
        kind.fromisoformat(text)
        return True
    except ValueError:
        return False


__all__ = ["check", "rule_types", "variable_type"]
