"""Why does a ground atom not hold? For each rule that could derive it: the longest prefix of the
body that is satisfiable with the head bound, the first literal that fails and the values involved,
recursing into failed positive subgoals to a useful depth.
"""

from __future__ import annotations

import difflib
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..eval.sqlgen import CompileError
from ..syntax import ast
from ..syntax.ast import Aggregate, Atom, Comparison, Membership, NegatedConjunction, Negation, expr_vars
from ..syntax.program import Program
from ..check.scope import rule_exprs
from ..eval.in_force import constant_on, not_in_force
from .build import ALL_ROUNDS, FLIP, Context, Timeline, build_proof, contributions
from .evidence import EvidenceSQL, record_rows
from .model import Limits, RunInfo, Value
from .related import related_conclusions
from .terms import (GroundAtom, aggregate_text, atom_text, conjunction_text, literal_text, membership_values_text,
                    parse_atom, plain_value, value_text)

SHOW = 5
WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "=": "exactly", "!=": "other than"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Part(_Frozen):
    """One contribution to an aggregate, or a candidate that was not counted and why."""

    binding: dict[str, Value]
    value: Value
    reason: str | None = None


class Failure(_Frozen):
    literal: str = Field(description="the literal as the rule writes it")
    kind: Literal["atom", "negation", "comparison", "aggregate", "membership", "head", "all"]
    text: str = Field(description="the literal with the partial binding filled in")
    message: str
    values: dict[str, Value] = Field(default_factory=dict)
    counted: list[Part] = Field(default_factory=list, description="contributions to an aggregate that fell short")
    not_counted: list[Part] = Field(default_factory=list, description="candidates an aggregate did not count")
    subgoals: list["WhyNot"] = Field(default_factory=list)


class Attempt(_Frozen):
    rule: str
    title: str
    citation: str
    branch: int | None = Field(None, description="for a rule written with `or`: the branch tried, from 1")
    alternative: str | None = Field(None, description="that branch's conditions from inside `or`, as written")
    satisfied: list[str] = Field(description="the body literals satisfied, in order")
    bindings: list[dict[str, Value]] = Field(description="partial bindings that satisfy them (first few)")
    more_bindings: int = 0
    failures: list[Failure]
    summary: str


class WhyNot(_Frozen):
    format: Literal["warrant-whynot/1"] = "warrant-whynot/1"
    atom: str
    predicate: str
    args: list[Value]
    holds: bool
    run: RunInfo
    message: str
    notes: list[str] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)


def _partial_eval(ctx: Context, exprs, binding: dict, types: dict) -> list:
    out = []
    for e in exprs:
        if isinstance(e, ast.Wildcard) or any(v.name not in binding for v in expr_vars(e)):
            out.append(None)
        else:
            out.append(ctx.eval([e], binding, types)[0])
    return out


