"""The proof model: a DAG of frozen pydantic nodes, shared subproofs stored once.

A `Proof` names its `root` node and holds every node in `nodes`, keyed by a content-derived id
(sorted). Node kinds:

- fact         a ground atom that holds, with the rule applications (`derivations`) or, for an
               evidence predicate, the records (`evidence`) that establish it;
- derivation   one application of one rule: citation, binding, explanation, one premise per body literal;
- rulebook_fact  a fact the rulebook states itself (`fact`, a row of a `table`), with its citation;
- evidence     one in-force record, with its source and grades;
- absence      a negated atom that was looked for and not found;
- no_match     `not (...)` over several conditions: nothing satisfies them together;
- aggregate    sum/count/min/max with each contributing binding, its value and its own proof;
- comparison   a test between two values;
- membership   a value tested against a list (`in`, `not in`);
- omitted      an explicit marker where a limit cut the proof ("3 more derivations not shown");
- withheld     what a reader may not see (a record, a fact, a rule application, a contribution): what the
               reader may know of it and a salted hash commitment of it (engine/proof/redact.py).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

Value = Union[str, int, float, bool, None]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def node_id(prefix: str, *parts) -> str:
    """A short id derived from the node's identity: the same inputs give the same id."""
    text = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
    return f"{prefix}-{hashlib.sha256(text.encode()).hexdigest()[:12]}"


class Limits(_Frozen):
    """How much of a proof to show. Anything cut is replaced by an `omitted` node saying so."""

    max_depth: int = Field(64, ge=1, description="fact levels below the root that are expanded")
    max_derivations: int = Field(20, ge=1, description="derivations shown per fact")


class FactNode(_Frozen):
    kind: Literal["fact"] = "fact"
    id: str
    predicate: str
    args: list[Value]
    text: str = Field(description='the atom as written, e.g. blocked("A")')
    role: Literal["evidence", "derived", "conclusion"]
    holds: bool = True
    round: int | None = Field(None, description="height of the fact in the run (0 for evidence)")
    derivations: list[str] = Field(default_factory=list, description="ids of derivation (or omitted) nodes; for a "
                                   "fact the rulebook states (round 0), its rulebook_fact nodes")
    evidence: list[str] = Field(default_factory=list, description="ids of evidence leaves (evidence predicates)")
    withheld_args: list[int] = Field(default_factory=list, description="positions (from 0) of the arguments withheld "
                                     "from the reader: computed from withheld values, null in args, <withheld> in text")


class Premise(_Frozen):
    """One body literal of a rule application, instantiated, and the nodes that establish it."""

    literal: str = Field(description="the literal as the rule writes it")
    kind: Literal["atom", "negation", "comparison", "aggregate", "membership"]
    text: str = Field(description="the literal with the binding filled in")
    nodes: list[str]


class DerivationNode(_Frozen):
    kind: Literal["derivation"] = "derivation"
    id: str
    conclusion: str = Field(description="id of the fact this rule application derives")
    rule: str
    title: str
    citation: str
    rulebook: str
    version: str
    sha256: str
    binding: dict[str, Value]
    explanation: str
    premises: list[Premise]
    children: list[str] = Field(description="ids of every node the premises rest on, in order, once each")
    in_force: str | None = Field(None, description="the period the rule is in force, as the rulebook states it "
                                                   "(e.g. 'from 2024-07-03'); null when it always is")
    thresholds: dict[str, str] = Field(default_factory=dict, description="each dated threshold or constant the rule "
                                       "uses, with the value that applied on the assessment date and its period")
    branch: int | None = Field(None, description="for a rule written with `or`: the branch that held, from 1, "
                                                 "in the order the alternatives are written; null without `or`")
    alternative: str | None = Field(None, description="that branch's conditions from inside `or`, as written")
    withheld_vars: list[str] = Field(default_factory=list, description="the variables whose values are withheld from "
                                     "the reader (bound by withheld records or computed from them), sorted; not in "
                                     "the binding")

    def branch_text(self) -> str:
        """Which branch of `or` held: 'branch 2: ais_gap(V, H) and H > 24'; '' for a rule without `or`."""
        return f"branch {self.branch}: {self.alternative}" if self.branch else ""

    def law_text(self) -> str:
        """Which version of the law applied: 'in force from 2024-07-03; ownership_threshold 40% from 2024-07-03'."""
        parts = [f"in force {self.in_force}"] if self.in_force else []
        return "; ".join(parts + [f"{name} {value}" for name, value in self.thresholds.items()])


class RulebookFactNode(_Frozen):
    kind: Literal["rulebook_fact"] = "rulebook_fact"
    id: str
    predicate: str
    args: list[Value]
    text: str
    citation: str = Field(description="the legal source the rulebook cites for the fact")
    rulebook: str
    version: str
    sha256: str


