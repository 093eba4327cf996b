"""A proof for one reader: what the reader may not see becomes a *withheld* node.

`redact(proof, hidden, salt, explanations)` takes a full proof, the evidence leaves the reader may not
see (leaf id -> the record's marking text) and replaces, from the leaves up:

- a withheld record beside a visible one of the same fact by a withheld evidence node (the fact stays);
- a fact that rests only on withheld records, or whose arguments hold a *withheld value* (a value found
  only in withheld records, not in a visible one nor in the question), by a withheld fact node;
- a rule application resting on a withheld fact, or whose binding holds a withheld value, by a withheld
  derivation node -- except when only contributions to a sum, count, min or max are withheld: then each such
  contribution is a withheld contribution, the total and the aggregate's variable are withheld ("at least 35
  visible, plus withheld"), and the rest of the step stays checkable;
- the root, which the reader asked about, always stays.

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
from .terms import fill_explanation, value_text

WITHHELD = "[withheld]"
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
    def __init__(self, proof: Proof, hidden: dict[str, str], salt: Salt, explanations: dict[str, str],
                 placeholders: dict):
        self.proof, self.hidden, self.salt, self.explanations = proof, hidden, salt, explanations
        self.placeholders = placeholders
        self.out: dict[str, object] = {}
        self.done: dict[str, str] = {}
        root = proof.nodes[proof.root]
        leaves = [n for n in proof.nodes.values() if n.kind == "evidence"]
        seen = {_key(a) for n in leaves if n.id not in hidden for a in n.args} | {_key(a) for a in root.args}
        self.secret = {_key(a) for n in leaves if n.id in hidden for a in n.args} - seen
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
        self.out[n.id] = n.model_copy(update={"derivations": [self.node(x) for x in n.derivations]})
        return n.id

    def derivation(self, d: DerivationNode) -> str:
        whole = f"rule {d.rule} \"{d.title}\" (cites {d.citation}) applied to evidence withheld from you"
        if self.secret_in(d.binding.values()):
            return self.withheld(d.id, "derivation", whole)
        premises, hidden_vars = [], set()
        for p in d.premises:
            nodes = [self.node(x) for x in p.nodes]
            kinds = [self.out[x].kind for x in nodes]
            if p.kind == "aggregate" and nodes[0] != p.nodes[0]:
                agg = self.out[nodes[0]]
                hidden_vars.add(agg.var)
                shown = f"{agg.expression} = {aggregate_shown(agg)}"
                if agg.compared:
                    shown += f" {agg.compared.op} {value_text(agg.compared.value)}"
                premises.append(Premise(literal=p.literal, kind=p.kind, text=shown, nodes=nodes))
                continue
            withheld_facts = [x for x, k in zip(nodes, kinds) if k == "withheld" and self.out[x].stands_for == "fact"]
            if withheld_facts or (kinds and all(k == "withheld" for k in kinds)):
                return self.withheld(d.id, "derivation", whole)
            premises.append(p.model_copy(update={"nodes": nodes}))
        if not hidden_vars and all(p.nodes == q.nodes for p, q in zip(premises, d.premises)):
            return self.keep(d)
        template = self.explanations.get(d.rule)
        uses = [p for p in d.premises if p.kind != "aggregate"
                and any(re.search(rf"\b{re.escape(v)}\b", p.literal) for v in hidden_vars)]
        head = {_key(a) for a in self.proof.nodes[d.conclusion].args}
        if hidden_vars and (template is None or uses or any(_key(d.binding.get(v)) in head for v in hidden_vars)):
            return self.withheld(d.id, "derivation", whole)
        binding = {k: x for k, x in d.binding.items() if k not in hidden_vars}
        explanation = d.explanation if not hidden_vars else fill_explanation(
            template, {**self.placeholders, **binding, **{v: WITHHELD for v in hidden_vars}})
        children: list[str] = []
        for p in premises:
            children += [x for x in p.nodes if x not in children]
        did = self.new_id("d", d.id) if hidden_vars else d.id
        self.out[did] = d.model_copy(update={"id": did, "binding": binding, "explanation": explanation,
                                             "premises": premises, "children": children})
        return did

    def aggregate(self, g: AggregateNode) -> str:
        contributions, withheld = [], False
        for c in g.contributions:
            nodes = [self.node(x) for x in c.nodes]
            if self.secret_in(list(c.binding.values()) + [c.value]) or any(self.out[x].kind == "withheld" for x in nodes):
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


def _graded(n) -> str:
    grade = f" graded {n.grade}" if n.grade else ""
    return f"{grade} from a {n.source_kind} source" if n.source_kind else grade


def _key(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def redact(proof: Proof, hidden: dict[str, str], salt: Salt, explanations: dict[str, str],
           placeholders: dict) -> Proof:
    """The proof as a reader sees it who may not see the evidence leaves `hidden` (leaf id -> marking text).
    `explanations` maps a rule id to its `because` text; `placeholders` are the values an explanation may
    name besides the binding (thresholds, as_of), as the proof builder fills them."""
    if not hidden:
        return proof
    r = Redactor(proof, hidden, salt, explanations, placeholders)
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
