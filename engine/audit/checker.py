"""The independent proof checker: re-checks an exported proof step by step.

It reads the proof as plain JSON, the rulebooks as text (parsed by engine.syntax, the only
part of Warrant it uses) and the evidence records; it imports nothing from the evaluator or
the proof builder, and recomputes on its own: record hashes, which records were in force,
every comparison, every aggregate total. Checks, in order, for each step it reaches:
- each rule exists in a rulebook whose text has the stated SHA-256;
- the rule's head under the binding is the fact derived; every comparison holds;
- each positive literal is established by a fact node of matching predicate and arguments;
- aggregates recompute from their contributions to the stated total;
- each absence holds: no record in force at the run's moment matches (derived: the run's facts);
- each evidence leaf is a record whose recomputed hash is the one stated, in force at the time;
- derived facts rest on facts of strictly lower rounds (no circular support).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass, field

from ..source import SourceFile
from ..syntax import ast
from ..syntax.parser import parse_text

HASHED_META = ("source", "document", "credibility", "observed", "valid_from", "valid_to", "action")
LEAF_FIELDS = ("source", "source_name", "source_kind", "reliability", "credibility", "jurisdiction", "document",
               "observed", "valid_from", "valid_to", "recorded_at")
WILD = object()


class Invalid(Exception):
    """The first step that does not check, and why."""

    def __init__(self, step: str, reason: str):
        self.step, self.reason = step, reason
        super().__init__(f"{step}: {reason}")


@dataclass(frozen=True)
class Verdict:
    valid: bool
    step: str | None = None
    reason: str | None = None
    checked: dict = field(default_factory=dict)

    def __str__(self) -> str:
        if self.valid:
            return "valid"
        return f"invalid: {self.step}: {self.reason}"


def _canonical(v):
    """Numbers as the store validated them: integral values are integers."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def record_hash(record: dict) -> str:
    """The content hash of an evidence record, as the store defines it."""
    body = {"predicate": record["predicate"], "args": [_canonical(a) for a in record["args"]]}
    body.update({k: record.get(k) for k in HASHED_META})
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def same(a, b) -> bool:
    """Equal values, numbers compared as numbers (25 == 25.0)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def cutoff_of(as_of: str) -> tuple[str, str]:
    """(recorded-at cutoff, day) of a run's moment; a bare date covers the whole day."""
    if len(as_of) == 10:
        return as_of + "T23:59:59.999999Z", as_of
    return as_of, as_of[:10]


class Evidence:
    """Evidence records (asserts and retractions) with the store's in-force rule, reimplemented."""

    def __init__(self, records: list[dict]):
        self.records = records
        self.by_hash = {r["hash"]: r for r in records}

    def in_force(self, rec: dict, as_of: str) -> bool:
        cutoff, day = cutoff_of(as_of)
        if rec.get("action", "assert") != "assert" or rec["recorded_at"] > cutoff:
            return False
        if (rec.get("valid_from") or "") > day or (rec.get("valid_to") and day >= rec["valid_to"]):
            return False
        for other in self.records:
            if (other.get("action") == "retract" and other["predicate"] == rec["predicate"]
                    and _args_equal(other["args"], rec["args"]) and other["recorded_at"] <= cutoff
                    and (other.get("valid_from") or other["recorded_at"][:10]) <= day):
                return False
        return True

    def matching(self, predicate: str, pattern: list, as_of: str) -> list[dict]:
        return [r for r in self.records if r["predicate"] == predicate and _matches(r["args"], pattern)
                and self.in_force(r, as_of)]


def _args_equal(a: list, b: list) -> bool:
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


def _matches(args: list, pattern: list) -> bool:
    return len(args) == len(pattern) and all(p is WILD or p is None or same(a, p) for a, p in zip(args, pattern))


