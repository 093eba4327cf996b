"""A proof for one reader: what the reader may not see becomes a *withheld* node.

`redact(proof, hidden, salt, rules, placeholders)` takes a full proof, the evidence leaves the reader may not
see (leaf id -> the record's marking text) and replaces, from the leaves up:

- a withheld record beside a visible one of the same fact by a withheld evidence node (the fact stays);
- a fact that rests only on withheld records, or whose arguments hold a *withheld value* (a value found
  only in withheld records, not in a visible one nor in the question), by a withheld fact node;
- a rule application resting on a withheld fact, or whose binding holds a withheld value, by a withheld
  derivation node -- except when only contributions to a sum, count, min or max are withheld: then each such
  contribution is a withheld contribution, the total and the aggregate's variable are withheld ("at least 35
  visible, plus withheld"), and the rest of the step stays checkable;
- the root, which the reader asked about, always stays.

Values computed from withheld values are withheld too (a taint analysis per rule application): a variable is
tainted when a withheld premise binds it (a number, or a name the reader sees nowhere), when a premise fact
withholds the argument it is bound to, when it is a total with withheld contributions, or when `=` relates it
to a tainted variable. A step with tainted variables stays when nothing shown reveals them: they leave the
binding for `withheld_vars`, a comparison over them shows only that it holds, the explanation shows
[withheld], and a head argument bound to one is withheld in the fact (`blocked_stake("A", <withheld>)`,
`withheld_args`), which taints the parent step in turn. A step that would still reveal one (a tainted
variable in a visible premise, equal to a constant, or in the root) is withheld as a whole; its head
arguments are tainted all the same.

Each withheld node carries a commitment, the SHA-256 of a salt the case file keeps for that record or node
and the canonical JSON of what it replaces; its id comes from the commitment, never from the content.
Nodes only the withheld parts used are dropped. The result is a proof the checker accepts step by step,
naming each withheld node."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Callable

from .model import AggregateNode, Contribution, DerivationNode, FactNode, Premise, Proof, WithheldNode
from ..syntax import ast
from .terms import fill_explanation, literal_text, value_text

WITHHELD = "[withheld]"
WITHHELD_ARG = "<withheld>"
Salt = Callable[[str], bytes]


def aggregate_shown(node: AggregateNode) -> str:
    """The value a premise shows for a partly withheld aggregate: 'at least 35 visible, plus withheld'."""
    seen = [c.value for c in node.contributions if c.binding or c.value is not None]
    if node.function == "sum" and all(isinstance(v, (int, float)) and v >= 0 for v in seen):
        return f"at least {value_text(sum(seen))} visible, plus withheld"
    if node.function == "count" and not node.distinct:
        return f"at least {len(seen)} visible, plus withheld"
    return "withheld"


class Redactor:
    def __init__(self, proof: Proof, hidden: dict[str, str], salt: Salt, rules, placeholders: dict):
        self.proof, self.hidden, self.salt = proof, hidden, salt
        self.rules = {(r.id, r.branch or None): r for r in rules}
        self.head_taint: dict[str, set[int]] = {}
        self.placeholders = placeholders
        self.out: dict[str, object] = {}
        self.done: dict[str, str] = {}
        root = proof.nodes[proof.root]
        leaves = [n for n in proof.nodes.values() if n.kind == "evidence"]
        seen = {_key(a) for n in leaves if n.id not in hidden for a in n.args} | {_key(a) for a in root.args}
        self.secret = {_key(a) for n in leaves if n.id in hidden for a in n.args} - seen
        self.seen = seen
        self.under: dict[str, set[str]] = {}

    # what is withheld beneath a node
    def markings(self, nid: str) -> set[str]:
        """The markings of the withheld records at or below `nid`."""
        if nid not in self.under:
            self.under[nid] = set()
            n = self.proof.nodes[nid]
            found = {self.hidden[nid]} if nid in self.hidden else set()
            for kid in self.proof.children(nid):
                found |= self.markings(kid)
            self.under[nid] = found
        return self.under[nid]

    def secret_in(self, values) -> bool:
        return any(_key(v) in self.secret for v in values)

    def withheld(self, nid: str, stands_for: str, statement: str, key: str | None = None) -> str:
        original = self.proof.nodes[nid]
        body = json.dumps(original.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        commitment = "sha256:" + hashlib.sha256(self.salt(key or nid) + body.encode()).hexdigest()
        marks = sorted(self.markings(nid))
        wid = "w-" + commitment[7:19]
        shown = f"{statement}, withheld: {'; '.join(marks)}" if marks else f"{statement}, withheld"
        self.out[wid] = WithheldNode(id=wid, stands_for=stands_for, statement=shown, markings=marks,
                                     commitment=commitment)
        return wid

    def new_id(self, prefix: str, nid: str) -> str:
        return f"{prefix}-{hashlib.sha256(self.salt(nid) + nid.encode()).hexdigest()[:12]}"

    # the walk, leaves up
    def node(self, nid: str) -> str:
        if nid not in self.done:
            n = self.proof.nodes[nid]
            handler = {"fact": self.fact, "evidence": self.leaf, "derivation": self.derivation,
                       "aggregate": self.aggregate}.get(n.kind)
            self.done[nid] = handler(n) if handler else self.keep(n)
        return self.done[nid]

    def keep(self, n) -> str:
        self.out[n.id] = n
        return n.id

    def leaf(self, n) -> str:
        if n.id not in self.hidden:
            return self.keep(n)
        return self.withheld(n.id, "evidence", f"a record of {n.predicate}{_graded(n)}", key=n.record)

    def fact(self, n: FactNode) -> str:
        root = n.id == self.proof.root
        if not root and self.secret_in(n.args):
            return self.withheld(n.id, "fact", f"a fact of {n.predicate} resting on records withheld from you")
        if n.role == "evidence":
            leaves = [self.proof.nodes[x] for x in n.evidence]
            if not root and all(x.id in self.hidden for x in leaves):
                grades = sorted({_graded(x) for x in leaves})
                what = (f"a record of {n.predicate}{grades[0]}" if len(leaves) == 1
                        else f"{len(leaves)} records of {n.predicate}")
                return self.withheld(n.id, "fact", what)
            self.out[n.id] = n.model_copy(update={"evidence": [self.node(x) for x in n.evidence]})
            return n.id
        derivations = [self.node(x) for x in n.derivations]
        spots = set().union(*(self.head_taint.get(x, set()) for x in n.derivations)) if n.derivations else set()
        if not spots or root:
            self.out[n.id] = n.model_copy(update={"derivations": derivations})
            return n.id
        fid = self.new_id("f", n.id)
        for i, (old, new) in enumerate(zip(n.derivations, derivations)):
            if self.out[new].kind != "derivation":
                continue
            if spots <= self.head_taint[old]:
                self.out[new] = self.out[new].model_copy(update={"conclusion": fid})
            else:
                derivations[i] = self.withheld(old, "derivation", _whole(self.proof.nodes[old]))
        args = [None if i in spots else a for i, a in enumerate(n.args)]
        self.out[fid] = n.model_copy(update={"id": fid, "args": args, "text": withheld_atom_text(n.predicate, args, spots),
                                             "withheld_args": sorted(spots), "derivations": derivations})
        return fid

    def rule_of(self, d: DerivationNode):
        return self.rules.get((d.rule, d.branch or None))

    def taint(self, d: DerivationNode, rule, nodes: list[list[str]]) -> set[str]:
        """The variables of `d` whose values the reader may not have: bound by a withheld premise (numbers, and
        names the reader sees nowhere), at a withheld argument of a premise fact, the result of an aggregate with
        withheld contributions, or computed (`=`) with any of these."""
        tainted = {k for k, v in d.binding.items() if _key(v) in self.secret}
        for p, ids in zip(d.premises, nodes):
            lit = self.literal(rule, p)
            outs = [self.out[x] for x in ids]
            if p.kind == "aggregate" and ids[0] != p.nodes[0]:
                tainted.add(outs[0].var)
            elif p.kind == "atom" and outs and (all(o.kind == "withheld" for o in outs) or any(
                    o.kind == "withheld" and o.stands_for == "fact" for o in outs)):
                tainted |= {v.name for v in ast.literal_vars(lit) if _numeric(d.binding.get(v.name))
                            or _key(d.binding.get(v.name)) not in self.seen}
            elif p.kind == "atom":
                for o in outs:
                    for i in getattr(o, "withheld_args", []):
                        tainted |= {v.name for v in ast.expr_vars(lit.args[i])}
        grown = True
        while grown:
            grown = False
            for lit in rule.body:
                names = {v.name for v in ast.literal_vars(lit)} if isinstance(lit, ast.Comparison) and lit.op == "=" else set()
                if names & tainted and not names <= tainted:
                    tainted |= names
                    grown = True
        return tainted

    def literal(self, rule, p: Premise):
        return next(lit for lit in rule.body if literal_text(lit) == p.literal)

    def leaks(self, d: DerivationNode, rule, nodes: list[list[str]], tainted: set[str]) -> bool:
        """Whether showing `d` with `tainted` withheld would still let the reader compute a withheld value: a
        tainted variable shown in a visible premise, tested for equality with a constant, or in the root."""
        if not tainted:
            return False
        if d.conclusion == self.proof.root and self.head_taint[d.id]:
            return True
        for p, ids in zip(d.premises, nodes):
            lit = self.literal(rule, p)
            outs = [self.out[x] for x in ids]
            if p.kind == "atom":
                visible = [o for o in outs if o.kind != "withheld"]
                for i, arg in enumerate(lit.args):
                    if {v.name for v in ast.expr_vars(arg)} & tainted and not all(
                            i in getattr(o, "withheld_args", []) for o in visible):
                        return True
                if any({v.name for v in ast.expr_vars(m.value)} & tainted for m in lit.meta):
                    return True
            elif p.kind == "aggregate":
                agg = outs[0]
                if set(agg.group) & tainted or (lit.var.name in tainted and ids[0] == p.nodes[0]):
                    return True
            elif p.kind == "comparison":
                sides = [{v.name for v in ast.expr_vars(x)} for x in (lit.left, lit.right)]
                if lit.op == "=" and (sides[0] | sides[1]) & tainted and not (sides[0] and sides[1]):
                    return True
            elif {v.name for v in ast.literal_vars(lit)} & tainted:
                return True
        absorbed = [c for c in rule.body if isinstance(c, ast.Comparison)
                    and not any(literal_text(c) == p.literal for p in d.premises)]
        totals = self.hidden_totals(d, nodes)
        return any({v.name for v in ast.literal_vars(c)} & (tainted - totals) for c in absorbed)

    def hidden_totals(self, d: DerivationNode, nodes: list[list[str]]) -> set[str]:
        return {self.out[ids[0]].var for p, ids in zip(d.premises, nodes) if p.kind == "aggregate" and ids[0] != p.nodes[0]}

    def derivation(self, d: DerivationNode) -> str:
        whole = _whole(d)
        rule = self.rule_of(d)
        nodes = [[self.node(x) for x in p.nodes] for p in d.premises]
        tainted = self.taint(d, rule, nodes) if rule else set()
        head = rule.head.args if rule else []
        self.head_taint[d.id] = {i for i, a in enumerate(head) if {v.name for v in ast.expr_vars(a)} & tainted}
        if rule is None or self.secret_in(d.binding.values()) or self.leaks(d, rule, nodes, tainted):
            return self.withheld(d.id, "derivation", whole)
        premises = []
        for p, ids in zip(d.premises, nodes):
            kinds = [self.out[x].kind for x in ids]
            if p.kind == "aggregate" and ids[0] != p.nodes[0]:
                agg = self.out[ids[0]]
                shown = f"{agg.expression} = {aggregate_shown(agg)}"
                if agg.compared:
                    shown += f" {agg.compared.op} {value_text(agg.compared.value)}"
                premises.append(Premise(literal=p.literal, kind=p.kind, text=shown, nodes=ids))
            elif (kinds and all(k == "withheld" for k in kinds)) or any(
                    k == "withheld" and self.out[x].stands_for == "fact" for x, k in zip(ids, kinds)):
                return self.withheld(d.id, "derivation", whole)
            elif p.kind == "comparison" and {v.name for v in ast.literal_vars(self.literal(rule, p))} & tainted:
                premises.append(self.holds(p, ids[0]))
            elif p.kind == "atom" and any(getattr(self.out[x], "withheld_args", []) for x in ids):
                lit, shown = self.literal(rule, p), self.out[ids[0]]
                wild = {i for i, a in enumerate(lit.args) if isinstance(a, ast.Wildcard)}
                args = [None if i in wild else a for i, a in enumerate(shown.args)]
                text = withheld_atom_text(shown.predicate, args, set(shown.withheld_args) - wild)
                premises.append(p.model_copy(update={"nodes": ids, "text": text}))
            else:
                premises.append(p.model_copy(update={"nodes": ids}))
        if not tainted and all(p.nodes == q.nodes for p, q in zip(premises, d.premises)):
            return self.keep(d)
        binding = {k: x for k, x in d.binding.items() if k not in tainted}
        explanation = d.explanation if not tainted else fill_explanation(
            rule.explanation, {**self.placeholders, **binding, **{v: WITHHELD for v in tainted}})
        children: list[str] = []
        for p in premises:
            children += [x for x in p.nodes if x not in children]
        did = self.new_id("d", d.id) if tainted else d.id
        self.out[did] = d.model_copy(update={"id": did, "binding": binding, "explanation": explanation,
                                             "premises": premises, "children": children,
                                             "withheld_vars": sorted(tainted - self.hidden_totals(d, nodes))})
        return did

    def holds(self, p: Premise, cid: str) -> Premise:
        """A comparison over withheld values: it holds, and its values are not shown."""
        c = self.proof.nodes[cid]
        nid = self.new_id("c", cid)
        self.out[nid] = c.model_copy(update={"id": nid, "text": f"{p.literal}: holds", "left": None, "right": None})
        return p.model_copy(update={"text": "holds", "nodes": [nid]})

    def aggregate(self, g: AggregateNode) -> str:
        contributions, withheld = [], False
        for c in g.contributions:
            nodes = [self.node(x) for x in c.nodes]
            if self.secret_in(list(c.binding.values()) + [c.value]) or any(
                    self.out[x].kind == "withheld" or getattr(self.out[x], "withheld_args", None) for x in nodes):
                withheld = True
                wid = self.withheld_contribution(g, c)
                contributions.append(Contribution(binding={}, value=None, nodes=[wid]))
            else:
                contributions.append(c.model_copy(update={"nodes": nodes}))
        if not withheld:
            return self.keep(g.model_copy(update={"contributions": contributions}))
        gid = self.new_id("g", g.id)
        self.out[gid] = g.model_copy(update={"id": gid, "contributions": contributions, "total": None})
        return gid

    def withheld_contribution(self, g: AggregateNode, c: Contribution) -> str:
        marks = set().union(*(self.markings(x) for x in c.nodes)) if c.nodes else set()
        body = json.dumps(c.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        key = f"{g.id}/{body}"
        commitment = "sha256:" + hashlib.sha256(self.salt(key) + body.encode()).hexdigest()
        wid = "w-" + commitment[7:19]
        what = f"a contribution to {g.function}({g.expression.split('(', 1)[-1].rstrip(')')})"
        self.out[wid] = WithheldNode(id=wid, stands_for="contribution",
                                     statement=f"{what} resting on records withheld from you"
                                     + (f", withheld: {'; '.join(sorted(marks))}" if marks else ", withheld"),
                                     markings=sorted(marks), commitment=commitment)
        return wid


def _whole(d: DerivationNode) -> str:
    return f"rule {d.rule} \"{d.title}\" (cites {d.citation}) applied to evidence withheld from you"


def _numeric(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def withheld_atom_text(predicate: str, args: list, withheld: set[int]) -> str:
    """An atom with the arguments at `withheld` shown as <withheld>: 'blocked_stake("A", <withheld>)'."""
    return f"{predicate}({', '.join(WITHHELD_ARG if i in withheld else value_text(a) for i, a in enumerate(args))})"


def _graded(n) -> str:
    grade = f" graded {n.grade}" if n.grade else ""
    return f"{grade} from a {n.source_kind} source" if n.source_kind else grade


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def redact(proof: Proof, hidden: dict[str, str], salt: Salt, rules, placeholders: dict) -> Proof:
    """The proof as a reader sees it who may not see the evidence leaves `hidden` (leaf id -> marking text).
    `rules` are the program's rules in force (plain, one per branch of `or`); `placeholders` are the values an
    explanation may name besides the binding (thresholds, as_of), as the proof builder fills them."""
    if not hidden:
        return proof
    r = Redactor(proof, hidden, salt, rules, placeholders)
    root = r.node(proof.root)
    reached, todo = set(), [root]
    while todo:
        nid = todo.pop()
        if nid in reached:
            continue
        reached.add(nid)
        n = r.out[nid]
        todo += _children(n)
    return proof.model_copy(update={"nodes": dict(sorted((k, v) for k, v in r.out.items() if k in reached))})


def _children(n) -> list[str]:
    if n.kind == "fact":
        return n.derivations + n.evidence
    if n.kind == "derivation":
        return n.children
    if n.kind == "aggregate":
        return [x for c in n.contributions for x in c.nodes]
    return []


def withheld_nodes(proof: Proof) -> list[WithheldNode]:
    """The proof's withheld nodes, by id."""
    return [n for _, n in sorted(proof.nodes.items()) if n.kind == "withheld"]


def withheld_banner(proof: Proof) -> str | None:
    """The first line of any rendering of a proof that rests on withheld evidence; None when nothing is."""
    found = withheld_nodes(proof)
    if not found:
        return None
    marks = sorted({m for n in found for m in n.markings})
    return (f"{proof.atom} rests in part on evidence withheld from you ({len(found)} withheld part"
            f"{'s' if len(found) > 1 else ''}{': ' + '; '.join(marks) if marks else ''})")


def total_text(node: AggregateNode) -> str:
    """An aggregate's total as a reader sees it: the value, or what may be said of it when parts are withheld."""
    return aggregate_shown(node) if node.total is None and _partly_withheld(node) else value_text(node.total)


def contribution_value(c: Contribution) -> str:
    return "withheld" if not c.binding and c.value is None else value_text(c.value)


def _partly_withheld(node: AggregateNode) -> bool:
    return any(not c.binding and c.value is None for c in node.contributions)
