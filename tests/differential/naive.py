"""A deliberately simple reference evaluator for Warrant rulebooks, used as a test oracle.

Bottom-up *naive* iteration in plain Python over sets of tuples, stratum by stratum,
directly over the Warrant AST. Nothing here is shared with engine/eval: no SQL, no
semi-naive deltas, no planner. Speed is not a goal; being obviously right is.

Semantics (the ones the engine promises):
- set semantics; a rule's head tuples are the distinct bindings of its head;
- positive atoms join; `X = expr` binds X when X is unbound and expr is bound; other
  comparisons filter; `not p(...)` filters (p belongs to a lower stratum, all its
  variables are bound; `_` means "any value");
- an aggregate `R = f(T for body)` is grouped by the variables of the aggregate that also
  occur in the rest of the rule (head and other literals). Its rows are the *distinct*
  rows of its body: the bindings of its own (non-group) variables together with the values
  its positive atoms' `_` matched (a `_` tells rows apart, as in SQL) and the target's value:
  count = number of distinct rows, count distinct = number of distinct target values,
  sum = sum of the target over the distinct rows, min / max;
- when every group variable is bound before the aggregate (by positive atoms or `=`
  assignments of the rule), the aggregate is evaluated for each outer binding and an
  empty group gives count 0 / sum 0 and no binding at all for min / max; otherwise the
  aggregate itself binds its group variables and only non-empty groups exist;
- strata are the strongly connected components of the predicate dependency graph, in
  dependency order; inside a stratum the rules are applied to the whole database until
  nothing changes (for the monotone aggregates the checker allows inside recursion, this
  inflationary iteration reaches the least fixpoint);
- numbers are exact: whole numbers are ints (64 bits), a decimal stands for its shortest repr, and every
  calculation and sum is computed exactly (fractions) and rounded once to 15 significant digits, half to
  even, a whole result being an int; `//` truncates toward zero and `%` has the dividend's sign (C);
- a date plus or minus a duration moves by the calendar (to the month's last day when it is shorter),
  by hours to a timestamp; a date minus a date is whole days;
- a body with `or` is evaluated once for each choice of one alternative of each `or` (`alternatives`);
  `in` / `not in` filter, and so does `not (...)` (no solution of its conditions under the binding); the facts a rulebook states (`fact`, `table`) are in the database from the start.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections import defaultdict
from fractions import Fraction
from typing import Iterable

from engine.syntax import ast
from engine.syntax.ast import Aggregate, Atom, Comparison, Disjunction, Membership, NegatedConjunction, Negation

Binding = dict  # variable name -> value
DB = dict  # predicate -> set of tuples


class NaiveError(Exception):
    pass


# ---------------------------------------------------------------- expressions

def _date(v) -> dt.date:
    return dt.date.fromisoformat(str(v)[:10])


class Env:
    """Constants of a program (named constants/thresholds and the built-in `as_of`)."""

    def __init__(self, program, as_of: str):
        self.consts = {c.name: c.value for c in program.constants}
        self.as_of = as_of
        self.types: dict[str, str] = {}

    def const(self, node):
        if isinstance(node, ast.Const):
            return node.value, node.type
        if node.name == "as_of":
            return self.as_of, "date"
        c = self.consts[node.name]
        return c.value, c.type


def value_type(env: Env, e, b: Binding, vtypes: dict) -> str:
    if isinstance(e, ast.Var):
        return vtypes.get(e.name, "number")
    if isinstance(e, (ast.Const, ast.ConstRef)):
        return env.const(e)[1]
    if isinstance(e, ast.Neg):
        return value_type(env, e.operand, b, vtypes)
    if isinstance(e, ast.BinOp):
        lt, rt = value_type(env, e.left, b, vtypes), value_type(env, e.right, b, vtypes)
        if rt == "time_duration" or lt == "timestamp":
            return "timestamp"
        if rt == "duration":
            return lt
        if lt == "date" and rt == "date":
            return "number"
        return "date" if "date" in (lt, rt) else "number"
    return "text"


def exact(q: Fraction):
    """A result as the language keeps it: rounded to 15 significant digits (half to even), an int when
    whole (NaiveError beyond 64 bits), else the float of that decimal."""
    if q:
        digits = 0
        while abs(q) >= Fraction(10) ** (digits + 15):
            digits += 1
        while abs(q) < Fraction(10) ** (digits + 14):
            digits -= 1
        unit = Fraction(10) ** digits
        q = round(q / unit) * unit  # round() of a Fraction rounds half to even
    if q.denominator == 1:
        if not -2 ** 63 <= q.numerator < 2 ** 63:
            raise NaiveError("overflow")
        return q.numerator
    return float(q)


def frac(v) -> Fraction:
    return Fraction(v) if isinstance(v, int) else Fraction(repr(v))


def _moved(v: str, duration: str, sign: int) -> str:
    count, unit = duration.split()
    n = sign * int(count)
    unit = unit.rstrip("s")
    at = dt.datetime.fromisoformat(v)
    if unit in ("month", "year"):
        months = at.year * 12 + at.month - 1 + n * (12 if unit == "year" else 1)
        year, month = months // 12, months % 12 + 1
        at = at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))
    else:
        at += dt.timedelta(**{unit + "s": n})
    if "T" in v or unit in ("hour", "minute"):
        return at.isoformat(timespec="seconds")
    return at.date().isoformat()


def calculate(op: str, lv, rv):
    """lv op rv on numbers, exactly; None for a division by zero."""
    if op in ("/", "//", "%") and rv == 0:
        return None
    a, b = frac(lv), frac(rv)
    whole = isinstance(lv, int) and isinstance(rv, int)
    if op in ("//", "%"):
        quotient = Fraction(math.trunc(a / b))
        result = quotient if op == "//" else a - b * quotient
    else:
        result = a + b if op == "+" else a - b if op == "-" else a * b if op == "*" else a / b
    if whole and op != "/":  # whole numbers are exact, whatever their digits
        if not -2 ** 63 <= result < 2 ** 63:
            raise NaiveError("overflow")
        return int(result)
    return exact(result)


def ev(env: Env, e, b: Binding, vtypes: dict):
    """The value of an expression under a binding (all its variables bound)."""
    if isinstance(e, ast.Var):
        return b[e.name]
    if isinstance(e, (ast.Const, ast.ConstRef)):
        value = env.const(e)[0]
        return int(value) if isinstance(value, float) and value.is_integer() else value
    if isinstance(e, ast.Neg):
        return -ev(env, e.operand, b, vtypes)
    if isinstance(e, ast.BinOp):
        lv, rv = ev(env, e.left, b, vtypes), ev(env, e.right, b, vtypes)
        if lv is None or rv is None:
            return None
        lt, rt = value_type(env, e.left, b, vtypes), value_type(env, e.right, b, vtypes)
        if rt in ("duration", "time_duration"):
            return _moved(lv, rv, 1 if e.op == "+" else -1)
        if lt == "date" and rt == "date" and e.op == "-":
            return (_date(lv) - _date(rv)).days
        if lt == "date" and e.op in "+-":
            d = _date(lv) + dt.timedelta(days=rv if e.op == "+" else -rv)
            return d.isoformat()
        return calculate(e.op, lv, rv)
    if isinstance(e, ast.Call):
        args = [ev(env, a, b, vtypes) for a in e.args]
        return None if None in args else CALLS[e.func](*args)
    raise NaiveError(f"cannot evaluate {e!r}")


def _half_away(x, places=0):
    scaled = abs(frac(x)) * 10 ** places
    whole = math.floor(scaled) + (1 if scaled - math.floor(scaled) >= Fraction(1, 2) else 0)
    return exact(Fraction(whole if x >= 0 else -whole, 10 ** places))


CALLS = {"abs": abs, "min": min, "max": max, "round": _half_away, "floor": math.floor, "ceil": math.ceil}


def bound(e, b: Binding) -> bool:
    return all(v.name in b for v in ast.expr_vars(e))


def compare(op: str, lv, rv) -> bool:
    return {"=": lv == rv, "!=": lv != rv, "<": lv < rv, "<=": lv <= rv, ">": lv > rv, ">=": lv >= rv}[op]


# ---------------------------------------------------------------- bodies

class Solver:
    def __init__(self, program, env: Env):
        self.program = program
        self.env = env
        self.decls = {d.name: d for d in program.declarations}

    def atom_matches(self, atom: Atom, db: DB, b: Binding, vtypes: dict, rows: bool = False) -> Iterable[Binding]:
        """Extensions of `b` by the rows of `atom`; with `rows`, each `_` keeps its value too, under the
        key ("_", id of the wildcard), so that an aggregate's rows differing only there stay apart."""
        decl = self.decls[atom.predicate]
        for row in db.get(atom.predicate, ()):
            nb = b
            ok = True
            for arg, val, col in zip(atom.args, row, decl.columns):
                if isinstance(arg, ast.Wildcard):
                    if rows:
                        nb = dict(nb) if nb is b else nb
                        nb[("_", id(arg))] = val
                    continue
                if isinstance(arg, ast.Var) and arg.name not in nb:
                    if nb is b:
                        nb = dict(b)
                    nb[arg.name] = val
                    vtypes.setdefault(arg.name, col.type)
                    continue
                if ev(self.env, arg, nb, vtypes) != val:
                    ok = False
                    break
            if ok:
                yield nb

    def negated(self, atom: Atom, db: DB, b: Binding, vtypes: dict) -> bool:
        """True when some row of the atom's predicate matches (the negation fails)."""
        for row in db.get(atom.predicate, ()):
            if all(isinstance(a, ast.Wildcard) or ev(self.env, a, b, vtypes) == v for a, v in zip(atom.args, row)):
                return True
        return False

    @staticmethod
    def group_vars(agg: Aggregate, body: tuple, outside: set[str]) -> list[str]:
        # an aggregate's own variables are not visible outside it (docs/language.md, "Grouping"):
        # of another aggregate, only its result variable counts as "the rest of the rule"
        rest = set(outside)
        for lit in body:
            if lit is agg:
                continue
            if isinstance(lit, Aggregate):
                rest.add(lit.var.name)
            else:
                rest |= {v.name for v in ast.literal_vars(lit)}
        inner = {v.name for v in ast.literal_vars(agg)[1:]}
        return sorted(inner & rest)

    @staticmethod
    def statically_bound(body: tuple, already: set[str]) -> set[str]:
        """Variables bound before any aggregate: positive atoms, then `=` assignments, to a fixpoint."""
        names = set(already)
        results = {g.var.name for g in body if isinstance(g, Aggregate)}
        for lit in body:
            if isinstance(lit, Atom):
                names |= {v.name for v in ast.atom_vars(lit)}
        changed = True
        while changed:
            changed = False
            for lit in body:
                if isinstance(lit, Comparison) and lit.op == "=":
                    for var, other in ((lit.left, lit.right), (lit.right, lit.left)):
                        if isinstance(var, ast.Var) and var.name not in names and var.name not in results and all(
                                v.name in names for v in ast.expr_vars(other)):
                            names.add(var.name)
                            changed = True
                            break
        return names

    def solve(self, body: tuple, db: DB, bindings: list[Binding], outside: set[str], vtypes: dict,
              prebound: set[str] = frozenset(), rows: bool = False) -> list[Binding]:
        """All bindings satisfying `body`, extending each of `bindings`.

        `outside`: variables visible outside this body (the head's, or an aggregate's group).
        `prebound`: variables bound by the caller (for the aggregate mode, as if bound by literals).
        `rows`: keep the values of `_` (an aggregate's body, see atom_matches).
        """
        current = bindings
        for lit in body:
            if isinstance(lit, Atom):
                current = [nb for b in current for nb in self.atom_matches(lit, db, b, vtypes, rows)]
        static = self.statically_bound(body, set(prebound))
        pending = [lit for lit in body if not isinstance(lit, Atom)]
        # assignments and aggregates, in an order where each one's inputs are bound
        progress = True
        while progress:
            progress = False
            # an aggregate's result is bound by the aggregate: `R = 1` next to `R = count(...)` is a test
            results = {g.var.name for g in pending if isinstance(g, Aggregate)}
            for lit in list(pending):
                if isinstance(lit, Comparison) and lit.op == "=":
                    sides = ((lit.left, lit.right), (lit.right, lit.left))
                    done = False
                    for var, other in sides:
                        if (isinstance(var, ast.Var) and current and var.name not in current[0]
                                and var.name not in results and bound(other, current[0])):
                            out = []
                            for b in current:
                                nb = dict(b)
                                nb[var.name] = ev(self.env, other, b, vtypes)
                                out.append(nb)
                            vtypes.setdefault(var.name, value_type(self.env, other, current[0], vtypes))
                            current = out
                            done = True
                            break
                    if done:
                        pending.remove(lit)
                        progress = True
            if progress:
                continue
            aggs = [g for g in pending if isinstance(g, Aggregate)]
            if aggs:
                ready = [a for a in aggs if all(v in static for v in self.group_vars(a, body, outside))]
                g = (ready or aggs)[0]
                group = self.group_vars(g, body, outside)
                correlated = all(v in static for v in group)
                current = self.aggregate(g, group, correlated, db, current, vtypes)
                pending.remove(g)
                static |= set(group) | {g.var.name}
                progress = True
        for lit in pending:
            if isinstance(lit, Comparison):
                current = [b for b in current
                           if compare(lit.op, ev(self.env, lit.left, b, vtypes), ev(self.env, lit.right, b, vtypes))]
            elif isinstance(lit, Negation):
                current = [b for b in current if not self.negated(lit.atom, db, b, vtypes)]
            elif isinstance(lit, NegatedConjunction):
                current = [b for b in current if not self.solve(lit.body, db, [dict(b)], set(b), vtypes)]
            elif isinstance(lit, Membership):
                current = [b for b in current if (ev(self.env, lit.value, b, vtypes) in
                                                  [ev(self.env, m, b, vtypes) for m in lit.members]) != lit.negated]
            else:
                raise NaiveError(f"unhandled literal {lit!r}")
        return current

    def _value(self, agg: Aggregate, rows: set) -> object | None:
        """rows: distinct (locals..., target) tuples."""
        if agg.func == "count":
            return len({r[-1] for r in rows}) if agg.distinct else len({r[:-1] for r in rows})
        if agg.func == "sum":
            values = [r[-1] for r in rows if r[-1] is not None]
            total = sum(map(frac, values), Fraction(0))
            return int(total) if all(isinstance(v, int) for v in values) else exact(total)
        if not rows:
            return None
        return (min if agg.func == "min" else max)(r[-1] for r in rows)

    def aggregate(self, agg: Aggregate, group: list[str], correlated: bool, db: DB, current: list[Binding],
                  vtypes: dict) -> list[Binding]:
        inner_names = sorted({v.name for v in ast.literal_vars(agg)[1:]} - set(group))
        out = []
        if correlated:
            for b in current:
                key_b = {g: b[g] for g in group}
                rows = set()
                for ib in self.solve(agg.body, db, [dict(key_b)], set(group), vtypes, prebound=set(group), rows=True):
                    target = ev(self.env, agg.target, ib, vtypes)
                    rows.add(tuple(ib.get(n) for n in inner_names) + _wild(ib) + (target,))
                if not rows and agg.func in ("min", "max"):
                    continue
                value = self._value(agg, rows)
                if agg.var.name in b:
                    if b[agg.var.name] == value:
                        out.append(b)
                    continue
                nb = dict(b)
                nb[agg.var.name] = value
                out.append(nb)
            return out
        groups: dict[tuple, set] = defaultdict(set)
        for ib in self.solve(agg.body, db, [{}], set(group), vtypes, rows=True):
            target = ev(self.env, agg.target, ib, vtypes)
            groups[tuple(ib[g] for g in group)].add(tuple(ib.get(n) for n in inner_names) + _wild(ib) + (target,))
        for b in current:
            for key, rows in groups.items():
                if any(g in b and b[g] != k for g, k in zip(group, key)):
                    continue
                value = self._value(agg, rows)
                if agg.var.name in b and b[agg.var.name] != value:
                    continue
                nb = dict(b)
                nb.update(zip(group, key))
                nb[agg.var.name] = value
                out.append(nb)
        return out

    def rule_heads(self, rule: ast.Rule, db: DB, start: Binding | None = None) -> set[tuple]:
        """Head tuples of one application of `rule` to `db` (optionally from a partial binding)."""
        vtypes: dict = {}
        head_vars = {v.name for v in ast.atom_vars(rule.head)}
        start = start or {}
        results = set()
        for body in alternatives(rule.body):
            for b in self.solve(body, db, [dict(start)], head_vars, vtypes):
                results.add(tuple(ev(self.env, a, b, vtypes) for a in rule.head.args))
        return results