class Explainer:
    def __init__(self, ctx: Context, depth: int):
        self.ctx, self.depth = ctx, depth
        self.memo: dict[tuple, WhyNot] = {}

    def unknown_entities(self, ground: GroundAtom) -> tuple[list[str], list[str]]:
        """(why the atom cannot hold: an entity no record in force mentions; and, for entities that some
        do mention, the records about them that the run's clocks keep out, with their dates)."""
        ctx = self.ctx
        decl = ctx.decls[ground.predicate]
        ev = [d for d in ctx.decls.values() if d.is_evidence]
        notes, kept_out = [], []
        for col, value in zip(decl.columns, ground.args):
            if col.type != "entity" or value is None:
                continue
            found = any(record_rows(ctx.conn, d, ctx.ev_sql[d.name], ctx.base, {c.name: value})
                        for d in ev for c in d.columns if c.type == "entity")
            outside = list(dict.fromkeys(n for d in ev for c in d.columns if c.type == "entity"
                                         for n in self.clock_notes(d, {c.name: value})))
            if found and outside:
                kept_out.append(f"records about {value_text(value)} that the run's clocks keep out: "
                                + "; ".join(outside[:SHOW]) + (f" and {len(outside) - SHOW} more" if len(outside) > SHOW else ""))
            elif outside:
                notes.append(f"{value_text(value)} is in the case file, but no record of it is in force: "
                             + "; ".join(outside))
            elif not found:
                known = set()
                for d in ev:
                    for c in d.columns:
                        if c.type == "entity":
                            sql = f'SELECT DISTINCT r."{c.name}" FROM ({ctx.ev_sql[d.name]}) AS r'
                            known |= {r[0] for r in ctx.conn.execute(sql, ctx.base) if isinstance(r[0], str)}
                close = difflib.get_close_matches(str(value), sorted(known), n=3, cutoff=0.6)
                hint = f" (close: {', '.join(value_text(c) for c in close)})" if close else ""
                notes.append(f"no evidence mentions {value_text(value)}; check the spelling{hint}")
        return notes, kept_out

    def out_of_force(self, predicate: str) -> list[str]:
        """The rules concluding `predicate` that do not apply on the assessment date, and why."""
        ctx = self.ctx
        out = []
        for rule in not_in_force(ctx.full_program, ctx.as_of):
            if rule.head.predicate != predicate:
                continue
            if rule.in_force_on(ctx.as_of):
                unset = sorted({e.name for e in rule_exprs(rule) if isinstance(e, ast.ConstRef)
                                and e.name in ctx.full_constants and constant_on(ctx.full_constants[e.name], ctx.as_of) is None})
                out.append(f"rule {rule.id} does not apply on {ctx.as_of}: {', '.join(unset)} has no value in force then")
            else:
                out.append(f"rule {rule.id} does not apply on {ctx.as_of}: it is in force {rule.in_force.text()}")
        return out

    def clock_notes(self, decl: ast.Declaration, conditions: dict) -> list[str]:
        """Each record matching `conditions` that the run's clocks keep out, with its dates."""
        if self.ctx.timeline is None:
            return []
        return [f"{atom_text(decl.name, list(r.args))} {r.reason}" for r in self.ctx.timeline(decl, conditions)]

    def ground_clock_notes(self, predicate: str, args) -> list[str]:
        decl = self.ctx.decls[predicate]
        if None in args:
            return []
        return self.clock_notes(decl, {c.name: v for c, v in zip(decl.columns, args)})

    def explain(self, ground: GroundAtom, depth: int, top: bool = False) -> WhyNot:
        key = (ground, depth)
        if key in self.memo:
            return self.memo[key]
        ctx = self.ctx
        decl = ctx.decls[ground.predicate]
        base = dict(atom=str(ground), predicate=ground.predicate, args=list(ground.args), run=ctx.info)
        if decl.is_evidence:
            recs = ctx.records(ground.predicate, list(ground.args))
            if recs:
                result = WhyNot(holds=True, message=f"{ground} holds: {len(recs)} record(s) in force as of {ctx.as_of}",
                                **base)
            else:
                clocks = self.ground_clock_notes(ground.predicate, ground.args)
                message = f"{ground} does not hold: no evidence record of it is in force as of {ctx.as_of}"
                result = WhyNot(holds=False, message=message + "".join(f"; {n}" for n in clocks),
                                notes=clocks + self.near_records(ground), **base)
        elif ctx.fact_rows(ground.predicate, list(ground.args), ALL_ROUNDS):
            result = WhyNot(holds=True, message=f"{ground} holds in run {ctx.run_id}; ask why: warrant why '{ground}'",
                            **base)
        else:
            notes, kept_out = self.unknown_entities(ground) if top else ([], [])
            if notes:
                result = WhyNot(holds=False, message=f"{ground} does not hold: " + "; ".join(notes), notes=notes, **base)
            else:
                attempts = [self.attempt(rule, ground, depth) for rule in ctx.rules_for(ground.predicate)]
                stated = self.not_stated(ground)
                reasons = [a.summary for a in attempts] + stated
                if reasons:
                    msg = f"{ground} does not hold: " + "; ".join(reasons)
                else:
                    msg = f"{ground} does not hold: no rule concludes {ground.predicate}"
                result = WhyNot(holds=False, message=msg, attempts=attempts,
                                notes=kept_out + stated + self.out_of_force(ground.predicate), **base)
        self.memo[key] = result
        return result

    def not_stated(self, ground: GroundAtom) -> list[str]:
        """That the rulebook states facts of the predicate (`fact`, `table`), and this is not one of them."""
        stated = [f for f in self.ctx.program.facts if f.atom.predicate == ground.predicate]
        if not stated:
            return []
        sources = ", ".join(dict.fromkeys(f.citation for f in stated))
        return [f"it is not among the {len(stated)} fact(s) of {ground.predicate} the rulebook states "
                f"(citing {sources})"]

    def near_records(self, ground: GroundAtom) -> list[str]:
        ctx = self.ctx
        if not ground.args:
            return []
        recs = ctx.records(ground.predicate, [ground.args[0]] + [None] * (len(ground.args) - 1))
        if not recs:
            return []
        decl = ctx.decls[ground.predicate]
        shown = sorted({atom_text(ground.predicate, [r.get(c.name) for c in decl.columns]) for r in recs})
        return [f"in force for {value_text(ground.args[0])}: " + ", ".join(shown[:SHOW])
                + (f" and {len(shown) - SHOW} more" if len(shown) > SHOW else "")]

    # one rule
    def attempt(self, rule: ast.Rule, ground: GroundAtom, depth: int) -> Attempt:
        ctx = self.ctx
        head = dict(rule=rule.id, title=rule.title, citation=rule.citation, branch=rule.branch or None,
                    alternative=conjunction_text(rule.alternative) if rule.branch else None)
        for arg, val in zip(rule.head.args, ground.args):
            if isinstance(arg, ast.Const) and val is not None and arg.value != val:
                text = f"{rule.head.predicate}(…{value_text(arg.value)}…)"
                f = Failure(literal=literal_text(rule.head), kind="head", text=text,
                            message=f"{_name(rule)} only concludes {literal_text(rule.head)}")
                return Attempt(satisfied=[], bindings=[], failures=[f], summary=f.message, **head)
        body = rule.body
        decl = ctx.decls[rule.head.predicate]
        head_binding = {a.name: v for a, v in zip(rule.head.args, ground.args) if isinstance(a, ast.Var) and v is not None}
        head_types = {a.name: c.type for a, c in zip(rule.head.args, decl.columns) if isinstance(a, ast.Var)}
        best_k, best_rows, types = 0, [head_binding], head_types
        fail_at = None
        for k in range(1, len(body) + 1):
            try:
                _, rows, t = ctx.derivation_rows(rule, ground.args, ALL_ROUNDS, body=body[:k])
            except CompileError:
                continue
            if not rows:
                fail_at = k - 1
                break
            best_k, best_rows, types = k, rows, t
        satisfied = [literal_text(x) for x in body[:best_k]]
        shown = best_rows[:SHOW]
        calculated = any(isinstance(a, (ast.BinOp, ast.Neg, ast.Call)) for a in rule.head.args)
        if fail_at is None and calculated and not ctx.derivation_rows(rule, ground.args, ALL_ROUNDS)[1]:
            f = Failure(literal=literal_text(rule.head), kind="head", text=literal_text(rule.head),
                        message=f"every condition of {_name(rule)} holds, but for the values found the calculations "
                                f"of its head, {literal_text(rule.head)}, give another fact")
            return Attempt(satisfied=satisfied, bindings=shown, more_bindings=len(best_rows) - len(shown),
                           failures=[f], summary=f.message, **head)
        if fail_at is None:
            f = Failure(literal="", kind="all", text="", message=f"every condition of {_name(rule)} holds for some binding, "
                        "but the run did not conclude it: was the run made before this evidence was recorded?")
            return Attempt(satisfied=satisfied, bindings=shown, more_bindings=len(best_rows) - len(shown),
                           failures=[f], summary=f.message, **head)
        lit = body[fail_at]
        failures = [self.failure(rule, lit, b, types, depth) for b in shown]
        # identical failures (same text and message) are said once
        unique: list[Failure] = []
        for f in failures:
            if all((f.text, f.message) != (u.text, u.message) for u in unique):
                unique.append(f)
        summary = unique[0].message if len(unique) == 1 else \
            f"{_name(rule)} fails at {literal_text(lit)} for each of {len(best_rows)} partial binding(s)"
        return Attempt(satisfied=satisfied, bindings=[b for b in shown if b] or [], more_bindings=len(best_rows) - len(shown),
                       failures=unique, summary=summary, **head)

    def failure(self, rule: ast.Rule, lit, binding: dict, types: dict, depth: int) -> Failure:
        ctx = self.ctx
        written = literal_text(lit)
        if isinstance(lit, Atom):
            args = _partial_eval(ctx, lit.args, binding, types)
            text = atom_text(lit.predicate, args)
            subs = []
            if ctx.decls[lit.predicate].is_evidence:
                msg = f"{_name(rule)} needs {text}, but no evidence record of it is in force as of {ctx.as_of}"
                if lit.meta:
                    msg += " (with " + ", ".join(f"{m.field} = {value_text(v)}" for m, v in zip(
                        lit.meta, _partial_eval(ctx, [m.value for m in lit.meta], binding, types))) + ")"
                msg += "".join(f"; {n}" for n in self.ground_clock_notes(lit.predicate, args))
            else:
                msg = f"{_name(rule)} needs {text}, which does not hold"
                if depth > 1:  # with `_` for what no earlier condition bound: why nothing of that shape holds
                    subs = [self.explain(GroundAtom(lit.predicate, tuple(args)), depth - 1)]
            return Failure(literal=written, kind="atom", text=text, message=msg, values=binding, subgoals=subs)
        if isinstance(lit, Negation):
            a = lit.atom
            args = _partial_eval(ctx, a.args, binding, types)
            text = atom_text(a.predicate, args)
            if ctx.decls[a.predicate].is_evidence:
                recs = ctx.records(a.predicate, args)
                found = ", ".join(str(r["_hash"]) for r in recs[:SHOW])
                msg = f"{_name(rule)} needs no {text}, but {len(recs)} record(s) are in force: {found}"
            else:
                found = ", ".join(atom_text(a.predicate, v) for v, _ in ctx.fact_rows(a.predicate, args, ALL_ROUNDS)[:SHOW])
                msg = f"{_name(rule)} needs not {text}, but {found} holds (ask why)"
            return Failure(literal=written, kind="negation", text="not " + text, message=msg, values=binding)
        if isinstance(lit, Comparison):
            return self.comparison(rule, lit, binding, types, depth)
        if isinstance(lit, NegatedConjunction):
            witness = self.witness(lit, binding, types)
            found = ", ".join(f"{k} = {value_text(v)}" for k, v in witness.items())
            return Failure(literal=written, kind="negation", text=written, values=binding,
                           message=f"{_name(rule)} needs {written}, but {conjunction_text(lit.body)} holds"
                                   + (f" with {found}" if found else ""))
        if isinstance(lit, Membership):
            value, *members = ctx.eval((lit.value,) + lit.members, binding, types)
            text = membership_values_text(lit, value, members)
            return Failure(literal=written, kind="membership", text=text, values=binding,
                           message=f"{_name(rule)} needs {written}, but {text} is false")
        return Failure(literal=written, kind="aggregate", text=f"{aggregate_text(lit)}",
                       message=f"{_name(rule)} needs {aggregate_text(lit)} to have a value, but nothing contributes",
                       values=binding)

    def witness(self, lit: NegatedConjunction, binding: dict, types: dict) -> dict:
        """The values of the first way (in order) the conditions of `not (...)` hold under `binding`."""
        ctx = self.ctx
        comp = ctx.compiler()
        q = comp.body(lit.body, ctx.bound_query(comp, binding, types), set(binding), delta_ok=False)
        own = sorted({v.name for v in ast.literal_vars(lit)} - set(binding) & set(q.exprs))
        row = ctx.rows(q.sql([q.exprs[n] for n in own] or ["1"]) + " LIMIT 1", comp.params, ALL_ROUNDS)
        return dict(zip(own, row[0])) if row and own else {}

    def comparison(self, rule: ast.Rule, c: Comparison, binding: dict, types: dict, depth: int) -> Failure:
        ctx = self.ctx
        left, right, holds = ctx.compare(c, binding, types)
        written = literal_text(c)
        text = f"{value_text(left)} {c.op} {value_text(right)}"
        agg = next((a for a in rule.body if isinstance(a, Aggregate)
                    and any(isinstance(s, ast.Var) and s.name == a.var.name for s in (c.left, c.right))), None)
        if agg is None:
            return Failure(literal=written, kind="comparison", text=text, values=binding,
                           message=f"{_name(rule)} needs {written}, but {text} is false")
        on_left = isinstance(c.left, ast.Var) and c.left.name == agg.var.name
        op = c.op if on_left else FLIP[c.op]
        other, need = (c.right, right) if on_left else (c.left, left)
        total = left if on_left else right
        group = {g: binding[g] for g in sorted(binding) if g != agg.var.name and g in {
            v.name for v in ast.literal_vars(agg)[1:]}}
        names, rows, inner_types = contributions(ctx, agg, group, types, ALL_ROUNDS)
        counted = [Part(binding=b, value=v) for b, v in rows]
        not_counted, goals = self.not_counted(agg, group, types, rows)
        hide = {agg.target.name} if isinstance(agg.target, ast.Var) else set()

        def name(p: Part) -> str:
            return " ".join(plain_value(x) for k, x in p.binding.items() if k not in hide)

        who = ", ".join(f"{name(p)} {value_text(p.value)}".strip() for p in counted) or "nothing counts"
        against = f" ({ast_text(other)})" if not isinstance(other, ast.Const) else ""
        msg = (f"{_name(rule)} needs {WORDS[op]} {value_text(need)}{against} from {aggregate_text(agg)}; "
               f"it comes to {value_text(total)}: {who}")
        if not_counted:
            msg += "; not counted: " + ", ".join(
                f"{name(p)} {value_text(p.value)} ({p.reason})".strip() for p in not_counted[:SHOW])
        subs = [self.explain(g, depth - 1) for g in sorted(set(goals))] if depth > 1 else []
        return Failure(literal=written, kind="comparison", text=text, message=msg, values=binding, counted=counted,
                       not_counted=not_counted, subgoals=subs)

    def not_counted(self, agg: Aggregate, group: dict, types: dict, rows) -> tuple[list[Part], list[GroundAtom]]:
        """Candidates the aggregate's evidence offers that its other conditions kept out, with the reason;
        and the ground derived atoms whose absence kept them out."""
        ctx = self.ctx
        goals: list[GroundAtom] = []
        agg = ast.numbered_wildcards(agg)  # a candidate's `_`s keep the names they have in the counted rows
        ev_atoms = tuple(x for x in agg.body if isinstance(x, Atom) and ctx.decls[x.predicate].is_evidence)
        if not ev_atoms or len(ev_atoms) == len(agg.body):
            return [], goals
        cand_agg = Aggregate(agg.var, agg.func, agg.distinct, agg.target, ev_atoms, agg.span)
        try:
            _, cands, cand_types = contributions(ctx, cand_agg, group, types, ALL_ROUNDS)
        except CompileError:
            return [], goals
        out = []
        for b, v in cands:
            if any(all(r.get(k) == x for k, x in b.items()) for r, _ in rows):
                continue
            full = dict(group, **b)
            reason = "excluded"
            for lit in agg.body:
                if isinstance(lit, Atom) and not ctx.decls[lit.predicate].is_evidence:
                    args = _partial_eval(ctx, lit.args, full, cand_types)
                    if not ctx.fact_rows(lit.predicate, args, ALL_ROUNDS):
                        reason = f"{atom_text(lit.predicate, args)} does not hold"
                        if None not in args:
                            goals.append(GroundAtom(lit.predicate, tuple(args)))
                        break
                if isinstance(lit, Negation):
                    a = lit.atom
                    args = _partial_eval(ctx, a.args, full, cand_types)
                    present = (ctx.records(a.predicate, args) if ctx.decls[a.predicate].is_evidence
                               else ctx.fact_rows(a.predicate, args, ALL_ROUNDS))
                    if present:
                        reason = f"{atom_text(a.predicate, args)} holds"
                        break
                if isinstance(lit, Comparison):
                    try:
                        _, _, ok = ctx.compare(lit, full, cand_types)
                    except CompileError:
                        continue
                    if not ok:
                        reason = f"{literal_text(lit)} is false"
                        break
            out.append(Part(binding=b, value=v, reason=reason))
        return out, goals