class Rulebooks:
    """Rulebook texts by SHA-256, parsed."""

    def __init__(self, texts: dict[str, str]):
        self.books = {}
        for name, text in texts.items():
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            self.books[sha] = parse_text(SourceFile(name, text))
        self.decls = {d.name: d for rb in self.books.values() for d in rb.declarations}
        self.constants = {c.name: c.value.value for rb in self.books.values() for c in rb.constants}

    def rule(self, derivation: dict) -> ast.Rule:
        book = self.books.get(derivation["sha256"])
        if book is None:
            raise Invalid(derivation["id"], f"no rulebook with sha256 {derivation['sha256'][:12]}… was provided "
                                            f"(the proof cites {derivation['rulebook']} version {derivation['version']})")
        if book.id != derivation["rulebook"] or book.version != derivation["version"]:
            raise Invalid(derivation["id"], f"rulebook {derivation['sha256'][:12]}… is {book.id} version {book.version}, "
                                            f"not {derivation['rulebook']} version {derivation['version']}")
        rule = next((r for r in book.rules if r.id == derivation["rule"]), None)
        if rule is None:
            raise Invalid(derivation["id"], f"rule {derivation['rule']} is not in {book.id} version {book.version}")
        if rule.citation != derivation["citation"] or rule.title != derivation["title"]:
            raise Invalid(derivation["id"], f"rule {rule.id}'s title or citation differs from the rulebook's")
        return rule


