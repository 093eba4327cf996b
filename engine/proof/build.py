"""Rebuild the proof of a ground fact from a stored run.

A fact of round h is re-derived by compiling each rule for its predicate over the stored facts
of rounds < h (and the evidence in force), with the head bound to the fact's values: every
distinct binding of the rule's top-level variables is one derivation, well-founded by
construction. Body facts are expanded breadth first, so each shared fact is one node, expanded
at the shallowest depth it is reached.
"""

from __future__ import annotations

import json
import sqlite3
from collections import deque
from typing import Callable

from ..check.scope import rule_exprs
from ..eval.in_force import program_on
from ..eval.relations import META_COLUMNS, StoredRunTables, ident, table_name
from ..eval.sqlgen import OPS, CompileError, Query, RuleCompiler, _col, rule_vars
from ..syntax import ast
from ..syntax.ast import Aggregate, Atom, Comparison, Membership, NegatedConjunction, Negation, atom_vars, literal_vars
from ..syntax.program import Program
from .evidence import EvidenceSQL, provider_sql, record_rows
from .model import (AbsenceNode, AggregateNode, ComparisonNode, Contribution, DerivationNode, EvidenceNode,
                    FactNode, Limits, MembershipNode, NoMatchNode, OmittedNode, Premise, Proof, RulebookFactNode, RunInfo,
                    Threshold, node_id)
from .terms import (GroundAtom, ProofError, aggregate_text, atom_text, conjunction_text, expr_text, fill_explanation,
                    literal_text, membership_values_text, no_match_statement, parse_atom, value_text)
from ..store.facts import of_run

ALL_ROUNDS = 1 << 62
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}


def _key(values) -> str:
    return json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)


Timeline = Callable[[ast.Declaration, dict], list]


def _run_row(conn, run_id: str) -> tuple | None:
    """(as_of, rulebook_sha256, known_at) of a stored run; known_at is None for runs made before the two
    clocks (they saw what was recorded by their as-of date)."""
    try:
        row = conn.execute("SELECT as_of, rulebook_sha256 FROM runs WHERE id = ?", (run_id,)).fetchone()
    except sqlite3.Error:  # no runs table yet
        return None
    try:
        known = conn.execute("SELECT known_at FROM run_clocks WHERE run_id = ?", (run_id,)).fetchone()
    except sqlite3.Error:  # a case file from before the two clocks
        known = None
    return None if row is None else (row[0], row[1], known[0] if known else None)


def dated_values(ctx: "Context", rule: ast.Rule) -> dict[str, str]:
    """Each dated threshold or constant `rule` uses, with the value in force on the run's assessment date."""
    dated = {e.name: ctx.constants[e.name] for e in rule_exprs(rule)
             if isinstance(e, ast.ConstRef) and e.name in ctx.constants and ctx.constants[e.name].dated}
    return {name: c.version_on(ctx.as_of).text() for name, c in sorted(dated.items())}