def _name(rule: ast.Rule) -> str:
    """The rule as a why-not sentence names it: its id, and the branch for a rule written with `or`."""
    return f"{rule.id} (branch {rule.branch})" if rule.branch else rule.id


def ast_text(e) -> str:
    from .terms import expr_text
    return expr_text(e)


def root_explanation(proof) -> str:
    """The explanation of the first rule application shown for a proof's root ('' when none is shown)."""
    root = proof.nodes[proof.root]
    return next((proof.nodes[d].explanation for d in root.derivations if proof.nodes[d].kind == "derivation"), "")


def why_not(conn, program: Program, run_id: str, atom, evidence_sql: EvidenceSQL, as_of: str | None = None,
            depth: int = 3, timeline: Timeline | None = None, explain=None) -> WhyNot:
    """Why a ground atom does not hold in a stored run (or that it does). With `timeline` (records that
    exist but that the run's clocks keep out, see `engine.store.timeline`) the answer names them with dates.
    `explain(atom)` gives the explanation of another conclusion named beside the answer (by default, its
    proof's over `evidence_sql`)."""
    ground = parse_atom(program, atom)
    ctx = Context(conn, program, run_id, evidence_sql, as_of, timeline)
    answer = Explainer(ctx, depth).explain(ground, depth, top=True)
    if answer.holds:
        return answer

    def explained(text: str) -> str:
        return root_explanation(build_proof(conn, program, run_id, text, evidence_sql, as_of,
                                            Limits(max_depth=1, max_derivations=1)))

    also = related_conclusions(conn, program, run_id, ground.predicate, ground.args, explain or explained)
    return answer.model_copy(update={"notes": answer.notes + also}) if also else answer


Failure.model_rebuild()