class Checker:
    """Walks a proof from its root; raises Invalid at the first step that fails."""

    def __init__(self, proof: dict, rulebooks: Rulebooks, evidence: Evidence, run_facts: dict[str, list[list]] | None):
        self.proof, self.books, self.evidence = proof, rulebooks, evidence
        self.nodes = proof["nodes"]
        self.as_of = proof["run"].get("recorded_until") or proof["run"]["as_of"]
        self.run_facts = run_facts
        self.done: set[str] = set()
        self.counts = {"facts": 0, "derivations": 0, "evidence": 0, "absences": 0, "aggregates": 0, "comparisons": 0}

    def node(self, nid: str, kind: str | None = None) -> dict:
        n = self.nodes.get(nid)
        if n is None:
            raise Invalid(nid, "the proof refers to a node it does not contain")
        if kind and n["kind"] != kind:
            raise Invalid(nid, f"expected a {kind} node, found {n['kind']}")
        return n

    def fact(self, nid: str, stack: tuple = ()) -> dict:
        if nid in stack:
            raise Invalid(nid, "circular proof: this fact is used to prove itself")
        f = self.node(nid, "fact")
        if nid in self.done:
            return f
        self.counts["facts"] += 1
        if f["role"] == "evidence":
            if not f["evidence"]:
                raise Invalid(nid, f"{f['text']} is evidence but no record is given for it")
            for leaf in f["evidence"]:
                self.leaf(leaf, f)
        else:
            shown = [d for d in f["derivations"] if self.nodes.get(d, {}).get("kind") == "derivation"]
            if not shown:
                raise Invalid(nid, f"{f['text']} has no derivation shown (cut by a limit?); export with larger limits")
            for d in shown:
                self.derivation(d, f, stack + (nid,))
        self.done.add(nid)
        return f

    def leaf(self, nid: str, fact: dict) -> None:
        leaf = self.node(nid, "evidence")
        if nid in self.done:
            return
        self.done.add(nid)
        self.counts["evidence"] += 1
        rec = self.evidence.by_hash.get(leaf["record"])
        if rec is None:
            raise Invalid(nid, f"record {str(leaf['record'])[:12]}… of {leaf['text']} is not among the evidence provided")
        if record_hash(rec) != rec["hash"]:
            raise Invalid(nid, f"record {rec['hash'][:12]}… was altered: its content no longer has that hash")
        if rec["predicate"] != fact["predicate"] or not _args_equal(rec["args"], fact["args"]):
            raise Invalid(nid, f"record {rec['hash'][:12]}… says {rec['predicate']}{tuple(rec['args'])}, not {fact['text']}")
        for name in LEAF_FIELDS:
            if name in rec and not same(rec.get(name), leaf.get(name)):
                raise Invalid(nid, f"the proof gives {name} = {leaf.get(name)!r} but the record has {rec.get(name)!r}")
        if not self.evidence.in_force(rec, self.as_of):
            raise Invalid(nid, f"record {rec['hash'][:12]}… was not in force as of {self.as_of}")

    def derivation(self, nid: str, fact: dict, stack: tuple) -> None:
        d = self.node(nid, "derivation")
        self.counts["derivations"] += 1
        rule = self.books.rule(d)
        b = d["binding"]
        head = [self.value(a, b, nid) for a in rule.head.args]
        if rule.head.predicate != fact["predicate"] or not _args_equal(head, fact["args"]):
            raise Invalid(nid, f"rule {rule.id} under this binding derives {rule.head.predicate}{tuple(head)}, "
                               f"not {fact['text']}")
        premises = [p for p in d["premises"] if p["kind"] != "comparison"]
        self.body(rule.body, b, premises, nid, fact, stack)

    def body(self, body, b: dict, premises: list[dict], nid: str, fact: dict, stack: tuple) -> None:
        queue = list(premises)
        for lit in body:
            if isinstance(lit, ast.Comparison):
                self.comparison(lit, b, nid)
                continue
            if not queue:
                raise Invalid(nid, "a condition of the rule has no premise in the proof")
            premise = queue.pop(0)
            if isinstance(lit, ast.Atom):
                self.atom(lit, b, premise, nid, fact, stack)
            elif isinstance(lit, ast.Negation):
                self.absence(lit.atom, b, premise, nid)
            else:
                self.aggregate(lit, b, premise, nid, fact, stack)

    def atom(self, lit: ast.Atom, b: dict, premise: dict, nid: str, fact: dict, stack: tuple) -> None:
        pattern = [self.pattern(a, b, nid) for a in lit.args]
        found = [self.nodes.get(n) for n in premise["nodes"]]
        match = [n for n in found if n and n["kind"] in ("fact", "evidence") and n["predicate"] == lit.predicate
                 and _matches(n["args"], pattern)]
        if not match:
            shown = ", ".join("_" if p is WILD else json.dumps(p) for p in pattern)
            raise Invalid(nid, f"no premise establishes {lit.predicate}({shown})")
        leaves = []
        for n in match:
            if n["kind"] == "evidence":
                self.leaf(n["id"], n)
                leaves.append(n)
                continue
            self.fact(n["id"], stack)
            leaves += [self.nodes[x] for x in n.get("evidence", [])]
            if fact.get("round") is not None and n.get("round") is not None and n["round"] >= fact["round"]:
                raise Invalid(nid, f"{n['text']} (round {n['round']}) cannot support {fact['text']} (round {fact['round']})")
        if lit.meta and not any(
                all(same(leaf.get(m.field), self.value(m.value, b, nid)) for m in lit.meta
                    if not isinstance(m.value, ast.Wildcard)) for leaf in leaves):
            raise Invalid(nid, f"no record of {lit.predicate} has the metadata the rule requires")

    def absence(self, atom: ast.Atom, b: dict, premise: dict, nid: str) -> None:
        self.counts["absences"] += 1
        pattern = [self.pattern(a, b, nid) for a in atom.args]
        node = self.node(premise["nodes"][0], "absence")
        if node["predicate"] != atom.predicate or not _matches([p for p in node["args"]], [None if p is WILD else p for p in pattern]):
            raise Invalid(node["id"], f"the absence looked for {node['text']}, not what rule requires")
        decl = self.books.decls.get(atom.predicate)
        if decl is not None and decl.is_evidence:
            present = self.evidence.matching(atom.predicate, pattern, self.as_of)
            if present:
                raise Invalid(node["id"], f"absence claimed but record {present[0]['hash'][:12]}… of "
                                          f"{atom.predicate}{tuple(present[0]['args'])} was in force as of {self.as_of}")
        elif self.run_facts is not None:
            rows = self.run_facts.get(atom.predicate, [])
            if any(_matches(r, pattern) for r in rows):
                raise Invalid(node["id"], f"absence claimed but the run derived {node['text']}")

    def aggregate(self, agg: ast.Aggregate, b: dict, premise: dict, nid: str, fact: dict, stack: tuple) -> None:
        self.counts["aggregates"] += 1
        node = self.node(premise["nodes"][0], "aggregate")
        for name, value in node["group"].items():
            if name in b and not same(b[name], value):
                raise Invalid(node["id"], f"the aggregate's group {name} = {value!r} differs from the binding {b[name]!r}")
        seen, values = set(), []
        for c in node["contributions"]:
            full = dict(b, **node["group"], **c["binding"])
            counted = agg.func == "count" and not agg.distinct  # count: each binding counts once
            target = 1 if counted else self.value(agg.target, full, node["id"])
            if c["value"] is not None and not same(target, c["value"]):
                raise Invalid(node["id"], f"a contribution's value is {c['value']!r} but its binding gives {target!r}")
            sub = [{"kind": self.nodes[n]["kind"], "nodes": [n]} for n in c["nodes"]]
            self.contribution(agg.body, full, sub, node["id"], fact, stack)
            key = json.dumps(c["binding"], sort_keys=True)
            if key not in seen:
                seen.add(key)
                values.append(target)
        total = _aggregate(agg, values)
        if not same(total, node["total"]) or not same(total, b.get(agg.var.name)):
            raise Invalid(node["id"], f"{agg.func} of the contributions is {total!r}, not the stated {node['total']!r}")

    def contribution(self, body, b: dict, sub: list[dict], nid: str, fact: dict, stack: tuple) -> None:
        for lit in body:
            if isinstance(lit, ast.Comparison):
                self.comparison(lit, b, nid)
            elif isinstance(lit, ast.Atom):
                nodes = [s["nodes"][0] for s in sub if s["kind"] in ("fact", "evidence")]
                self.atom(lit, b, {"nodes": nodes}, nid, fact, stack)
            elif isinstance(lit, ast.Negation):
                absences = [s for s in sub if s["kind"] == "absence"
                            and self.nodes[s["nodes"][0]]["predicate"] == lit.atom.predicate]
                if not absences:
                    raise Invalid(nid, f"no absence shown for not {lit.atom.predicate}(...)")
                self.absence(lit.atom, b, absences[0], nid)

    def comparison(self, lit: ast.Comparison, b: dict, nid: str) -> None:
        self.counts["comparisons"] += 1
        left, right = self.value(lit.left, b, nid), self.value(lit.right, b, nid)
        ok = {"=": same(left, right), "!=": not same(left, right), "<": left < right, "<=": left <= right,
              ">": left > right, ">=": left >= right}[lit.op]
        if not ok:
            raise Invalid(nid, f"comparison fails: {left!r} {lit.op} {right!r}")

    # values
    def pattern(self, e, b: dict, nid: str):
        return WILD if isinstance(e, ast.Wildcard) else self.value(e, b, nid)

    def value(self, e, b: dict, nid: str):
        if isinstance(e, ast.Var):
            if e.name not in b:
                raise Invalid(nid, f"the binding gives no value for {e.name}")
            return b[e.name]
        if isinstance(e, ast.Const):
            return e.value
        if isinstance(e, ast.ConstRef):
            if e.name == "as_of":
                return cutoff_of(self.as_of)[1]
            return self.books.constants[e.name]
        if isinstance(e, ast.Neg):
            return -self.value(e.operand, b, nid)
        if isinstance(e, ast.BinOp):
            return _arith(e.op, self.value(e.left, b, nid), self.value(e.right, b, nid))
        raise Invalid(nid, "_ has no value")