class EvidenceNode(_Frozen):
    kind: Literal["evidence"] = "evidence"
    id: str
    predicate: str
    args: list[Value]
    text: str
    record: str | None = Field(description="the record's content hash")
    source: str | None = None
    source_name: str | None = None
    source_kind: str | None = None
    reliability: str | None = None
    credibility: Value = None
    grade: str | None = Field(None, description='reliability and credibility together, e.g. "B2"')
    jurisdiction: str | None = None
    document: str | None = None
    observed: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    recorded_at: str | None = None


class AbsenceNode(_Frozen):
    kind: Literal["absence"] = "absence"
    id: str
    predicate: str
    args: list[Value] = Field(description="the bound arguments; null where the rule wrote _")
    text: str = Field(description="the atom looked for")
    evidence: bool = Field(description="true when the predicate is evidence (records), false when derived")
    as_of: str
    run_id: str
    statement: str


class NoMatchNode(_Frozen):
    kind: Literal["no_match"] = "no_match"
    id: str
    conditions: str = Field(description="the conditions inside not (...), as the rule writes them")
    binding: dict[str, Value] = Field(description="the rule's variables among them, with their values; the "
                                                  "others may take any value")
    as_of: str
    run_id: str
    statement: str


class Threshold(_Frozen):
    op: str
    value: Value
    against: str = Field(description="the other side as the rule writes it, e.g. ownership_threshold")
    holds: bool


class Contribution(_Frozen):
    binding: dict[str, Value] = Field(description="the aggregate's own variables")
    value: Value
    nodes: list[str] = Field(description="ids of the nodes that establish this contribution")


class AggregateNode(_Frozen):
    kind: Literal["aggregate"] = "aggregate"
    id: str
    var: str
    function: Literal["sum", "count", "min", "max"]
    distinct: bool
    expression: str
    group: dict[str, Value] = Field(description="the variables shared with the rest of the rule")
    contributions: list[Contribution]
    total: Value
    compared: Threshold | None = None


class ComparisonNode(_Frozen):
    kind: Literal["comparison"] = "comparison"
    id: str
    text: str
    left: Value
    op: str
    right: Value
    holds: bool


class MembershipNode(_Frozen):
    kind: Literal["membership"] = "membership"
    id: str
    text: str
    value: Value
    members: list[Value]
    negated: bool = Field(description="true for `not in`: the value is none of the members")
    holds: bool


class OmittedNode(_Frozen):
    kind: Literal["omitted"] = "omitted"
    id: str
    reason: Literal["depth", "width"]
    count: int | None = None
    message: str


class WithheldNode(_Frozen):
    kind: Literal["withheld"] = "withheld"
    id: str = Field(description="derived from the commitment, never from what is withheld")
    stands_for: Literal["evidence", "fact", "derivation", "contribution"]
    statement: str = Field(description='what the reader may know, e.g. "a record of report graded B2 from a '
                                       'partner-state source, withheld: SECRET REL TO UK"')
    markings: list[str] = Field(description="the markings of the records withheld, sorted")
    commitment: str = Field(description="sha256: of a salt the case file keeps and what is withheld")


ProofNode = Annotated[
    Union[FactNode, DerivationNode, RulebookFactNode, EvidenceNode, AbsenceNode, NoMatchNode, AggregateNode,
          ComparisonNode, MembershipNode, OmittedNode, WithheldNode],
    Field(discriminator="kind"),
]


class RunInfo(_Frozen):
    run_id: str
    as_of: str
    recorded_until: str | None = Field(None, description="the moment the run looked at: evidence recorded after it is not "
                                                         "in force for this proof (an ISO timestamp, or a date for the whole day)")
    rulebook: str
    version: str
    sha256: str

    def clocks_text(self) -> str:
        """The run's two clocks in words: 'assessed as of 2024-03-01 on the evidence recorded up to 2026-12-02'."""
        known = self.recorded_until or self.as_of
        known = known[:10] if known.endswith("T23:59:59.999999Z") else known
        return f"assessed as of {self.as_of} on the evidence recorded up to {known}"


class Proof(_Frozen):
    """Why one ground atom holds: `root` is a fact node; `nodes` holds every node once."""

    format: Literal["warrant-proof/1"] = "warrant-proof/1"
    root: str
    atom: str
    run: RunInfo
    limits: Limits
    nodes: dict[str, ProofNode]

    def node(self, node_id: str):
        return self.nodes[node_id]

    def children(self, node_id: str) -> list[str]:
        """Ids directly below a node, in order."""
        n = self.nodes[node_id]
        if n.kind == "fact":
            return n.derivations + n.evidence
        if n.kind == "derivation":
            return n.children
        if n.kind == "aggregate":
            out: list[str] = []
            for c in n.contributions:
                out += [i for i in c.nodes if i not in out]
            return out
        return []


def proof_schema() -> dict:
    return Proof.model_json_schema()


def schema_text() -> str:
    return json.dumps(proof_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
