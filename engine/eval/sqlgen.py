"""Compile one rule body into SQL: positive atoms join, comparisons filter, `not` is
NOT EXISTS, aggregates are grouped subqueries. Values travel only as named parameters;
identifiers come only from validated declarations (relations.ident)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable

from ..syntax import ast
from .. import numbers
from ..syntax.ast import (Aggregate, Atom, Comparison, Membership, NegatedConjunction, Negation, atom_vars, body_atoms,
                          expr_vars, literal_vars)
from ..syntax.library import FUNCTIONS
from .functions import sql_name

DURATIONS = ("duration", "time_duration")
from .relations import META_COLUMNS, Source

Pick = Callable[[Atom, bool, bool], Source]  # (atom, reads_delta, with_meta) -> Source
OPS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class CompileError(Exception):
    """A rule the compiler cannot translate (the checker should have refused it)."""


@dataclass
class Query:
    """A body under construction: FROM items, WHERE conditions, and each variable's SQL."""

    froms: list[str] = field(default_factory=list)
    where: list[str] = field(default_factory=list)
    exprs: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)
    lead: bool = False  # the first FROM item is the outermost loop (CROSS JOIN: SQLite keeps it first)

    def sql(self, select: list[str], distinct: bool = True) -> str:
        cols = ", ".join(select) if select else "1"
        text = f"SELECT {'DISTINCT ' if distinct else ''}{cols}"
        if self.froms:
            rest = ", ".join(self.froms[1:])
            text += " FROM " + self.froms[0] + ((" CROSS JOIN " if self.lead else ", ") + rest if rest else "")
        if self.where:
            text += " WHERE " + " AND ".join(self.where)
        return text