def _arith(op: str, a, b):
    if isinstance(a, str) and isinstance(b, str) and op == "-":
        return (dt.date.fromisoformat(a) - dt.date.fromisoformat(b)).days
    if isinstance(a, str):
        days = dt.timedelta(days=b)
        return (dt.date.fromisoformat(a) + (days if op == "+" else -days)).isoformat()
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b if b else math.nan}[op]


def _aggregate(agg: ast.Aggregate, values: list):
    if agg.func == "count":
        return len(set(json.dumps(v) for v in values)) if agg.distinct else len(values)
    if agg.func == "sum":
        return sum(values)
    return (min if agg.func == "min" else max)(values) if values else None


def check_proof(proof: dict, rulebook_texts: dict[str, str], records: list[dict],
                run_facts: dict[str, list[list]] | None = None) -> Verdict:
    """Check a proof (as JSON) against rulebook texts and evidence records; the first failing step is reported."""
    try:
        checker = Checker(proof, Rulebooks(rulebook_texts), Evidence(records), run_facts)
        checker.fact(proof["root"])
        return Verdict(True, checked=checker.counts)
    except Invalid as exc:
        return Verdict(False, exc.step, exc.reason)
    except (KeyError, TypeError, ValueError) as exc:
        return Verdict(False, "proof", f"malformed proof: {exc!r}")