class Context:
    """One stored run read back: compiles rule bodies over its facts and the evidence in force."""

    def __init__(self, conn, program: Program, run_id: str, evidence_sql: EvidenceSQL, as_of: str | None,
                 timeline: Timeline | None = None):
        self.conn, self.program, self.run_id, self.timeline = conn, program, run_id, timeline
        row = _run_row(conn, run_id)
        if row is None:
            raise ProofError(f"no run {run_id} in this case file")
        if row[1] and row[1] != program.sha256:
            raise ProofError(f"run {run_id} was made with other rules (sha256 {row[1][:12]}…), "
                             f"not {program.root.id} {program.root.version} (sha256 {program.sha256[:12]}…)")
        self.as_of = str(as_of or row[0])[:10]
        self.full_program = program
        self.full_constants = {c.name: c for c in program.constants}
        program = self.program = program_on(program, self.as_of)
        self.decls: dict[str, ast.Declaration] = {}
        for d in program.declarations:
            self.decls.setdefault(d.name, d)
        self.constants = {c.name: c for c in program.constants}
        # what an explanation's {name} shows: each threshold and constant in force on the assessment date
        self.placeholders = {c.name: c.value.value for c in program.constants} | {"as_of": self.as_of}
        self.ev_sql, ev_params = provider_sql(self.decls, evidence_sql, as_of or row[0])
        self.base = dict(ev_params, run_id=run_id, as_of=self.as_of)
        self.tables = StoredRunTables(self.decls, self.ev_sql)
        self.rulebook_of = {}
        for rb in program.rulebooks:
            for r in rb.rules:
                self.rulebook_of.setdefault(r.id, rb)
        self.books = {rb.id: rb for rb in program.rulebooks}
        self.stated: dict[tuple, list[ast.Fact]] = {}
        for f in program.facts:
            self.stated.setdefault((f.atom.predicate, tuple(a.value for a in f.atom.args)), []).append(f)
        known_at = row[2]
        recorded_until = known_at[:10] if known_at and known_at.endswith("T23:59:59.999999Z") else known_at
        self.info = RunInfo(run_id=run_id, as_of=self.as_of, recorded_until=recorded_until or str(as_of or row[0]),
                            rulebook=program.root.id,
                            version=program.root.version, sha256=program.sha256)

    # compiling and running
    def pick(self, atom: Atom, is_delta: bool, with_meta: bool):
        return self.tables.source(atom.predicate, "full", with_meta)

    def compiler(self) -> RuleCompiler:
        return RuleCompiler(self.decls, self.constants, self.pick, None, {})

    def rows(self, sql: str, params: dict, h: int) -> list[tuple]:
        return self.conn.execute(sql, dict(self.base, **params, h=h)).fetchall()

    def bound_query(self, comp: RuleCompiler, binding: dict, types: dict) -> Query:
        """A query in which the variables of `binding` are already bound to parameters."""
        return Query(exprs={n: comp.param(v) for n, v in binding.items()},
                     types={n: types.get(n, "text") for n in binding})

    def eval(self, exprs, binding: dict, types: dict) -> list:
        """Values of expressions under a binding, computed by SQLite as the engine computes them."""
        comp = self.compiler()
        q = self.bound_query(comp, binding, types)
        sqls = [None if isinstance(e, ast.Wildcard) else comp.expr(e, q) for e in exprs]
        live = [s for s in sqls if s is not None]
        if not live:
            return [None] * len(exprs)
        got = iter(self.conn.execute("SELECT " + ", ".join(live), dict(self.base, **comp.params)).fetchone())
        return [None if s is None else next(got) for s in sqls]

    def compare(self, c: Comparison, binding: dict, types: dict) -> tuple:
        comp = self.compiler()
        q = self.bound_query(comp, binding, types)
        left, right = comp.expr(c.left, q), comp.expr(c.right, q)
        row = self.conn.execute(f"SELECT {left}, {right}, ({left}) {OPS[c.op]} ({right})",
                                dict(self.base, **comp.params)).fetchone()
        return row[0], row[1], bool(row[2])

    # facts and records
    def fact_rows(self, predicate: str, args: list, h: int) -> list[tuple[tuple, int]]:
        """Stored facts of `predicate` matching args (None = any) with round < h: (values, round)."""
        decl = self.decls[predicate]
        cols = [ident(c.name) for c in decl.columns]
        where, ps = [of_run(), "_round < :h"], {}
        for i, (c, v) in enumerate(zip(cols, args)):
            if v is not None:
                where.append(f"{c} = :fa{i}")
                ps[f"fa{i}"] = v
        sel = ", ".join(cols + ["MIN(_round)"])
        group = f" GROUP BY {', '.join(cols)} ORDER BY {', '.join(cols)}" if cols else ""
        try:
            rows = self.rows(f"SELECT {sel} FROM {table_name('fact', predicate)} WHERE {' AND '.join(where)}{group}", ps, h)
        except Exception as exc:
            if "no such table" in str(exc):
                return []
            raise
        return [(tuple(r[:-1]), r[-1]) for r in rows if r[-1] is not None]

    def records(self, predicate: str, args: list, meta: dict | None = None) -> list[dict]:
        decl = self.decls[predicate]
        cond = {c.name: v for c, v in zip(decl.columns, args) if v is not None}
        cond.update({k: v for k, v in (meta or {}).items() if v is not None})
        rows = record_rows(self.conn, decl, self.ev_sql[predicate], self.base, cond)
        return sorted(rows, key=lambda r: (str(r["_hash"]), _key([r.get(c.name) for c in decl.columns])))

    def rules_for(self, predicate: str) -> list[ast.Rule]:
        return [r for r in self.program.rules if r.head.predicate == predicate]

    def derivation_rows(self, rule: ast.Rule, args, h: int, body=None):
        """Bindings of all top-level variables of `rule` (body or a prefix) with the head bound to args; an
        argument None (a why-not's `_`) leaves its place free."""
        comp = self.compiler()
        head_vars = {v.name for v in atom_vars(rule.head)}
        if body is not None:  # a prefix: aggregates still group by what the whole rule shares
            for lit in rule.body[len(body):]:
                head_vars |= {v.name for v in literal_vars(lit)}
        q = Query()
        for arg, val in zip(rule.head.args, args):
            if val is None:
                continue
            if isinstance(arg, ast.Var) and arg.name not in q.exprs:
                q.exprs[arg.name] = comp.param(val)
                q.types[arg.name] = _col_type(self.decls[rule.head.predicate], rule.head.args, arg)
            elif isinstance(arg, ast.Var):  # a variable the head repeats: d(X, X) derives no d("A", "B")
                q.where.append(f"{q.exprs[arg.name]} = {comp.param(val)}")
        comp.body(tuple(rule.body if body is None else body), q, head_vars)
        for arg, val in zip(rule.head.args, args):
            calculated = isinstance(arg, (ast.BinOp, ast.Neg, ast.Call))
            if val is not None and not isinstance(arg, (ast.Var, ast.Wildcard)) and (body is None or not calculated):
                q.where.append(f"{comp.expr(arg, q)} = {comp.param(val)}")
        names = [n for n in rule_vars(rule) if n in q.exprs]
        cols = [f"{q.exprs[n]} AS {_col(n)}" for n in names]
        sql = q.sql(cols) + (" ORDER BY " + ", ".join(_col(n) for n in names) if names else "")
        rows = self.rows(sql, comp.params, h)
        return names, [dict(zip(names, r)) for r in rows], q.types