def alternatives(body: tuple) -> Iterable[tuple]:
    """The bodies a body with `or` stands for: each way of choosing one alternative of each `or`, in place
    (so that, as in the engine, each is a rule of its own: an aggregate's group is the variables the rest of
    *that* body shares with it)."""
    at = next((i for i, lit in enumerate(body) if isinstance(lit, Disjunction)), None)
    if at is None:
        yield body
        return
    for alt in body[at].alternatives:
        yield from alternatives(body[:at] + alt + body[at + 1:])


def _wild(b: Binding) -> tuple:
    """The values the `_`s of an aggregate's body matched, in a fixed order."""
    return tuple(v for _, v in sorted((k[1], v) for k, v in b.items() if isinstance(k, tuple)))


# ---------------------------------------------------------------- strata

def dependencies(program) -> dict[str, set[str]]:
    deps: dict[str, set[str]] = defaultdict(set)
    for r in program.rules:
        deps[r.head.predicate]
        for atom, _neg, _agg in ast.body_atoms(r.body):
            deps[r.head.predicate].add(atom.predicate)
    return deps


def strata(program) -> list[set[str]]:
    """SCCs of the derived predicates, dependencies first (simple reachability; programs are tiny)."""
    deps = dependencies(program)
    heads = sorted(deps)
    reach = {h: set(deps[h]) for h in heads}
    changed = True
    while changed:
        changed = False
        for h in heads:
            extra = set().union(*(reach.get(d, set()) for d in reach[h])) - reach[h]
            if extra:
                reach[h] |= extra
                changed = True
    comps: list[set[str]] = []
    for h in heads:
        if not any(h in c for c in comps):
            comps.append({h} | {o for o in heads if o in reach[h] and h in reach[o]})
    ordered: list[set[str]] = []
    done: set[str] = set()
    while comps:
        for c in comps:
            below = set().union(*(reach[h] for h in c)) & set(heads)
            if below - c <= done:
                ordered.append(c)
                done |= c
                comps.remove(c)
                break
        else:
            raise NaiveError("no stratum order")
    return ordered


