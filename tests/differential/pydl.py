"""Translate a Warrant program (AST) to pyDatalog, when it can be done faithfully.

Faithful: positive atoms, `_`, constants, stratified `not` (a `not` with `_` goes through a
projection predicate so that pyDatalog never sees an unbound variable under `~`),
comparisons, `=` assignments with + - *, recursion and mutual recursion, and aggregates that
bind their own (non-empty) group, over lower strata:
    count(X for ...) with a single own variable        -> len_(X)
    count distinct(T for ...)                           -> len_(T)
    sum(T for ...)   (over distinct rows of the body)   -> sum_(T, for_each=(own variables and _s))
    min / max                                           -> min_(T, order_by=T) / max_(T, order_by=T)

A rule written with `or` is translated branch by branch, as the engine compiles it (the naive evaluator
takes the alternatives as written); `X in (a, b)` is a predicate with the members as facts, and `X not in
(a, b)` is X != a & X != b. The facts a rulebook states (`fact`, `table`) are asserted facts.

Not expressible faithfully, so left to the naive evaluator (naive.py):
- aggregates whose group is bound by the rest of the rule (Warrant gives count 0 / sum 0 for
  an empty group; a pyDatalog aggregate function has no row for it);
- aggregates with no group variable (pyDatalog aggregate functions need a key);
- count over several own variables, `_`s included (len_ takes one variable);
- aggregates inside recursion (pyDatalog requires aggregates to be stratified);
- an aggregate target that is an expression (`sum(V * 2 for ...)`);
- date arithmetic and named constants (not generated anyway).

Numbers: pyDatalog computes with Python's operators, so the facts' decimals and the rules' decimal constants
are given to it as exact fractions, and its answers are rounded as the language rounds (naive.exact).
"""

from __future__ import annotations

from engine.syntax import ast
from engine.syntax.ast import Aggregate, Atom, Comparison, Membership, NegatedConjunction, Negation

from fractions import Fraction

from naive import Solver, exact, strata


class Unsupported(Exception):
    pass


def _v(name: str) -> str:
    return f"V_{name}"


def _p(name: str) -> str:
    return f"w_{name}"