def _col_type(decl, head_args, arg) -> str:
    for a, c in zip(head_args, decl.columns):
        if a is arg:
            return c.type
    return "text"


def evidence_node(ctx: Context, predicate: str, rec: dict) -> EvidenceNode:
    decl = ctx.decls[predicate]
    args = [rec.get(c.name) for c in decl.columns]
    meta = {f: rec.get(col) for f, col in META_COLUMNS.items() if f != "record"}
    meta["source_name"] = rec.get("_source_name")
    rel, cred = meta["reliability"], meta["credibility"]
    grade = f"{rel or '?'}{value_text(cred) if cred is not None else '?'}" if (rel or cred is not None) else None
    nid = node_id("e", rec["_hash"]) if rec.get("_hash") else node_id("e", predicate, args, meta)
    str_or_none = lambda v: None if v is None else str(v)  # noqa: E731
    return EvidenceNode(
        id=nid, predicate=predicate, args=args, text=atom_text(predicate, args), record=str_or_none(rec.get("_hash")),
        grade=grade, credibility=cred,
        **{k: str_or_none(v) for k, v in meta.items() if k != "credibility"},
    )


class Builder:
    def __init__(self, ctx: Context, limits: Limits):
        self.ctx, self.limits = ctx, limits
        self.nodes: dict[str, object] = {}
        self.queue: deque = deque()
        self.seen: dict[GroundAtom, str] = {}

    # facts
    def fact_ref(self, atom: GroundAtom, round_: int, depth: int) -> str:
        fid = node_id("f", atom.predicate, list(atom.args))
        if atom not in self.seen:
            self.seen[atom] = fid
            self.queue.append((atom, round_, depth))
        return fid

    def run(self, atom: GroundAtom) -> str:
        ctx = self.ctx
        decl = ctx.decls[atom.predicate]
        if decl.is_evidence:
            leaves = self.leaves(atom.predicate, list(atom.args), {})
            if not leaves:
                raise ProofError(f"{atom} does not hold: no evidence record of it is in force as of {ctx.as_of}")
            fid = node_id("f", atom.predicate, list(atom.args))
            self.nodes[fid] = FactNode(id=fid, predicate=atom.predicate, args=list(atom.args), text=str(atom),
                                       role="evidence", round=0, evidence=leaves)
            return fid
        found = ctx.fact_rows(atom.predicate, list(atom.args), ALL_ROUNDS)
        if not found:
            raise ProofError(f"{atom} does not hold in run {ctx.run_id} (as of {ctx.as_of}); "
                             f"ask why not: warrant whynot '{atom}'")
        root = self.fact_ref(atom, found[0][1], 0)
        while self.queue:
            self.expand(*self.queue.popleft())
        return root

    def expand(self, atom: GroundAtom, h: int, depth: int) -> None:
        ctx = self.ctx
        fid = self.seen[atom]
        decl = ctx.decls[atom.predicate]
        derivations: list[str] = []
        if depth >= self.limits.max_depth:
            oid = node_id("o", "depth", fid)
            self.nodes[oid] = OmittedNode(id=oid, reason="depth",
                                          message=f"deeper proof not shown (depth limit {self.limits.max_depth})")
            derivations.append(oid)
        elif h == 0:  # stated by the rulebook
            derivations += [self.stated(fid, atom, f) for f in ctx.stated.get((atom.predicate, atom.args), [])]
        else:
            found = []
            for index, rule in enumerate(ctx.rules_for(atom.predicate)):
                _, bindings, types = ctx.derivation_rows(rule, atom.args, h)
                found += [(index, _key(b), rule, b, types) for b in bindings]
            found.sort(key=lambda t: (t[0], t[1]))
            shown = found[:self.limits.max_derivations]
            for _, _, rule, binding, types in shown:
                derivations.append(self.derivation(fid, atom, rule, binding, types, h, depth))
            if len(found) > len(shown):
                rest = len(found) - len(shown)
                oid = node_id("o", "width", fid)
                self.nodes[oid] = OmittedNode(id=oid, reason="width", count=rest,
                                              message=f"{rest} more derivation{'s' if rest > 1 else ''} not shown")
                derivations.append(oid)
        role = "conclusion" if decl.kind == "conclusion" else "derived"
        self.nodes[fid] = FactNode(id=fid, predicate=atom.predicate, args=list(atom.args), text=str(atom),
                                   role=role, round=h, derivations=derivations)

    def stated(self, fid: str, atom: GroundAtom, fact: ast.Fact) -> str:
        rb = self.ctx.books[fact.rulebook]
        sid = node_id("s", fid, rb.sha256, fact.citation)
        self.nodes[sid] = RulebookFactNode(id=sid, predicate=atom.predicate, args=list(atom.args), text=str(atom),
                                           citation=fact.citation, rulebook=rb.id, version=rb.version,
                                           sha256=rb.sha256)
        return sid

    # rule applications
    def derivation(self, fid, atom: GroundAtom, rule: ast.Rule, binding: dict, types: dict, h: int, depth: int) -> str:
        ctx = self.ctx
        rb = ctx.rulebook_of[rule.id]
        absorbed = {}
        for lit in rule.body:
            if isinstance(lit, Aggregate):
                for c in rule.body:
                    if isinstance(c, Comparison) and (_is_var(c.left, lit.var) or _is_var(c.right, lit.var)):
                        absorbed.setdefault(id(lit), c)
        skip = {id(c) for c in absorbed.values()}
        premises = []
        for lit in rule.body:
            if id(lit) in skip:
                continue
            premises.append(self.premise(lit, rule.body, binding, types, h, depth, absorbed.get(id(lit))))
        children: list[str] = []
        for p in premises:
            children += [n for n in p.nodes if n not in children]
        did = node_id("d", rule.key, fid, _key(binding))
        self.nodes[did] = DerivationNode(
            id=did, conclusion=fid, rule=rule.id, title=rule.title, citation=rule.citation, rulebook=rb.id,
            version=rb.version, sha256=rb.sha256, binding=dict(sorted(binding.items())),
            explanation=fill_explanation(rule.explanation, {**ctx.placeholders, **binding}), premises=premises,
            children=children,
            in_force=rule.in_force.text() if rule.in_force else None, thresholds=dated_values(ctx, rule),
            branch=rule.branch or None, alternative=conjunction_text(rule.alternative) if rule.branch else None)
        return did

    def premise(self, lit, body, binding, types, h, depth, compared=None) -> Premise:
        ctx = self.ctx
        if isinstance(lit, Atom):
            args = ctx.eval(lit.args, binding, types)
            nodes = self.support(lit, args, binding, types, h, depth)
            return Premise(literal=literal_text(lit), kind="atom", text=atom_text(lit.predicate, args), nodes=nodes)
        if isinstance(lit, Negation):
            a = lit.atom
            args = ctx.eval(a.args, binding, types)
            text = atom_text(a.predicate, args)
            is_ev = ctx.decls[a.predicate].is_evidence
            statement = (f"no evidence record of {text} is in force as of {ctx.as_of}" if is_ev
                         else f"{text} was not derived in run {ctx.run_id} (as of {ctx.as_of})")
            aid = node_id("a", text, ctx.run_id, ctx.as_of)
            self.nodes[aid] = AbsenceNode(id=aid, predicate=a.predicate, args=args, text=text, evidence=is_ev,
                                          as_of=ctx.as_of, run_id=ctx.run_id, statement=statement)
            return Premise(literal=literal_text(lit), kind="negation", text="not " + text, nodes=[aid])
        if isinstance(lit, Comparison):
            left, right, holds = ctx.compare(lit, binding, types)
            text = f"{value_text(left)} {lit.op} {value_text(right)}"
            cid = node_id("c", literal_text(lit), text)
            self.nodes[cid] = ComparisonNode(id=cid, text=f"{literal_text(lit)}: {text}", left=left, op=lit.op,
                                             right=right, holds=holds)
            return Premise(literal=literal_text(lit), kind="comparison", text=text, nodes=[cid])
        if isinstance(lit, Membership):
            return self.membership(lit, binding, types)
        if isinstance(lit, NegatedConjunction):
            return self.no_match(lit, binding)
        return self.aggregate(lit, body, binding, types, h, depth, compared)

    def no_match(self, lit: NegatedConjunction, binding) -> Premise:
        ctx = self.ctx
        shared = {v.name: binding[v.name] for v in literal_vars(lit) if v.name in binding}
        conditions = conjunction_text(lit.body)
        statement = no_match_statement(conditions, shared, ctx.as_of, ctx.run_id)
        nid = node_id("n", statement)
        self.nodes[nid] = NoMatchNode(id=nid, conditions=conditions, binding=shared, as_of=ctx.as_of,
                                      run_id=ctx.run_id, statement=statement)
        return Premise(literal=literal_text(lit), kind="negation", text=statement, nodes=[nid])

    def membership(self, lit: Membership, binding, types) -> Premise:
        value, *members = self.ctx.eval((lit.value,) + lit.members, binding, types)
        text = membership_values_text(lit, value, members)
        holds = (value in members) != lit.negated
        mid = node_id("m", literal_text(lit), text)
        self.nodes[mid] = MembershipNode(id=mid, text=f"{literal_text(lit)}: {text}", value=value, members=members,
                                         negated=lit.negated, holds=holds)
        return Premise(literal=literal_text(lit), kind="membership", text=text, nodes=[mid])

    def support(self, lit: Atom, args, binding, types, h, depth) -> list[str]:
        """The nodes establishing one positive atom: evidence leaves, or the matching stored facts."""
        ctx = self.ctx
        if ctx.decls[lit.predicate].is_evidence:
            meta_vals = ctx.eval([m.value for m in lit.meta], binding, types)
            meta = {META_COLUMNS[m.field]: v for m, v in zip(lit.meta, meta_vals)}
            return self.leaves(lit.predicate, args, meta)
        return [self.fact_ref(GroundAtom(lit.predicate, vals), r, depth + 1)
                for vals, r in ctx.fact_rows(lit.predicate, args, h)]

    def leaves(self, predicate, args, meta) -> list[str]:
        out = []
        for rec in self.ctx.records(predicate, args, meta):
            node = evidence_node(self.ctx, predicate, rec)
            self.nodes.setdefault(node.id, node)
            if node.id not in out:
                out.append(node.id)
        return out

    def aggregate(self, agg: Aggregate, body, binding, types, h, depth, compared) -> Premise:
        ctx = self.ctx
        group = RuleCompiler._shared(agg, tuple(body), set(binding) - {agg.var.name})
        group_binding = {g: binding[g] for g in group if g in binding}
        names, rows, inner_types = contributions(ctx, agg, group_binding, types, h)
        body = ast.numbered_wildcards(agg).body
        contribs = []
        for local, value in rows:
            full = dict(group_binding, **local)
            nodes: list[str] = []
            for lit in body:
                for n in self.premise(lit, body, full, inner_types, h, depth).nodes:
                    if n not in nodes:
                        nodes.append(n)
            contribs.append(Contribution(binding=local, value=value, nodes=nodes))
        total = binding.get(agg.var.name)
        threshold = None
        if compared is not None:
            on_left = _is_var(compared.left, agg.var)
            other = compared.right if on_left else compared.left
            op = compared.op if on_left else FLIP[compared.op]
            _, _, holds = ctx.compare(compared, binding, types)
            threshold = Threshold(op=op, value=ctx.eval([other], binding, types)[0], against=expr_text(other),
                                  holds=holds)
        text = f"{agg.var.name} = {aggregate_text(agg)}"
        gid = node_id("g", text, _key(group_binding), ctx.run_id, h)
        self.nodes[gid] = AggregateNode(id=gid, var=agg.var.name, function=agg.func, distinct=agg.distinct,
                                        expression=aggregate_text(agg), group=dict(sorted(group_binding.items())),
                                        contributions=contribs, total=total, compared=threshold)
        shown = f"{aggregate_text(agg)} = {value_text(total)}"
        if threshold:
            shown += f" {threshold.op} {value_text(threshold.value)}"
        return Premise(literal=text, kind="aggregate", text=shown, nodes=[gid])