def evaluate(program, evidence: DB, as_of: str = "2024-01-01", max_iterations: int = 1000) -> DB:
    """The least model: evidence plus every derived predicate's tuples."""
    env = Env(program, as_of)
    solver = Solver(program, env)
    db: DB = {d.name: set() for d in program.declarations}
    for pred, rows in evidence.items():
        db[pred] = set(map(tuple, rows))
    for fact in program.facts:  # stated by the rulebook (`fact`, `table`)
        db[fact.atom.predicate].add(tuple(arg.value for arg in fact.atom.args))
    for stratum in strata(program):
        rules = [r for r in program.written_rules if r.head.predicate in stratum]  # `or` as written
        for _ in range(max_iterations):
            new = {}
            for r in rules:
                heads = solver.rule_heads(r, db) - db[r.head.predicate]
                if heads:
                    new.setdefault(r.head.predicate, set()).update(heads)
            if not new:
                break
            for p, rows in new.items():
                db[p] |= rows
        else:
            raise NaiveError(f"stratum {sorted(stratum)} did not close in {max_iterations} iterations")
    return db


def derivable(program, rule: ast.Rule, db: DB, head: tuple, as_of: str = "2024-01-01") -> bool:
    """True when one application of `rule` to `db` yields `head` (the well-foundedness check)."""
    env = Env(program, as_of)
    solver = Solver(program, env)
    start = {}
    for arg, val in zip(rule.head.args, head):
        if isinstance(arg, ast.Var):
            if arg.name in start and start[arg.name] != val:
                return False
            start[arg.name] = val
    # pre-binding head variables must not change how aggregates group: solve() decides the
    # aggregate mode from literals, not from the start binding, so this only prunes the search.
    return head in solver.rule_heads(rule, db, start)