class Translator:
    def __init__(self, program):
        self.program = program
        self.lines: list[str] = []
        self.wilds: list[str] = []
        self.n = 0
        comps = strata(program)
        self.comp_of = {p: i for i, c in enumerate(comps) for p in c}

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def expr(self, e) -> str:
        if isinstance(e, ast.Var):
            return _v(e.name)
        if isinstance(e, ast.Const):
            if e.type == "text":
                return repr(e.value)
            if e.type in ("number", "percent"):  # decimals as exact fractions, as the facts are
                return repr(e.value) if isinstance(e.value, int) else f"Fraction({repr(e.value)!r})"
            raise Unsupported(f"{e.type} constant")
        if isinstance(e, ast.BinOp) and e.op in "+-*":
            return f"({self.expr(e.left)} {e.op} {self.expr(e.right)})"
        if isinstance(e, ast.Neg):
            return f"(-{self.expr(e.operand)})"
        raise Unsupported(f"expression {type(e).__name__}")

    def atom(self, a: Atom) -> str:
        if a.meta:
            raise Unsupported("metadata")
        args = [self.wildcard() if isinstance(x, ast.Wildcard) else self.expr(x) for x in a.args]
        return f"{_p(a.predicate)}({', '.join(args)})"

    def wildcard(self) -> str:
        """A fresh variable for a `_`, remembered: an aggregate's rows differ by them too."""
        name = _v(self.fresh("W_"))
        self.wilds.append(name)
        return name

    def negation(self, n: Negation) -> str:
        a = n.atom
        if not any(isinstance(x, ast.Wildcard) for x in a.args):
            return f"~{self.atom(a)}"
        # project the wildcard columns away through an auxiliary predicate
        aux = _p(self.fresh("proj"))
        head_vars, body_args, call_args = [], [], []
        for x in a.args:
            if isinstance(x, ast.Wildcard):
                body_args.append(_v(self.fresh("W_")))
            else:
                v = _v(self.fresh("P_"))
                head_vars.append(v)
                body_args.append(v)
                call_args.append(self.expr(x))
        self.lines.append(f"{aux}({', '.join(head_vars)}) <= {_p(a.predicate)}({', '.join(body_args)})")
        return f"~{aux}({', '.join(call_args)})"

    def comparison(self, c: Comparison, bound: set[str]) -> str:
        op = "==" if c.op == "=" else c.op
        if isinstance(c.left, ast.Var):
            return f"({self.expr(c.left)} {op} {self.expr(c.right)})"
        # pyDatalog wants a variable on the left of a comparison: name the expression first
        t = _v(self.fresh("T_"))
        return f"({t} == {self.expr(c.left)}) & ({t} {op} {self.expr(c.right)})"

    def negated_conjunction(self, rule: ast.Rule, n: NegatedConjunction, body: tuple) -> str:
        """`not (...)` through an auxiliary predicate of the rule's variables among its conditions."""
        shared = sorted(ast.shared_variables(n, body, {v.name for v in ast.atom_vars(rule.head)}))
        in_atoms = {v.name for lit in n.body if isinstance(lit, Atom) for v in ast.atom_vars(lit)}
        if not shared or not set(shared) <= in_atoms:
            raise Unsupported("not (...) whose rule variables are not all in its positive conditions")
        aux = _p(self.fresh("none"))
        self.lines.append(f"{aux}({', '.join(map(_v, shared))}) <= {self.body(rule, n.body)}")
        return f"~{aux}({', '.join(map(_v, shared))})"

    def membership(self, m: Membership) -> str:
        """`X not in (a, b)` as X != a & X != b; `X in (a, b)` as a predicate whose facts are the members."""
        value = self.expr(m.value)
        if not isinstance(m.value, ast.Var) or not all(isinstance(x, ast.Const) for x in m.members):
            raise Unsupported("membership of a calculation, or with members other than values")
        if m.negated:
            return " & ".join(f"({value} != {self.expr(x)})" for x in m.members)
        members = _p(self.fresh("in"))
        self.lines += [f"+ {members}({self.expr(x)})" for x in m.members]
        return f"{members}({value})"

    def aggregate(self, rule: ast.Rule, agg: Aggregate) -> str:
        head_vars = {v.name for v in ast.atom_vars(rule.head)}
        group = Solver.group_vars(agg, rule.body, head_vars)
        static = Solver.statically_bound(rule.body, set())
        if any(self.comp_of.get(a.predicate) == self.comp_of.get(rule.head.predicate)
               for a, _, _ in ast.body_atoms(agg.body)):
            raise Unsupported("aggregate inside recursion")
        if not group:
            raise Unsupported("aggregate without group variables")
        if any(g in static for g in group):
            raise Unsupported("aggregate whose group is bound by the rest of the rule (count 0 for empty groups)")
        own = sorted({v.name for v in ast.literal_vars(agg)[1:]} - set(group))
        if not isinstance(agg.target, ast.Var):
            raise Unsupported("aggregate target is an expression")
        t = _v(agg.target.name)
        self.wilds = []
        body = self.body(rule, agg.body)
        rows = [_v(o) for o in own] + self.wilds  # a row of the body: its own variables and its _s
        if agg.func == "count" and agg.distinct:
            call = f"len_({t})"
        elif agg.func == "count":
            if len(rows) != 1:
                raise Unsupported("count over several own variables (or _)")
            call = f"len_({rows[0]})"
        elif agg.func == "sum":
            if not own:
                raise Unsupported("sum without own variables")
            call = f"sum_({t}, for_each=({', '.join(rows)},))"
        else:
            call = f"{agg.func}_({t}, order_by={t})"
        fn = _p(self.fresh("agg"))
        keys = ", ".join(_v(g) for g in group)
        self.lines.append(f"({fn}[{keys}] == {call}) <= {body}")
        return f"({fn}[{keys}] == {_v(agg.var.name)})"

    def body(self, rule: ast.Rule, body: tuple) -> str:
        """Literals in an order pyDatalog can run left to right: atoms, aggregates, assignments, filters."""
        parts = [self.atom(a) for a in body if isinstance(a, Atom)]
        parts += [self.aggregate(rule, g) for g in body if isinstance(g, Aggregate)]
        bound = set()
        for lit in body:
            if isinstance(lit, Atom):
                bound |= {v.name for v in ast.atom_vars(lit)}
            elif isinstance(lit, Aggregate):
                bound |= {v.name for v in ast.literal_vars(lit)}
        pending = [c for c in body if isinstance(c, Comparison)]
        progress = True
        while progress:
            progress = False
            for c in list(pending):
                if c.op != "=":
                    continue
                for var, other in ((c.left, c.right), (c.right, c.left)):
                    if isinstance(var, ast.Var) and var.name not in bound and all(v.name in bound for v in ast.expr_vars(other)):
                        parts.append(f"({_v(var.name)} == {self.expr(other)})")
                        bound.add(var.name)
                        pending.remove(c)
                        progress = True
                        break
        parts += [self.comparison(c, bound) for c in pending]
        parts += [self.membership(m) for m in body if isinstance(m, Membership)]
        parts += [self.negation(n) for n in body if isinstance(n, Negation)]
        parts += [self.negated_conjunction(rule, n, body) for n in body if isinstance(n, NegatedConjunction)]
        if not parts:
            raise Unsupported("empty body")
        return " & ".join(parts)

    def rule(self, r: ast.Rule) -> None:
        if not any(isinstance(lit, Atom) for lit in r.body) and not any(isinstance(lit, Aggregate) for lit in r.body):
            raise Unsupported("rule without positive atom")
        body = self.body(r, r.body)
        head = []
        for a in r.head.args:  # a calculation in the head: named in the body first
            if isinstance(a, (ast.Var, ast.Const)):
                head.append(self.expr(a))
            else:
                head.append(_v(self.fresh("H_")))
                body += f" & ({head[-1]} == {self.expr(a)})"
        self.lines.append(f"{_p(r.head.predicate)}({', '.join(head)}) <= {body}")