def contributions(ctx: Context, agg: Aggregate, group_binding: dict, types: dict, h: int):
    """The distinct rows of the aggregate's body, each as the binding of its own variables (with `_1`, `_2`,
    ... for the values its `_`s matched) and its target value (engine semantics)."""
    agg = ast.numbered_wildcards(agg)
    comp = ctx.compiler()
    inner = ctx.bound_query(comp, group_binding, types)
    comp.body(agg.body, inner, set(group_binding))
    locals_ = sorted({v.name for v in literal_vars(agg)[1:]} - set(group_binding))
    target = comp.expr(agg.target, inner) if agg.func != "count" or agg.distinct else "1"
    cols = [f"{inner.exprs[v]} AS {_col(v)}" for v in locals_] + [f"{target} AS _target"]
    order = " ORDER BY " + ", ".join([_col(v) for v in locals_] + ["_target"])
    rows = ctx.rows(inner.sql(cols) + order, comp.params, h)
    return locals_, [(dict(zip(locals_, r[:-1])), r[-1]) for r in rows], dict(inner.types)


def _is_var(e, var: ast.Var) -> bool:
    return isinstance(e, ast.Var) and e.name == var.name


def build_proof(conn, program: Program, run_id: str, atom, evidence_sql: EvidenceSQL, as_of: str | None = None,
                limits: Limits | None = None) -> Proof:
    """The proof that a ground atom holds in a stored run: every distinct derivation, down to the evidence."""
    limits = limits or Limits()
    ground = parse_atom(program, atom)
    ctx = Context(conn, program, run_id, evidence_sql, as_of)
    b = Builder(ctx, limits)
    root = b.run(ground)
    nodes = dict(sorted(b.nodes.items()))
    return Proof(root=root, atom=str(ground), run=ctx.info, limits=limits, nodes=nodes)


__all__ = ["build_proof", "Context", "contributions", "CompileError"]