class RuleCompiler:
    """Compiles the bodies of one rule. `delta_atom` (by identity) is the atom read as the delta."""

    def __init__(self, decls, constants: dict[str, ast.Const], pick: Pick, delta_atom: Atom | None = None,
                 params: dict | None = None, lead_delta: bool = False, demanded: dict[str, str] | None = None):
        self.decls = decls
        self.lead_delta = lead_delta  # the delta atom is read first (when it holds few rows of many)
        self.constants = constants
        self.pick = pick
        self.delta_atom = delta_atom
        self.params: dict[str, object] = params if params is not None else {}
        # head variables a point question's demand restricts (demand.py): name -> SELECT of the values it may
        # take; a grouped aggregate keeps to those groups, which the rule's filter on its head would keep anyway
        self.demanded = demanded or {}
        self._aliases = itertools.count()

    # values and expressions
    def param(self, value) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = numbers.stored(value)  # a literal 5.0 is the number 5
        return f":{name}"

    def alias(self, prefix: str = "t") -> str:
        return f"{prefix}{next(self._aliases)}"

    def const(self, node) -> tuple[object, str]:
        if isinstance(node, ast.Const):
            return node.value, node.type
        if node.name == "as_of":
            return None, "date"
        c = self.constants[node.name].value
        return c.value, c.type

    def type_of(self, expr, q: Query) -> str:
        if isinstance(expr, ast.Var):
            return q.types.get(expr.name, "number")
        if isinstance(expr, (ast.Const, ast.ConstRef)):
            return self.const(expr)[1]
        if isinstance(expr, ast.Neg):
            return self.type_of(expr.operand, q)
        if isinstance(expr, ast.Call):
            result = FUNCTIONS[expr.func].result
            return self.type_of(expr.args[0], q) if result == "same" else {"integer": "number"}.get(result, result)
        if isinstance(expr, ast.BinOp):
            lt, rt = self.type_of(expr.left, q), self.type_of(expr.right, q)
            if rt in DURATIONS:
                return "date" if (lt, rt) == ("date", "duration") else "timestamp"
            if lt == "date" and rt == "date":
                return "number"
            return "date" if "date" in (lt, rt) else ("percent" if "percent" in (lt, rt) else "number")
        return "text"

    def expr(self, e, q: Query) -> str:
        if isinstance(e, ast.Var):
            if e.name not in q.exprs:
                raise CompileError(f"variable {e.name} is not bound")
            return q.exprs[e.name]
        if isinstance(e, ast.ConstRef) and e.name == "as_of":
            return ":as_of"
        if isinstance(e, (ast.Const, ast.ConstRef)):
            return self.param(self.const(e)[0])
        if isinstance(e, ast.Neg):
            return f"{sql_name('neg')}({self.expr(e.operand, q)})"
        if isinstance(e, ast.BinOp):
            return self.binop(e, q)
        if isinstance(e, ast.Call):
            return f"{sql_name(e.func)}({', '.join(self.expr(a, q) for a in e.args)})"
        raise CompileError("a wildcard cannot be used in an expression")

    def binop(self, e: ast.BinOp, q: Query) -> str:
        left, right = self.expr(e.left, q), self.expr(e.right, q)
        lt, rt = self.type_of(e.left, q), self.type_of(e.right, q)
        if rt in DURATIONS:
            return f"{sql_name('shift')}({left}, {right}, {1 if e.op == '+' else -1})"
        if lt == "date" and rt == "date" and e.op == "-":
            return f"CAST(julianday({left}) - julianday({right}) AS INTEGER)"  # whole days, exactly
        if lt == "date" and e.op in "+-":
            return f"date(julianday({left}) {e.op} ({right}))"
        return f"{sql_name(e.op)}({left}, {right})"  # exact (engine/numbers.py)

    # literals
    def bind(self, q: Query, column: str, term, type_: str) -> None:
        if isinstance(term, ast.Wildcard):
            return
        if isinstance(term, ast.Var) and term.name not in q.exprs:
            q.exprs[term.name] = column
            q.types[term.name] = type_
            return
        q.where.append(f"{column} = {self.expr(term, q)}")

    def atom(self, atom: Atom, q: Query, delta_ok: bool) -> None:
        delta = delta_ok and atom is self.delta_atom
        src = self.pick(atom, delta, bool(atom.meta))
        a = self.alias()
        if delta and self.lead_delta:
            q.froms.insert(0, f"{src.table} AS {a}")
            q.lead = True
        else:
            q.froms.append(f"{src.table} AS {a}")
        q.where.extend(src.where(a))
        decl = self.decls[atom.predicate]
        for col, arg, decl_col in zip(src.columns, atom.args, decl.columns):
            self.bind(q, f"{a}.{col}", arg, decl_col.type)
        for item in atom.meta:
            self.bind(q, f"{a}.{META_COLUMNS[item.field]}", item.value, ast.META_FIELDS[item.field])

    def negation(self, neg: Negation, q: Query) -> None:
        q.where.append("NOT " + self._exists(neg.atom, q, False, "n"))

    def existence(self, atom: Atom, q: Query, delta_ok: bool) -> None:
        """An atom without variables (only `_` and values) is a test that some row matches, not a join:
        joined, several such atoms would multiply into a cross product of rows that change nothing."""
        q.where.append(self._exists(atom, q, delta_ok and atom is self.delta_atom, "x"))

    def _exists(self, atom: Atom, q: Query, delta: bool, prefix: str) -> str:
        src = self.pick(atom, delta, False)
        a = self.alias(prefix)
        conds = src.where(a)
        for col, arg in zip(src.columns, atom.args):
            if not isinstance(arg, ast.Wildcard):
                conds.append(f"{a}.{col} = {self.expr(arg, q)}")
        where = (" WHERE " + " AND ".join(conds)) if conds else ""
        return f"EXISTS (SELECT 1 FROM {src.table} AS {a}{where})"

    def comparison(self, c: Comparison, q: Query) -> None:
        q.where.append(f"{self.expr(c.left, q)} {OPS[c.op]} {self.expr(c.right, q)}")

    def negated_conjunction(self, n: NegatedConjunction, q: Query) -> None:
        """NOT EXISTS over the conditions, correlated with the variables the query has bound (the rule's);
        the others are bound inside it."""
        inner = self.body(n.body, Query(exprs=dict(q.exprs), types=dict(q.types)), set(q.exprs), delta_ok=False)
        q.where.append(f"NOT EXISTS ({inner.sql(['1'], distinct=False)})")

    def membership(self, m: Membership, q: Query) -> None:
        members = ", ".join(self.expr(e, q) for e in m.members)
        q.where.append(f"{self.expr(m.value, q)} {'NOT IN' if m.negated else 'IN'} ({members})")

    def assignment(self, c: Comparison, q: Query, reserved: frozenset[str] = frozenset()) -> bool:
        """Bind `X = expr` (either side) when X is unbound and expr is; True if it did.

        Variables in `reserved` (results of aggregates still to come) are left for the aggregate
        to bind, so the equality becomes a filter instead of being lost."""
        if c.op != "=":
            return False
        for var, other in ((c.left, c.right), (c.right, c.left)):
            if isinstance(var, ast.Var) and var.name not in q.exprs and var.name not in reserved and all(
                v.name in q.exprs for v in expr_vars(other)
            ):
                q.exprs[var.name] = self.expr(other, q)
                q.types[var.name] = self.type_of(other, q)
                return True
        return False

    def body(self, body: tuple, q: Query, outside: set[str], delta_ok: bool = True) -> Query:
        """Compile literals into q. `outside`: variables visible outside this body (for aggregates)."""
        for lit in body:
            if isinstance(lit, Atom) and not lit.meta and not atom_vars(lit):
                self.existence(lit, q, delta_ok)
            elif isinstance(lit, Atom):
                self.atom(lit, q, delta_ok)
        pending = [lit for lit in body if not isinstance(lit, Atom)]
        groups = {id(g): self._shared(g, body, outside) for g in pending if isinstance(g, Aggregate)}
        while True:
            aggs = [g for g in pending if isinstance(g, Aggregate)]
            results = frozenset(g.var.name for g in aggs)
            step = next((c for c in pending if isinstance(c, Comparison) and self.assignment(c, q, results)), None)
            if step is None and aggs:
                bound = [g for g in aggs if all(n in q.exprs for n in groups[id(g)])]
                step = (bound or aggs)[0]
                self.aggregate(step, q, groups[id(step)], delta_ok)
            if step is None:
                break
            pending.remove(step)
        for lit in pending:
            if isinstance(lit, Comparison):
                self.comparison(lit, q)
            elif isinstance(lit, Negation):
                self.negation(lit, q)
            elif isinstance(lit, Membership):
                self.membership(lit, q)
            elif isinstance(lit, NegatedConjunction):
                self.negated_conjunction(lit, q)
            else:
                raise CompileError(f"cannot compile {type(lit).__name__}")
        return q

    @staticmethod
    def _shared(agg: Aggregate, body: tuple, outside: set[str]) -> list[str]:
        return sorted(ast.group_variables(agg, body, outside))

    # aggregates
    def aggregate(self, agg: Aggregate, q: Query, group: list[str], delta_ok: bool) -> None:
        """Correlated when every group variable is already bound, else a grouped table joined in."""
        if all(g in q.exprs for g in group):
            self._correlated(agg, q, group, delta_ok)
        else:
            self._grouped(agg, q, group, delta_ok)

    def _agg_call(self, agg: Aggregate, target: str) -> str:
        if agg.func == "count":
            return f"COUNT(DISTINCT {target})" if agg.distinct else "COUNT(*)"
        if agg.func == "sum":
            return f"{sql_name('sum')}({target})"  # exact, where SQLite's SUM adds binary floats
        return f"{agg.func.upper()}({target})"

    def _locals(self, agg: Aggregate, group: list[str]) -> list[str]:
        names = [v.name for v in literal_vars(agg)[1:]]
        return sorted(set(names) - set(group))

    def _inner(self, agg: Aggregate, outer: Query | None, group: list[str], delta: bool) -> Query:
        inner = Query(exprs=dict(outer.exprs) if outer else {}, types=dict(outer.types) if outer else {})
        return self.body(agg.body, inner, set(group), delta_ok=delta)

    def _delta_filter(self, agg: Aggregate, group: list[str], keys: list[str]) -> str | None:
        """Restrict to the groups touched by the delta when the delta atom lies in this aggregate."""
        if self.delta_atom is None or not any(a is self.delta_atom for a, _, _ in body_atoms(agg.body)):
            return None
        try:
            touched = self._inner(agg, None, group, delta=True)
        except CompileError:  # a group variable only a condition of the body tests (`not e(X, D)`): every group
            return None
        if not all(g in touched.exprs for g in group):
            return None
        touched.where.extend(self._demanded_groups(touched, group, leads=False))
        if not group:
            return f"EXISTS ({touched.sql(['1'], distinct=False)})"
        lhs = keys[0] if len(keys) == 1 else "(" + ", ".join(keys) + ")"
        return f"{lhs} IN ({touched.sql([touched.exprs[g] for g in group])})"

    def _demanded_groups(self, q: Query, group: list[str], leads: bool) -> list[str]:
        """Conditions keeping q's rows to the groups a point question demands; unless they `lead` (no delta to
        start from), `+` keeps SQLite from looking rows up by them, which would read every demanded group."""
        mark = "" if leads else "+"
        return [f"{mark}{q.exprs[g]} IN ({self.demanded[g]})" for g in group if g in self.demanded]

    def _correlated(self, agg: Aggregate, q: Query, group: list[str], delta_ok: bool) -> None:
        rows = ast.numbered_wildcards(agg)
        inner = self._inner(rows, q, group, delta=False)
        locals_ = self._locals(rows, group)
        target = self.expr(agg.target, inner) if agg.func != "count" or agg.distinct else "1"
        distinct_rows = inner.sql([f"{inner.exprs[v]} AS {_col(v)}" for v in locals_] + [f"{target} AS _target"])
        call = self._agg_call(agg, "_target")
        if agg.func in ("sum", "count"):
            call = f"COALESCE({call}, 0)"
        value = f"(SELECT {call} FROM ({distinct_rows}) AS _rows)"  # PostgreSQL wants the subquery named
        self._bind_result(agg, q, value)
        q.types[agg.var.name] = self._agg_type(agg, inner)
        if agg.func in ("min", "max"):
            q.where.append(f"{value} IS NOT NULL")
        if delta_ok:
            f = self._delta_filter(agg, group, [q.exprs[g] for g in group])
            if f:
                q.where.append(f)

    def _grouped(self, agg: Aggregate, q: Query, group: list[str], delta_ok: bool) -> None:
        rows = ast.numbered_wildcards(agg)
        inner = self._inner(rows, None, group, delta=False)
        locals_ = self._locals(rows, group)
        target = self.expr(agg.target, inner) if agg.func != "count" or agg.distinct else "1"
        cols = [f"{inner.exprs[v]} AS {_col(v)}" for v in group + locals_] + [f"{target} AS _target"]
        f = self._delta_filter(agg, group, [inner.exprs[g] for g in group]) if delta_ok else None
        if f:
            inner.where.append(f)
        inner.where.extend(self._demanded_groups(inner, group, leads=not f))
        g_cols = [_col(g) for g in group]
        a = self.alias("g")
        select = ", ".join(g_cols + [f"{self._agg_call(agg, '_target')} AS _value"])
        group_by = f" GROUP BY {', '.join(g_cols)}" if g_cols else ""
        q.froms.append(f"(SELECT {select} FROM ({inner.sql(cols)}) AS _rows{group_by}) AS {a}")
        for g in group:
            self.bind(q, f"{a}.{_col(g)}", ast.Var(g, agg.span), inner.types.get(g, "text"))
        self._bind_result(agg, q, f"{a}._value")
        q.types[agg.var.name] = self._agg_type(agg, inner)
        if agg.func in ("min", "max", "sum"):
            q.where.append(f"{a}._value IS NOT NULL")

    @staticmethod
    def _bind_result(agg: Aggregate, q: Query, value: str) -> None:
        """Give the aggregate's result variable its value, or require equality if it already has one."""
        if agg.var.name in q.exprs:
            q.where.append(f"{q.exprs[agg.var.name]} = {value}")
        else:
            q.exprs[agg.var.name] = value

    def _agg_type(self, agg: Aggregate, inner: Query) -> str:
        if agg.func == "count":
            return "number"
        return self.type_of(agg.target, inner)


def _col(var: str) -> str:
    return f'"v_{var}"'


def head_select(rule: ast.Rule, q: Query, compiler: RuleCompiler) -> list[str]:
    """The SQL of each head argument, in column order."""
    return [compiler.expr(arg, q) for arg in rule.head.args]


def rule_vars(rule: ast.Rule) -> list[str]:
    """Every variable the rule binds at top level (head and body, not aggregate locals), sorted."""
    names = {v.name for v in ast.atom_vars(rule.head)}
    for lit in rule.body:
        if isinstance(lit, Aggregate):
            names.add(lit.var.name)
        else:
            names |= {v.name for v in literal_vars(lit)}
    return sorted(names)