def translate(program) -> str:
    """The program as pyDatalog text; raises Unsupported when it cannot be faithful."""
    t = Translator(program)
    for r in program.rules:
        t.rule(r)
    t.lines += [f"+ {t.atom(f.atom)}" for f in program.facts]
    return "\n".join(t.lines)


def _queries(program) -> list[tuple[str, int, bool]]:
    heads = {r.head.predicate for r in program.rules} | {f.atom.predicate for f in program.facts}
    return [(d.name, len(d.columns), d.name in heads)
            for d in program.declarations if not d.is_evidence]


def run_text(text: str, facts: dict[str, list[tuple]], queries: list[tuple[str, int, bool]]) -> dict[str, set[tuple]]:
    """Load `text` and the facts into a fresh pyDatalog engine; the queried predicates' tuples."""
    from pyDatalog import pyDatalog

    from pyDatalog import pyParser

    pyDatalog.clear()
    for pred, rows in facts.items():
        if not rows:  # only a nullary predicate has none (gen.py): defined, so that `~` may ask it
            pyDatalog.assert_fact(_p(pred))
            pyDatalog.retract_fact(_p(pred))
        for r in set(map(tuple, rows)):
            pyDatalog.assert_fact(_p(pred), *(Fraction(repr(v)) if isinstance(v, float) else v for v in r))
    pyParser.load(text, newglobals={"Fraction": Fraction}, defined={"Fraction"})
    out = {}
    for name, arity, has_rules in queries:
        if not has_rules:
            out[name] = set()
            continue
        args = ", ".join(f"A{i}" for i in range(arity))
        ans = pyDatalog.ask(f"{_p(name)}({args})")
        out[name] = {tuple(exact(v) if isinstance(v, Fraction) else v for v in row) for row in ans.answers} if ans else set()
    pyDatalog.clear()
    return out


def run(program, text: str, facts: dict[str, list[tuple]]) -> dict[str, set[tuple]]:
    """In this process (no time limit)."""
    return run_text(text, facts, _queries(program))


def _serve(conn) -> None:
    while True:
        job = conn.recv()
        if job is None:
            return
        try:
            conn.send(("ok", run_text(*job)))
        except Exception as exc:  # reported to the test, which fails on it
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class Worker:
    """pyDatalog in a child process: its top-down resolution can take very long on some programs
    (it is an oracle, not the system under test), so each program gets a time limit; a program that
    exceeds it is checked by the naive evaluator only."""

    def __init__(self, timeout: float = 5.0):
        self.timeout = timeout
        self.proc = None

    def _start(self):
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.proc.start()

    def run(self, program, text: str, facts) -> dict[str, set[tuple]] | None:
        """The answers, or None when pyDatalog did not finish in time."""
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send((text, {p: list(r) for p, r in facts.items()}, _queries(program)))
        if not self.conn.poll(self.timeout):
            self.proc.kill()
            self.proc.join()
            self.proc = None
            return None
        status, value = self.conn.recv()
        if status != "ok":
            raise AssertionError(f"pyDatalog failed on the translated program: {value}\n{text}")
        return value

    def close(self):
        if self.proc is not None and self.proc.is_alive():
            self.conn.send(None)
            self.proc.join(2)
            if self.proc.is_alive():
                self.proc.kill()
        self.proc = None
