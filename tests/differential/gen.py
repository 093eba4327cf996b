"""Hypothesis strategy: random *valid* Warrant rulebooks, as text, with random evidence.

A program has 2-4 evidence predicates (1-2 entity columns, maybe a number or percent column,
or none: a nullary predicate, present or not) and 2-5 derived predicates (some nullary) split into recursion groups G0 < G1 < ... A rule whose head is in
group g may use positively any evidence or derived predicate of a group <= g (so recursion and
mutual recursion happen inside a group), but `not` and ordinary aggregates only over evidence
and groups < g: the program is stratified by construction. Aggregates over the head's own
group ("recursive aggregates") are only the monotone ones the checker allows (count, count
distinct, max, sum of a percent) and their result is only tested with >= / > a constant.
Arithmetic only appears in rules that do not read their own group, so every program is finite.
Every variable of a comparison, negation or head is bound by a positive atom, an `=`
assignment or an aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

ENTITIES = tuple(f"c{i}" for i in range(6))
NUMBERS = (1, 2, 3, 5, 10, 25, 50)  # written in rules
DECIMALS = ("0.3", "50.01", "0.5", "16.67")  # written in rules too: exact decimals
# evidence values: whole numbers (negative ones for // and %) and decimals whose sums are exact only as decimals
NUMBER_FACTS = (1, 2, 3, 5, 10, 25, 50, -7, -139, 0.1, 0.2, 16.67, 33.33, 49.99, 0.01)
PERCENT_FACTS = (1, 5, 10, 25, 50, 0.01, 0.1, 0.2, 16.67, 33.33, 49.99, 50.85)
DATES = ("2024-01-31", "2024-02-29", "2023-02-28", "2024-06-30", "2023-06-30", "2024-03-15")
DURATIONS = ("1 month", "12 months", "1 year", "2 weeks", "30 days")
ENT_VARS = ("X", "Y", "Z", "W")
NUM_VARS = ("N", "M")
DATE_VARS = ("D", "E")


@dataclass
class Pred:
    name: str
    kind: str  # evidence | derived | conclusion
    types: list[str]  # entity | number | percent
    group: int = -1  # -1 for evidence and tables
    rows: list[tuple] = field(default_factory=list)  # a table's

    @property
    def is_evidence(self) -> bool:
        return self.kind == "evidence"

    def declaration(self) -> str:
        cols = []
        for i, t in enumerate(self.types):
            cols.append(f"{'n' if t != 'entity' else 'a'}{i}: {t}")
        if self.kind == "table":  # a predicate the rulebook states, with its rows
            rows = "; ".join(", ".join(map(q, row)) for row in self.rows)
            return f'table {self.name}({", ".join(cols)}) cites "generated":\n  {rows}.'
        return f'{self.kind} {self.name}({", ".join(cols)}) "{self.kind} {self.name}"'


@dataclass
class Generated:
    text: str
    preds: list[Pred]
    facts: dict[str, list[tuple]]
    features: set[str] = field(default_factory=set)

    def __str__(self):
        lines = [self.text, "# facts"]
        for p, rows in self.facts.items():
            lines.append(f"# {p}: {rows}")
        return "\n".join(lines)


def q(v) -> str:
    if isinstance(v, str):
        return v if v[:1].isdigit() else f'"{v}"'  # a date is written bare
    return str(v)


def number_fact(t: str):
    return st.sampled_from(PERCENT_FACTS if t == "percent" else NUMBER_FACTS)


def fact_value(t: str):
    """A strategy for one evidence value of column type `t`."""
    if t in ("entity", "date"):
        return st.sampled_from(ENTITIES if t == "entity" else DATES)
    return number_fact(t)


class RuleGen:
    """Builds one rule; `self.ent` / `self.num` are the variables bound so far, by kind."""

    def __init__(self, draw, rid: str, head: Pred, preds: list[Pred], features: set[str], recursive: bool,
                 agg_rate: int = 30):
        self.draw, self.rid, self.head, self.features = draw, rid, head, features
        self.agg_rate = agg_rate
        g = head.group
        self.same = [p for p in preds if not p.is_evidence and p.group == g]
        self.lower = [p for p in preds if p.is_evidence or p.group < g]
        self.recursive = recursive and bool(self.same)
        self.ent: list[str] = []
        self.num: list[str] = []  # numbers usable anywhere (head, comparisons)
        self.dates: list[str] = []
        self.percent_vars: set[str] = set()
        self.lits: list[str] = []
        self.fresh = 0

    def d(self, strat):
        return self.draw(strat)

    def new_var(self, prefix: str) -> str:
        self.fresh += 1
        return f"{prefix}{self.fresh}"

    # ---- atoms
    def arg(self, t: str, names: tuple, wildcard_ok: bool = True, const_p: int = 8) -> str:
        roll = self.d(st.integers(0, 99))
        if wildcard_ok and roll < 8:
            return "_"
        if roll < 8 + const_p:
            return q(self.d(st.sampled_from({"entity": ENTITIES, "date": DATES}.get(t, NUMBERS))))
        return self.d(st.sampled_from(names))

    def positive_atom(self, pred: Pred) -> str:
        args = []
        for t in pred.types:
            if t == "entity":
                a = self.arg(t, ENT_VARS)
                if a[0].isupper() and a not in self.ent:
                    self.ent.append(a)
            elif t == "date":
                a = self.arg(t, DATE_VARS)
                if a[0].isupper() and a not in self.dates:
                    self.dates.append(a)
            else:
                a = self.arg(t, NUM_VARS, const_p=4)
                if a[0].isupper():
                    if a not in self.num:
                        self.num.append(a)
                    if t == "percent":
                        self.percent_vars.add(a)
            args.append(a)
        return f"{pred.name}({', '.join(args)})"

    def bound_arg(self, t: str, ent: list[str], num: list[str], wildcard_ok: bool, dates: list[str] | None = None) -> str:
        pool = {"entity": ent, "date": self.dates if dates is None else dates}.get(t, num)
        roll = self.d(st.integers(0, 99))
        if wildcard_ok and roll < 15:
            return "_"
        if not pool or roll < 30:
            return q(self.d(st.sampled_from({"entity": ENTITIES, "date": DATES}.get(t, NUMBERS))))
        return self.d(st.sampled_from(pool))

    def negation(self, ent: list[str], num: list[str], dates: list[str] | None = None) -> str:
        pred = self.d(st.sampled_from(self.lower))
        args = [self.bound_arg(t, ent, num, True, dates) for t in pred.types]
        for i, (t, a) in enumerate(zip(pred.types, args)):  # a calculation as an argument: `not e1(X, N + 1)`
            if a[0].isupper() and t != "entity" and self.d(st.integers(0, 99)) < 30:
                calc = f"{a} + {self.d(st.sampled_from(DURATIONS))}" if t == "date" else f"{a} + 1"
                args[i] = calc
                self.features.add("calculated-argument")
        self.features.add("negation")
        return f"not {pred.name}({', '.join(args)})"

    def date_test(self) -> str:
        """A date moved by a duration (months by the calendar), days between dates, or a timestamp."""
        d = self.d(st.sampled_from(self.dates))
        roll = self.d(st.integers(0, 99))
        if roll < 40:
            moved = f"{d} {self.d(st.sampled_from(('+', '-')))} {self.d(st.sampled_from(DURATIONS))}"
            other = self.d(st.one_of(st.sampled_from(self.dates), st.sampled_from(DATES), st.just("as_of")))
            self.features.add("duration")
            return f"{moved} {self.d(st.sampled_from(('<', '<=', '>', '>=', '=')))} {other}"
        if roll < 75:
            other = self.d(st.one_of(st.sampled_from(self.dates), st.just("as_of")))
            self.features.add("days-between")
            return f"{other} - {d} {self.d(st.sampled_from(('<', '>=', '>')))} {self.d(st.sampled_from((0, 29, 30, 366)))}"
        hours = self.d(st.sampled_from((12, 24, 36)))
        self.features.add("timestamp")
        return f"{d} + {hours} hours {self.d(st.sampled_from(('<', '>=')))} {self.d(st.sampled_from(DATES))}T12:00"

    # ---- comparisons
    def comparison(self) -> str | None:
        kinds = []
        if self.ent:
            kinds.append("ent")
        if self.num:
            kinds.append("num")
        if self.dates:
            kinds.append("date")
        if not kinds:
            return None
        kind = self.d(st.sampled_from(kinds))
        if kind == "date":
            return self.date_test()
        if self.d(st.integers(0, 99)) < 25:
            return self.membership(kind)
        self.features.add("comparison")
        if kind == "ent":
            left = self.d(st.sampled_from(self.ent))
            op = self.d(st.sampled_from(("!=", "=", "<", ">=")))
            right = self.d(st.one_of(st.sampled_from(self.ent), st.sampled_from(ENTITIES).map(q)))
            return f"{left} {op} {right}"
        left = self.d(st.sampled_from(self.num))
        if self.d(st.booleans()) and len(self.num) > 1:
            left = f"{left} + {self.d(st.sampled_from(self.num))}"
        op = self.d(st.sampled_from(("<", "<=", ">", ">=", "=", "!=")))
        right = self.d(st.one_of(st.sampled_from(self.num), st.sampled_from(NUMBERS).map(str), st.sampled_from(DECIMALS)))
        if "." in right:
            self.features.add("decimal-constant")
        return f"{left} {op} {right}"

    def membership(self, kind: str) -> str:
        """`X in ("c0", "c3")`, `N not in (5)`: a bound variable against a few values."""
        value = self.d(st.sampled_from(self.ent if kind == "ent" else self.num))
        pool = ENTITIES if kind == "ent" else NUMBERS
        members = self.d(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
        negated = self.d(st.booleans())
        self.features.add("membership-not" if negated else "membership")
        return f"{value} {'not in' if negated else 'in'} ({', '.join(map(q, members))})"

    def negated_conjunction(self) -> str | None:
        """`not (e1(X, U3) and U3 != "c2" ...)` over lower strata: a local variable U*, bound inside, tested."""
        with_ent = [p for p in self.lower if "entity" in p.types]
        if not with_ent:
            return None
        local = self.new_var("U")
        pred = self.d(st.sampled_from(with_ent))
        at = self.d(st.sampled_from([i for i, t in enumerate(pred.types) if t == "entity"]))
        args = [local if i == at else self.bound_arg(t, self.ent, self.num, True) for i, t in enumerate(pred.types)]
        conds = [f"{pred.name}({', '.join(args)})"]
        roll = self.d(st.integers(0, 99))
        if roll < 50:
            conds.append(f"{local} != {q(self.d(st.sampled_from(ENTITIES)))}")
        elif roll < 70 and self.ent:
            conds.append(f"{local} != {self.d(st.sampled_from(self.ent))}")
        elif roll < 85:
            conds.append(self.negation(self.ent + [local], self.num))
        self.features.add("not-conjunction")
        return f"not ({' and '.join(conds)})"

    def disjunction(self) -> str | None:
        """`(a or b and c ...)` after the positive atoms: each alternative a positive atom over the variables
        bound so far, maybe with a test; a new variable, when there is one, is bound by every alternative."""
        pool = self.lower + (self.same if self.recursive else [])
        with_ent = [p for p in pool if "entity" in p.types]
        shared = self.new_var("B") if with_ent and self.d(st.booleans()) else None
        ent, num = list(self.ent), list(self.num)
        alternatives = []
        for _ in range(self.d(st.integers(2, 3))):
            pred = self.d(st.sampled_from(with_ent if shared else pool))
            slots = [i for i, t in enumerate(pred.types) if t == "entity"]
            at = self.d(st.sampled_from(slots)) if shared else None
            args = [shared if i == at else self.bound_arg(t, ent, num, True) for i, t in enumerate(pred.types)]
            conds = [f"{pred.name}({', '.join(args)})"]
            roll = self.d(st.integers(0, 99))
            if roll < 20 and ent:
                conds.append(f"{self.d(st.sampled_from(ent))} != {q(self.d(st.sampled_from(ENTITIES)))}")
            elif roll < 35:
                conds.append(self.negation(ent, num))
            alternatives.append(" and ".join(conds))
        if shared:
            self.ent.append(shared)
            self.features.add("or-binds")
        self.features.add("or")
        return "(" + " or ".join(alternatives) + ")"

    def assignment(self) -> str | None:
        if not self.num or self.recursive:
            return None
        k = self.new_var("K")
        a = self.d(st.sampled_from(self.num))
        op = self.d(st.sampled_from(("+", "-", "*", "//", "%")))
        # never a division by zero
        divisors = ("2", "3", "5", "-3", "2.5", "0.1") if op in ("//", "%") else ("1", "2", "3", "0.5", "0.1")
        b = self.d(st.sampled_from(divisors) if op in ("//", "%") else st.one_of(
            st.sampled_from(self.num), st.sampled_from(divisors)))
        value = f"{a} {op} {b}"
        if self.d(st.integers(0, 99)) < 25:
            func = self.d(st.sampled_from(("abs", "min", "max", "round", "floor", "ceil")))
            value = f"{func}({a} - {b})" if func in ("abs", "round", "floor", "ceil") else f"{func}({a}, {b})"
            self.features.add(func)
        self.num.append(k)
        self.features.add("decimal" if "." in b else "arithmetic" if op in "+-*" else "integer-division")
        return self.d(st.sampled_from((f"{k} = {value}", f"{value} = {k}")))

    # ---- aggregates
    def aggregate(self, grouped: bool) -> str | None:
        """An aggregate whose result goes to self.num (or, inside recursion, is only thresholded)."""
        rec = self.recursive and self.d(st.booleans())
        pool = self.same if rec else self.lower
        source = pool if not rec else self.same
        # aggregate body: 1-2 positive atoms; a local variable is fresh (L*/Q*), an outer one is shared
        outer_ent = list(self.ent) if not grouped else ["X", "Y"]
        inner_ent: list[str] = []
        inner_num: list[str] = []
        percent_inner: set[str] = set()
        atoms = []
        n_atoms = self.d(st.integers(1, 2))
        first = self.d(st.sampled_from(source))
        chosen = [first] + [self.d(st.sampled_from(self.lower + (self.same if rec else [])))
                            for _ in range(n_atoms - 1)]
        # own variables get names unique to this aggregate (two aggregates never share one; see
        # tests/engine/test_semantics.py for the engine bug when they do)
        self.n_aggs = getattr(self, "n_aggs", 0) + 1
        local_names = [f"L{self.rid}x{self.n_aggs}x{i}" for i in range(3)]
        num_names = [f"Q{self.rid}x{self.n_aggs}x{i}" for i in range(2)]
        for pred in chosen:
            args = []
            for t in pred.types:
                if t == "entity":
                    roll = self.d(st.integers(0, 99))
                    if roll < 6:
                        a = "_"
                    elif roll < 12:
                        a = q(self.d(st.sampled_from(ENTITIES)))
                    elif roll < (70 if grouped else 50) and outer_ent:
                        a = self.d(st.sampled_from(outer_ent))
                    else:
                        a = self.d(st.sampled_from(local_names))
                    if a[0].isupper() and a not in inner_ent:
                        inner_ent.append(a)
                elif t == "date":
                    a = "_"
                else:
                    roll = self.d(st.integers(0, 99))
                    a = "_" if roll < 10 else self.d(st.sampled_from(num_names))
                    if a[0].isupper():
                        if a not in inner_num:
                            inner_num.append(a)
                        if t == "percent":
                            percent_inner.add(a)
                args.append(a)
            atoms.append(f"{pred.name}({', '.join(args)})")
        if self.d(st.integers(0, 99)) < 20:
            # a negation inside the aggregate body, over a lower stratum
            atoms.append(self.negation(inner_ent, inner_num, dates=[]))
        funcs = ["count", "count distinct"]
        if inner_num:
            funcs += ["sum", "sum", "sum", "min", "max"] if not rec else ["max"] + (["sum", "sum"] if percent_inner else [])
        func = self.d(st.sampled_from(funcs))
        if func in ("sum", "min", "max"):
            targets = sorted(percent_inner) if (rec and func == "sum") else inner_num
            target = self.d(st.sampled_from(targets))
            if not rec and self.d(st.integers(0, 9)) == 0:
                target = f"{target} * 2"
        else:
            target = self.d(st.sampled_from(inner_ent + inner_num)) if inner_ent + inner_num else "1"
        var = self.new_var("R")
        self.features.add(f"agg:{func}")
        self.features.add("aggregate-grouped" if grouped else "aggregate-correlated")
        if rec:
            self.features.add("aggregate-recursive")
        text = f"{var} = {func}({target} for {' and '.join(atoms)})"
        if rec:
            # monotone inside recursion: the result is only compared with >= / > a constant
            thr = self.d(st.sampled_from((1, 2, 3, 25, 50)))
            self.lits.append(f"{var} {self.d(st.sampled_from(('>=', '>')))} {thr}")
        else:
            self.num.append(var)
        if grouped:
            # the aggregate binds its group: the outer variables it uses
            for v in inner_ent:
                if v in ("X", "Y") and v not in self.ent:
                    self.ent.append(v)
        return text

    # ---- whole rule
    def build(self) -> str:
        draw = self.d
        grouped = draw(st.integers(0, 99)) < self.agg_rate // 2
        if grouped:
            # no positive atom outside the aggregate: the aggregate binds the group variables
            self.lits.append(self.aggregate(grouped=True))
        else:
            n_atoms = draw(st.integers(1, 3))
            preds = []
            if self.recursive:
                preds.append(draw(st.sampled_from(self.same)))
                self.features.add("recursion")
            while len(preds) < n_atoms:
                preds.append(draw(st.sampled_from(self.lower + (self.same if self.recursive else []))))
            for p in preds:
                self.lits.append(self.positive_atom(p))
            if draw(st.integers(0, 99)) < 25:
                self.lits.append(self.disjunction())
            if draw(st.integers(0, 99)) < 30:
                a = self.assignment()
                if a:
                    self.lits.append(a)
            if draw(st.integers(0, 99)) < self.agg_rate:
                self.lits.append(self.aggregate(grouped=False))
                if draw(st.integers(0, 99)) < self.agg_rate:
                    self.features.add("two aggregates in a rule")
                    self.lits.append(self.aggregate(grouped=False))
        for _ in range(draw(st.integers(0, 2))):
            c = self.comparison()
            if c:
                self.lits.append(c)
        if draw(st.integers(0, 99)) < 35:
            self.lits.append(self.negation(self.ent, self.num))
        if not grouped and draw(st.integers(0, 99)) < 15 and (n := self.negated_conjunction()):
            self.lits.append(n)
        head_args = []
        for t in self.head.types:
            if t == "entity":
                head_args.append(self.d(st.sampled_from(self.ent)) if self.ent and draw(st.integers(0, 9)) else
                                 q(draw(st.sampled_from(ENTITIES))))
                if grouped:
                    self.features.add("grouped-head-" + ("var" if head_args[-1][0].isupper() else "const"))
            else:
                results = [v for v in self.num if v.startswith("R")]
                if not self.recursive and (self.num or self.dates) and draw(st.integers(0, 9)) == 0:
                    # a calculation in the head (never in recursion, so that every program is finite)
                    head_args.append(f"as_of - {draw(st.sampled_from(self.dates))}" if self.dates and draw(st.booleans())
                                     else f"{draw(st.sampled_from(self.num))} * 2 + 1" if self.num
                                     else f"as_of - {self.dates[0]}")
                    self.features.add("calculated-head")
                elif results and draw(st.integers(0, 9)) < 7:
                    head_args.append(draw(st.sampled_from(results)))  # show the aggregate's value
                else:
                    head_args.append(self.d(st.sampled_from(self.num)) if self.num and draw(st.integers(0, 9)) else
                                     q(draw(st.sampled_from(NUMBERS))))
        order = draw(st.permutations(range(len(self.lits))))
        body = " and ".join(self.lits[i] for i in order)
        return (f'rule {self.rid} "rule {self.rid}" cites "test":\n'
                f'  {self.head.name}({", ".join(head_args)}) if {body}.\n'
                f'  because "generated".\n')


@st.composite
def programs(draw) -> Generated:
    features: set[str] = set()
    preds: list[Pred] = []
    # about half the programs have no aggregate at all, so that pyDatalog can check them too
    agg_rate = draw(st.sampled_from((0, 0, 0, 0, 10, 25, 40)))
    dated = draw(st.integers(0, 99)) < 25  # dates and durations: the naive evaluator's alone (pyDatalog has none)
    for i in range(draw(st.integers(2, 4))):
        types = ["entity"] * draw(st.integers(1, 2))
        if draw(st.integers(0, 99)) < (60 if agg_rate else 35):
            types.append(draw(st.sampled_from(("number", "percent"))))
        if dated and draw(st.integers(0, 99)) < 50:
            types.insert(1, "date")
            features.add("date")
        if i > 0 and draw(st.integers(0, 99)) < 12:
            types = []  # a nullary predicate: a fact that holds or not
            features.add("nullary")
        preds.append(Pred(f"e{i}", "evidence", types))
    if draw(st.integers(0, 99)) < 30:  # a table: rows the rulebook states, read like evidence
        types = ["entity"] + (["number"] if draw(st.booleans()) else [])
        cell = [st.sampled_from(ENTITIES if t == "entity" else NUMBERS) for t in types]
        preds.append(Pred("t0", "table", types, rows=draw(st.lists(st.tuples(*cell), min_size=1, max_size=6))))
        features.add("table")
    n_derived = draw(st.integers(2, 5))
    group = 0
    for i in range(n_derived):
        if i > 0 and draw(st.booleans()):
            group += 1
        types = ["entity"] * draw(st.integers(1, 2))
        if draw(st.integers(0, 99)) < (50 if agg_rate else 25):
            types.append("number")
        if draw(st.integers(0, 99)) < 10:
            types = []
            features.add("nullary")
        kind = "conclusion" if i >= n_derived - 1 or draw(st.integers(0, 9)) == 0 else "derived"
        preds.append(Pred(f"d{i}", kind, types, group))
    rules = []
    n = 0
    for p in preds:
        if p.is_evidence or p.kind == "table":
            continue
        for j in range(draw(st.integers(1, 3))):
            n += 1
            rg = RuleGen(draw, f"R{n}", p, preds, features, recursive=j > 0 and draw(st.integers(0, 99)) < 70,
                         agg_rate=agg_rate)
            rules.append(rg.build())
    text = ['rulebook generated "Generated for differential tests" version "1"', ""]
    text += [p.declaration() for p in preds]
    text.append("")
    text += rules
    facts = {}
    for p in preds:
        if not p.is_evidence:
            continue
        cell = [fact_value(t) for t in p.types]
        rows = draw(st.lists(st.tuples(*cell), min_size=0 if not cell else 1, max_size=2 if not cell else 14))
        facts[p.name] = rows
    groups = {p.group for p in preds if not p.is_evidence and p.kind != "table"}
    if any(sum(1 for p in preds if p.group == g) > 1 for g in groups):
        features.add("mutual-group")
    return Generated("\n".join(text) + "\n", preds, facts, features)
