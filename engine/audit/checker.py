"""The independent proof checker: re-checks an exported proof step by step.

It reads the proof as plain JSON, the rulebooks as text (parsed by engine.syntax, the only
part of Warrant it uses) and the evidence records; it imports nothing from the evaluator or
the proof builder, and recomputes on its own: record hashes, which records were in force,
every comparison, every aggregate total, and every text the proof displays. `FIELDS` lists
every field of a proof and how it is checked; a field outside it makes the proof malformed,
and a node that no check reaches makes it invalid. Checks, in order, for each step it reaches:
- the header names the rulebooks provided (their combined SHA-256) and a consistent as-of;
- each rule exists in a rulebook whose text has the stated SHA-256, with that title and citation; for a
  rule written with `or`, the branch named is one of the rule's, recomputed from its text;
- the rule's head under the binding is the fact derived; the explanation is the rule's `because`
  text under the binding and the thresholds and constants in force on the as-of; every premise is
  the rule's condition, in order, with its text;
- every comparison and membership test holds, recomputed; each positive condition is established by the nodes shown;
- aggregates recompute from their contributions to the stated total and threshold;
- each absence holds: no record in force at the run's moment matches (derived: the run's facts); for
  `not (...)` over several conditions, the checker's own search (no_match.py) finds no way for them to hold;
- a fact in round 0 that is not evidence is stated by a rulebook provided (`fact`, `table`), with that citation;
- each evidence leaf is a record whose recomputed hash is the one stated, in force at the time,
  with the source metadata, grade and text the record gives;
- derived facts rest on facts of strictly lower rounds (no circular support).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

from ..source import SourceFile
from ..check.scope import rule_exprs
from ..syntax import ast
from ..syntax.branches import expand_rule
from ..syntax.parser import parse_text
from .no_match import Search, compare
from .calc import arith, call, negative, total

FORMAT = "warrant-proof/1"
HASHED_META = ("source", "document", "credibility", "observed", "valid_from", "valid_to", "action")
LEAF_FIELDS = ("source", "source_name", "source_kind", "reliability", "credibility", "jurisdiction", "document",
               "observed", "valid_from", "valid_to", "recorded_at")
RECORD_FIELDS = ("predicate", "args", "hash", "action") + LEAF_FIELDS
MAX_LEVELS = 100
WILD = object()
FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}

# Every field of a proof: (its type, how the checker verifies it). Types ending in "?" may be null.
FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "proof": {"format": ("str", f"must be {FORMAT}"), "root": ("str", "a fact node, checked from there down"),
              "atom": ("str", "the root fact's text"), "run": ("run", "see run"), "limits": ("limits", "see limits"),
              "nodes": ("nodes", "every node must be reached by the check from the root")},
    "run": {"run_id": ("str", "equals every absence's run id; against the case file with --db"),
            "as_of": ("str", "the day records must be valid on; equals every absence's as-of; against the case file with --db"),
            "recorded_until": ("str?", "the moment records must be recorded by; against the case file with --db"),
            "rulebook": ("str", "the id of the last rulebook provided (the root)"),
            "version": ("str", "the version of that rulebook"),
            "sha256": ("str", "recomputed from the ids and SHA-256 of the rulebooks provided, in run order")},
    "limits": {"max_depth": ("int", "recomputes the message of a depth-omitted node"),
               "max_derivations": ("int", "not verified: how many derivations the exporter chose to show")},
    "fact": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
             "predicate": ("str", "declared in the rulebooks; the head of each derivation or the records' predicate"),
             "args": ("values", "the head of each derivation under its binding, or the records' arguments"),
             "text": ("str", "recomputed from predicate and args"),
             "role": ("str", "recomputed from the predicate's declaration"), "holds": ("bool", "must be true"),
             "round": ("int?", "0 for evidence and for facts the rulebook states; above every derived fact it rests "
                               "on; against the run with --db"),
             "derivations": ("ids", "each checked; each names this fact as its conclusion (round 0: each a "
                                    "rulebook_fact)"),
             "evidence": ("ids", "each leaf checked against its record"),
             "withheld_args": ("ints", "positions of arguments withheld from the reader (null in args, <withheld> "
                                       "in text): each is a withheld variable of every derivation shown")},
    "derivation": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                   "conclusion": ("str", "the fact it is listed under"),
                   "rule": ("str", "exists in the rulebook with this sha256"),
                   "title": ("str", "the rule's title"), "citation": ("str", "the rule's citation"),
                   "rulebook": ("str", "the id of the rulebook with this sha256"),
                   "version": ("str", "the version of that rulebook"),
                   "sha256": ("str", "the SHA-256 of a rulebook text provided"),
                   "binding": ("binding", "only the rule's own variables; every condition holds under it"),
                   "in_force": ("str?", "the rule's period as its rulebook states it; the rule must be in force on as_of"),
                   "thresholds": ("dated", "recomputed: each dated threshold the rule uses, at its value on as_of"),
                   "explanation": ("str", "the rule's `because` text filled in with the binding and the "
                                          "thresholds and constants in force on as_of"),
                   "branch": ("int?", "for a rule written with `or`: a branch of the rule, recomputed from the "
                                      "rulebook text (from 1, alternatives in the order written); null without `or`"),
                   "alternative": ("str?", "that branch's conditions from inside `or`, recomputed as written"),
                   "premises": ("premises", "one per condition of the rule (of the branch, for `or`), in order "
                                            "(see premise)"),
                   "children": ("ids", "the premises' nodes, in order, once each"),
                   "withheld_vars": ("ids", "variables of the rule whose values are withheld (not in the binding): "
                                            "a test over them is accepted as issued and named in the verdict")},
    "premise": {"literal": ("str", "the condition as the rule writes it"), "kind": ("str", "the condition's kind"),
                "text": ("str", "recomputed from the condition and the values shown"),
                "nodes": ("ids", "each node is needed by the condition and checked")},
    "rulebook_fact": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                      "predicate": ("str", "the fact's"), "args": ("values", "the fact's"),
                      "text": ("str", "recomputed from predicate and args"),
                      "citation": ("str", "the citation of a `fact` or `table` of the rulebook stating the fact"),
                      "rulebook": ("str", "the id of the rulebook with this sha256"),
                      "version": ("str", "the version of that rulebook"),
                      "sha256": ("str", "the SHA-256 of a rulebook text provided, which states the fact")},
    "evidence": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                 "predicate": ("str", "the record's"), "args": ("values", "the record's"),
                 "text": ("str", "recomputed from predicate and args"),
                 "record": ("str?", "a record provided whose content hashes to it, in force at the run's moment"),
                 "source": ("value", "the record's (hashed)"), "document": ("value", "the record's (hashed)"),
                 "credibility": ("value", "the record's (hashed)"), "observed": ("value", "the record's (hashed)"),
                 "valid_from": ("value", "the record's (hashed)"), "valid_to": ("value", "the record's (hashed)"),
                 "recorded_at": ("value", "the record's (not hashed: against the case file with --db)"),
                 "source_name": ("value", "the record's source (not hashed: against the case file with --db)"),
                 "source_kind": ("value", "the record's source (not hashed: against the case file with --db)"),
                 "reliability": ("value", "the record's source (not hashed: against the case file with --db)"),
                 "jurisdiction": ("value", "the record's source (not hashed: against the case file with --db)"),
                 "grade": ("str?", "recomputed from reliability and credibility")},
    "absence": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                "predicate": ("str", "the negated condition's"),
                "args": ("values", "the condition under the binding, null where it writes _"),
                "text": ("str", "recomputed from predicate and args"),
                "evidence": ("bool", "recomputed from the predicate's declaration"),
                "as_of": ("str", "the header's as-of"), "run_id": ("str", "the header's run id"),
                "statement": ("str", "recomputed from text, as-of and run id")},
    "no_match": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                 "conditions": ("str", "the conditions inside the rule's not (...), as written"),
                 "binding": ("binding", "the derivation's values of the rule's variables among the conditions"),
                 "as_of": ("str", "the header's as-of"), "run_id": ("str", "the header's run id"),
                 "statement": ("str", "recomputed from the conditions, the binding, as-of and run id; the checker's "
                                      "own search finds no way for the conditions to hold together over the records "
                                      "in force (derived: the run's facts)")},
    "aggregate": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                  "var": ("str", "the rule's"), "function": ("str", "the rule's"), "distinct": ("bool", "the rule's"),
                  "expression": ("str", "recomputed from the rule"),
                  "group": ("binding", "the binding's values of the aggregate's own variables"),
                  "contributions": ("contributions", "each contribution's conditions checked (see contribution)"),
                  "total": ("value", "recomputed from the contributions; equals the binding"),
                  "compared": ("threshold?", "recomputed from the rule's comparison of the total (see threshold)")},
    "contribution": {"binding": ("binding", "only the aggregate's own variables, and _1, _2, ... for the values its "
                                            "_s matched: one distinct row of the aggregate's body"),
                     "value": ("value", "recomputed from the binding"),
                     "nodes": ("ids", "each node is needed by a condition of the aggregate and checked")},
    "threshold": {"op": ("str", "the rule's, the total on the left"), "value": ("value", "recomputed"),
                  "against": ("str", "the rule's other side as written"), "holds": ("bool", "must be true")},
    "comparison": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                   "text": ("str", "recomputed from the condition and the values"),
                   "left": ("value", "recomputed"), "op": ("str", "the rule's"), "right": ("value", "recomputed"),
                   "holds": ("bool", "must be true, recomputed")},
    "membership": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                   "text": ("str", "recomputed from the condition and the values"),
                   "value": ("value", "recomputed"), "members": ("values", "recomputed"),
                   "negated": ("bool", "the rule's (`not in`)"), "holds": ("bool", "must be true, recomputed")},
    "omitted": {"kind": ("str", "node kind"), "id": ("str", "its key in nodes"),
                "reason": ("str", "depth or width"), "count": ("int?", "not verified: how many were not shown"),
                "message": ("str", "recomputed from reason, count and limits")},
    "withheld": {"kind": ("str", "node kind"), "id": ("str", "w- and the commitment's first 12 hex digits"),
                 "stands_for": ("str", "evidence, fact, derivation or contribution: where the node may stand"),
                 "statement": ("str", "not verified: what the issuer tells the reader of what it withholds"),
                 "markings": ("ids", "not verified: the markings of the records withheld"),
                 "commitment": ("str", "sha256: and 64 hex digits; not opened: only the issuing case file keeps "
                                       "the salt, and the verdict names every withheld node")},
}
NODE_KINDS = ("fact", "derivation", "rulebook_fact", "evidence", "absence", "no_match", "aggregate", "comparison", "membership",
              "omitted", "withheld")
REDACTED = "[withheld]"
REDACTED_ARG = "<withheld>"
OPTIONAL = {"withheld_args": [], "withheld_vars": []}  # absent from proofs made before redaction


class _Hidden:
    """The value of a withheld variable: any calculation with it is withheld too."""

    def __repr__(self) -> str:
        return REDACTED


HIDDEN = _Hidden()


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
    unverified: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.valid:
            return f"invalid: {self.step}: {self.reason}"
        return "\n".join(["valid"] + [f"not verified: {note}" for note in self.unverified])


# the shape of a proof
def _finite(v) -> bool:
    return not isinstance(v, float) or math.isfinite(v)


def _typed(kind: str, v) -> bool:
    if kind.endswith("?"):
        return v is None or _typed(kind[:-1], v)
    if kind in ("str", "bool"):
        return isinstance(v, str if kind == "str" else bool)
    if kind == "int":
        return isinstance(v, int) and not isinstance(v, bool)
    if kind == "ints":
        return isinstance(v, list) and all(_typed("int", x) for x in v)
    if kind == "value":
        return v is None or isinstance(v, (str, bool, int)) or (isinstance(v, float) and math.isfinite(v))
    if kind in ("values", "ids"):
        return isinstance(v, list) and all(_typed("value" if kind == "values" else "str", x) for x in v)
    if kind == "binding":
        return isinstance(v, dict) and all(_typed("value", x) for x in v.values())
    if kind == "dated":
        return isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
    return True  # an object, checked by shape()


def shape(obj, table: str, where: str) -> None:
    """Raise Invalid unless `obj` has exactly the fields of FIELDS[table], each of its type."""
    fields = FIELDS[table]
    if not isinstance(obj, dict):
        raise Invalid(where, f"malformed proof: a {table} must be an object")
    for name, empty in OPTIONAL.items():
        if name in fields and name not in obj:
            obj[name] = list(empty)
    if set(obj) != set(fields):
        odd = sorted(set(obj) ^ set(fields))
        raise Invalid(where, f"malformed proof: a {table} has exactly the fields {', '.join(fields)} ({', '.join(odd)} differ)")
    for name, (kind, _) in fields.items():
        value = obj[name]
        if kind.rstrip("?") in ("run", "limits", "threshold"):
            if value is not None or not kind.endswith("?"):
                shape(value, kind.rstrip("?"), where)
        elif kind in ("premises", "contributions"):
            if not isinstance(value, list):
                raise Invalid(where, f"malformed proof: {name} must be a list")
            for item in value:
                shape(item, kind[:-1], where)
        elif kind == "nodes":
            if not isinstance(value, dict):
                raise Invalid(where, "malformed proof: nodes must be an object")
        elif not _typed(kind, value):
            raise Invalid(where, f"malformed proof: {table} field {name} must be {kind.replace('?', ' or null')}")


def node_shape(nid: str, node) -> None:
    kind = node.get("kind") if isinstance(node, dict) else None
    if kind not in NODE_KINDS:
        raise Invalid(nid, f"malformed proof: a node's kind is one of {', '.join(NODE_KINDS)}")
    shape(node, kind, nid)
    if node["id"] != nid:
        raise Invalid(nid, f"the node says its id is {node['id']!r}")


# texts, recomputed independently of the proof builder
def show(v) -> str:
    """A value as the rulebook language writes it."""
    if v is None:
        return "_"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _decimal_text(v)
    return str(v) if isinstance(v, int) else json.dumps(v, ensure_ascii=False)


def _decimal_text(v: float) -> str:
    """A decimal as people write it: 50.85, 5 (never 5.0), 0.00001; an exponent only far from 1."""
    if v.is_integer() and abs(v) < 1e20:
        return str(int(v))
    text = repr(v)
    if "e" in text and 1e-20 < abs(v) < 1e20:
        return _plain(text)
    return text


def _plain(text: str) -> str:
    mantissa, exponent = text.split("e")
    sign, mantissa = ("-", mantissa[1:]) if mantissa.startswith("-") else ("", mantissa)
    whole, _, fraction = mantissa.partition(".")
    digits, point = whole + fraction, len(whole) + int(exponent)
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}".rstrip("0").rstrip(".")
    digits = digits.ljust(point, "0")
    return f"{sign}{digits[:point]}.{digits[point:]}".rstrip("0").rstrip(".") if digits[point:] else sign + digits


def atom_text(predicate: str, args: list, withheld=()) -> str:
    return predicate + "(" + ", ".join(REDACTED_ARG if i in withheld else show(a) for i, a in enumerate(args)) + ")"


def fill(template: str, binding: dict) -> str:
    """A `because` text with `{Var}` replaced by the value (strings bare) and `{{`, `}}` by braces."""
    out, i = [], 0
    while i < len(template):
        if template[i:i + 2] in ("{{", "}}"):
            out.append(template[i])
            i += 2
        elif template[i] == "{" and (end := template.find("}", i + 1)) > 0 and template[i + 1:end] in binding:
            v = binding[template[i + 1:end]]
            out.append(v if isinstance(v, str) else show(v))
            i = end + 1
        else:
            out.append(template[i])
            i += 1
    return "".join(out)


def expr_text(e) -> str:
    if isinstance(e, ast.Var | ast.ConstRef):
        return e.name
    if isinstance(e, ast.Wildcard):
        return "_"
    if isinstance(e, ast.Const):
        return e.value if "duration" in e.type else show(e.value) + ("%" if e.type == "percent" else "")
    if isinstance(e, ast.Neg):
        return "-" + expr_text(e.operand)
    if isinstance(e, ast.Call):
        return f"{e.func}({', '.join(map(expr_text, e.args))})"
    return f"({expr_text(e.left)} {e.op} {expr_text(e.right)})"


def literal_text(lit) -> str:
    if isinstance(lit, ast.Negation):
        return "not " + literal_text(lit.atom)
    if isinstance(lit, ast.Atom):
        meta = ", ".join(f"{m.field} = {expr_text(m.value)}" for m in lit.meta)
        return f"{lit.predicate}({', '.join(map(expr_text, lit.args))})" + (f" with {meta}" if meta else "")
    if isinstance(lit, ast.Comparison):
        return f"{expr_text(lit.left)} {lit.op} {expr_text(lit.right)}"
    if isinstance(lit, ast.Membership):
        return f"{expr_text(lit.value)} {_in(lit)} ({', '.join(map(expr_text, lit.members))})"
    if isinstance(lit, ast.NegatedConjunction):
        return f"not ({' and '.join(map(literal_text, lit.body))})"
    return f"{lit.var.name} = {aggregate_text(lit)}"


def _in(lit: ast.Membership) -> str:
    return "not in" if lit.negated else "in"


def aggregate_text(agg: ast.Aggregate) -> str:
    body = " and ".join(map(literal_text, agg.body))
    return f"{agg.func}({'distinct ' if agg.distinct else ''}{expr_text(agg.target)} for {body})"


def grade(reliability, credibility) -> str | None:
    if not reliability and credibility is None:
        return None
    return f"{reliability or '?'}{'?' if credibility is None else show(credibility)}"


def top_vars(rule: ast.Rule) -> set[str]:
    """The variables a rule binds outside its aggregates (and each aggregate's result)."""
    names = {v.name for v in ast.atom_vars(rule.head)}
    for lit in rule.body:
        names |= {lit.var.name} if isinstance(lit, ast.Aggregate) else {v.name for v in ast.literal_vars(lit)}
    return names


def _is_var(e, name: str) -> bool:
    return isinstance(e, ast.Var) and e.name == name


def absorbed(body) -> dict[int, ast.Comparison]:
    """Each aggregate's first comparison of its result, shown with the aggregate rather than as a premise."""
    out = {}
    for lit in body:
        if isinstance(lit, ast.Aggregate):
            for c in body:
                if isinstance(c, ast.Comparison) and (_is_var(c.left, lit.var.name) or _is_var(c.right, lit.var.name)):
                    out.setdefault(id(lit), c)
    return out


def _canonical(v):
    """Numbers as the store validated them: integral values are integers."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def record_hash(record: dict) -> str:
    """The content hash of an evidence record, as the store defines it."""
    body = {"predicate": record["predicate"], "args": [_canonical(a) for a in record["args"]]}
    body.update({k: record.get(k) for k in HASHED_META})
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def same(a, b) -> bool:
    """Equal values, numbers compared exactly as numbers (25 == 25.0, 50.01 != 50.010000000000005)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    return a == b


def cutoff_of(as_of: str) -> tuple[str, str]:
    """(recorded-at cutoff, day) of a run's moment; a bare date covers the whole day."""
    if len(as_of) == 10:
        return as_of + "T23:59:59.999999Z", as_of
    return as_of, as_of[:10]


class Evidence:
    """Evidence records (asserts and retractions) with the store's in-force rule, reimplemented."""

    def __init__(self, records: list[dict]):
        if not isinstance(records, list):
            raise Invalid("evidence", "malformed evidence: a list of records")
        for rec in records:
            if not isinstance(rec, dict) or not set(RECORD_FIELDS) <= set(rec) or not _typed("values", rec["args"]) \
                    or not all(_typed("str", rec[k]) for k in ("predicate", "hash", "recorded_at")) \
                    or not all(_typed("value", rec[k]) for k in RECORD_FIELDS[3:]):
                raise Invalid("evidence", f"malformed evidence: each record has the fields {', '.join(RECORD_FIELDS)}")
        self.records = records
        self.by_hash = {r["hash"]: r for r in records}

    def in_force(self, rec: dict, cutoff: str, day: str) -> bool:
        """Asserted, recorded by `cutoff`, valid on `day`, and not retracted (by `cutoff`, effective by `day`)."""
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

    def matching(self, predicate: str, pattern: list, cutoff: str, day: str) -> list[dict]:
        return [r for r in self.records if r["predicate"] == predicate and _matches(r["args"], pattern)
                and self.in_force(r, cutoff, day)]


def _matches_shown(node: dict, pattern: list) -> bool:
    """A fact or record matches a pattern: a withheld variable exactly where the fact withholds an argument."""
    spots = set(node.get("withheld_args") or ())
    if {i for i, p in enumerate(pattern) if p is HIDDEN} != spots & {i for i, p in enumerate(pattern) if p is not WILD}:
        return False
    return _matches([None if i in spots else a for i, a in enumerate(node["args"])],
                    [WILD if p is HIDDEN else p for p in pattern])


def _args_equal(a: list, b: list) -> bool:
    return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))


def _matches(args: list, pattern: list) -> bool:
    return len(args) == len(pattern) and all(p is WILD or p is None or same(a, p) for a, p in zip(args, pattern))


class Rulebooks:
    """Rulebook texts (in the order the run applied them), parsed and indexed by SHA-256."""

    def __init__(self, texts: dict[str, str]):
        self.books = {}
        for name, text in texts.items():
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            try:
                self.books[sha] = parse_text(SourceFile(name, text))
            except RecursionError:
                raise Invalid(name, "the rulebook nests too deeply to be read") from None
        self.decls = {d.name: d for rb in self.books.values() for d in rb.declarations}
        self.constants = {c.name: c for rb in self.books.values() for c in rb.constants}

    def constant(self, name: str, day: str, nid: str):
        """The value of a threshold or constant on `day` (a dated one's version in force then)."""
        version = self.constants[name].version_on(day)
        if version is None:
            raise Invalid(nid, f"{name} has no value in force on {day}, so no rule that uses it applies")
        return version.value.value

    def placeholders(self, day: str) -> dict:
        """What an explanation's `{name}` shows on `day`: each threshold and constant with a value then, and as_of."""
        values = {name: c.version_on(day) for name, c in self.constants.items()}
        return {name: v.value.value for name, v in values.items() if v is not None} | {"as_of": day}

    def combined_sha256(self) -> str:
        """The identity of the rules applied, as a run records it: each rulebook's id and hash, in order."""
        h = hashlib.sha256()
        for sha, rb in self.books.items():
            h.update(f"{rb.id}:{sha}\n".encode())
        return h.hexdigest()

    def root(self) -> ast.Rulebook | None:
        return list(self.books.values())[-1] if self.books else None

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
        return _branch(rule, derivation)


def _branch(rule: ast.Rule, derivation: dict) -> ast.Rule:
    """The rule as applied: for a rule written with `or`, the branch the derivation names, whose conditions
    from inside `or` must read as the derivation says."""
    plain, n = expand_rule(rule), derivation["branch"]
    if not plain[0].branch:
        if n is not None or derivation["alternative"] is not None:
            raise Invalid(derivation["id"], f"rule {rule.id} has no `or`, so no branch {n}")
        return rule
    if n is None or not 1 <= n <= len(plain):
        raise Invalid(derivation["id"], f"rule {rule.id} has branches 1 to {len(plain)}, and the derivation "
                                        f"names {'none' if n is None else n}")
    chosen = plain[n - 1]
    text = " and ".join(map(literal_text, chosen.alternative))
    if derivation["alternative"] != text:
        raise Invalid(derivation["id"], f"branch {n} of rule {rule.id} reads {text!r}, not {derivation['alternative']!r}")
    return chosen


class Checker:
    """Walks a proof from its root; raises Invalid at the first step that fails."""

    def __init__(self, proof: dict, rulebooks: Rulebooks, evidence: Evidence, run_facts: dict[str, list[list]] | None):
        shape(proof, "proof", "proof")
        if proof["format"] != FORMAT:
            raise Invalid("proof", f"the format is {proof['format']!r}, not {FORMAT}")
        for nid, node in proof["nodes"].items():
            node_shape(nid, node)
        if run_facts is not None and not (isinstance(run_facts, dict) and all(
                isinstance(rows, list) and all(_typed("values", r) for r in rows) for rows in run_facts.values())):
            raise Invalid("run_facts", "malformed run facts: an object of predicate: [[value, ...], ...]")
        self.proof, self.books, self.evidence, self.run_facts = proof, rulebooks, evidence, run_facts
        self.nodes, self.run = proof["nodes"], proof["run"]
        self.cutoff = cutoff_of(self.run["recorded_until"] or self.run["as_of"])[0]
        self.day = self.run["as_of"][:10]
        self.as_of = f"{self.day} (recorded by {self.cutoff})"
        self.done: set[str] = set()
        self.counts = {"facts": 0, "derivations": 0, "evidence": 0, "absences": 0, "aggregates": 0, "comparisons": 0}
        self.withheld_parts: list[str] = []

    def check(self) -> None:
        """The header, the root fact and everything below it; then no node may be left unchecked."""
        self.header()
        root = self.fact(self.proof["root"])
        if self.proof["atom"] != root["text"]:
            raise Invalid("proof", f"the proof says it is about {self.proof['atom']}, but its root is {root['text']}")
        left = sorted(set(self.nodes) - self.done)
        if left:
            raise Invalid(left[0], "no step of the proof uses this node: it is not part of the argument")

    def header(self) -> None:
        run, root = self.run, self.books.root()
        if root is None or (run["rulebook"], run["version"]) != (root.id, root.version):
            raise Invalid("run", f"the header names rulebook {run['rulebook']} version {run['version']}, "
                                 "not the last rulebook the run applied")
        if run["sha256"] != self.books.combined_sha256():
            raise Invalid("run", f"the header's sha256 {run['sha256'][:12]}… is not that of the rulebooks provided")

    def node(self, nid: str, kind: str | None = None) -> dict:
        n = self.nodes.get(nid)
        if n is None:
            raise Invalid(nid, "the proof refers to a node it does not contain")
        if kind and n["kind"] != kind:
            raise Invalid(nid, f"expected a {kind} node, found {n['kind']}")
        return n

    def ids(self, ids: list[str], kind: str) -> list[dict]:
        """The nodes `ids` name, which must be of `kind`; they count as checked by the caller."""
        return [self.node(i, kind) for i in ids]

    # facts and their grounds
    def fact(self, nid: str, stack: tuple = ()) -> dict:
        if nid in stack:
            raise Invalid(nid, "circular proof: this fact is used to prove itself")
        if len(stack) >= MAX_LEVELS:
            raise Invalid(nid, f"the proof is more than {MAX_LEVELS} facts deep; the checker stops there")
        f = self.node(nid, "fact")
        if nid in self.done:
            return f
        self.counts["facts"] += 1
        self.fact_fields(f)
        if f["role"] == "evidence":
            if not f["evidence"] or f["derivations"]:
                raise Invalid(nid, f"{f['text']} is evidence: it rests on records only, and at least one is given")
            for leaf in f["evidence"]:
                if not self.withheld(leaf, ("evidence",)):
                    self.leaf(leaf, f)
        elif f["round"] == 0 and not f["evidence"]:
            if not f["derivations"]:
                raise Invalid(nid, f"{f['text']} is in round 0: the rulebook states it, and a rulebook fact shows where")
            for s in f["derivations"]:
                self.stated(s, f)
        else:
            if f["evidence"] or not isinstance(f["round"], int) or f["round"] < 1:
                raise Invalid(nid, f"{f['text']} is derived: it rests on derivations, in a round from 1")
            for d in f["derivations"]:
                if self.node(d)["kind"] == "omitted":
                    self.omitted(d)
            withheld = [d for d in f["derivations"] if self.withheld(d, ("derivation",))]
            shown = [d for d in f["derivations"] if self.node(d)["kind"] not in ("omitted", "withheld")]
            if not shown and not withheld:
                raise Invalid(nid, f"{f['text']} has no derivation shown (cut by a limit?); export with larger limits")
            for d in shown:
                self.derivation(d, f, stack + (nid,))
        self.done.add(nid)
        return f

    def fact_fields(self, f: dict) -> None:
        decl = self.books.decls.get(f["predicate"])
        if decl is None or len(f["args"]) != decl.arity:
            raise Invalid(f["id"], f"{f['predicate']} with {len(f['args'])} argument(s) is not declared in the rulebooks")
        role = "evidence" if decl.is_evidence else "conclusion" if decl.kind == "conclusion" else "derived"
        if f["role"] != role or not f["holds"] or (role == "evidence" and f["round"] != 0):
            raise Invalid(f["id"], f"{f['predicate']} is declared {decl.kind}: the fact's role is {role}, it holds"
                                   + (", in round 0" if role == "evidence" else ""))
        spots = f["withheld_args"]
        if spots != sorted(set(spots)) or any(not 0 <= i < len(f["args"]) or f["args"][i] is not None for i in spots) or (
                spots and role == "evidence"):
            raise Invalid(f["id"], "withheld_args are positions of derived arguments, sorted, each null in args")
        if f["text"] != atom_text(f["predicate"], f["args"], spots):
            raise Invalid(f["id"], f"the text {f['text']!r} does not show the fact's arguments "
                                   f"({atom_text(f['predicate'], f['args'], spots)})")

    def omitted(self, nid: str) -> None:
        o = self.node(nid, "omitted")
        count = o["count"] or 0
        message = (f"deeper proof not shown (depth limit {self.proof['limits']['max_depth']})" if o["reason"] == "depth"
                   else f"{count} more derivation{'s' if count > 1 else ''} not shown")
        if o["reason"] not in ("depth", "width") or o["message"] != message:
            raise Invalid(nid, f"an omitted node's message is {message!r}, not {o['message']!r}")
        self.done.add(nid)

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
        for what in (fact, leaf):
            if rec["predicate"] != what["predicate"] or not _args_equal(rec["args"], what["args"]):
                raise Invalid(nid, f"record {rec['hash'][:12]}… says {atom_text(rec['predicate'], rec['args'])}, "
                                   f"not {what['text']}")
        if leaf["text"] != atom_text(leaf["predicate"], leaf["args"]):
            raise Invalid(nid, f"the text {leaf['text']!r} does not show the record's arguments")
        for name in LEAF_FIELDS:
            if not same(rec[name], leaf[name]):
                raise Invalid(nid, f"the proof gives {name} = {leaf[name]!r} but the record has {rec[name]!r}")
        if leaf["grade"] != grade(leaf["reliability"], leaf["credibility"]):
            raise Invalid(nid, f"the grade {leaf['grade']!r} is not reliability {leaf['reliability']!r} "
                               f"with credibility {leaf['credibility']!r}")
        if not self.evidence.in_force(rec, self.cutoff, self.day):
            raise Invalid(nid, f"record {rec['hash'][:12]}… was not in force as of {self.as_of}")

    def withheld(self, nid: str, stands_for: tuple[str, ...]) -> bool:
        """Whether `nid` is a withheld node (accepted on its commitment, and named in the verdict) standing
        where a node of `stands_for` stands."""
        n = self.node(nid)
        if n["kind"] != "withheld":
            return False
        c = n["commitment"]
        if n["stands_for"] not in stands_for or not (c.startswith("sha256:") and len(c) == 71
                                                       and all(x in "0123456789abcdef" for x in c[7:])):
            raise Invalid(nid, f"a withheld node here stands for {' or '.join(stands_for)}, with a commitment "
                               "sha256: and 64 hex digits")
        if n["id"] != "w-" + c[7:19]:
            raise Invalid(nid, "a withheld node's id is w- and the first 12 hex digits of its commitment")
        if nid not in self.done:
            self.done.add(nid)
            self.withheld_parts.append(f"withheld {nid} ({n['stands_for']}): {n['statement']}; accepted on its "
                                       f"commitment {c}, which only the issuer can open")
        return True

    def stated(self, nid: str, fact: dict) -> None:
        """A fact the rulebook with the stated SHA-256 states itself, citing what the node says."""
        s = self.node(nid, "rulebook_fact")
        self.done.add(nid)
        book = self.books.books.get(s["sha256"])
        if book is None or (book.id, book.version) != (s["rulebook"], s["version"]):
            raise Invalid(nid, f"no rulebook {s['rulebook']} version {s['version']} with sha256 {s['sha256'][:12]}… "
                               "was provided")
        if (s["predicate"], s["text"]) != (fact["predicate"], fact["text"]) or not _args_equal(s["args"], fact["args"]):
            raise Invalid(nid, f"the rulebook fact shown is {s['text']}, not {fact['text']}")
        if not any(f.atom.predicate == s["predicate"] and f.citation == s["citation"]
                   and _args_equal([a.value for a in f.atom.args], s["args"]) for f in book.facts):
            raise Invalid(nid, f"{book.id} version {book.version} does not state {fact['text']} citing {s['citation']!r}")

    # rule applications
    def derivation(self, nid: str, fact: dict, stack: tuple) -> None:
        d = self.node(nid, "derivation")
        self.done.add(nid)
        self.counts["derivations"] += 1
        if d["conclusion"] != fact["id"]:
            raise Invalid(nid, f"the derivation is listed under {fact['id']} but names {d['conclusion']} as its conclusion")
        rule = self.books.rule(d)
        withheld = d["withheld_vars"]
        if extra := sorted((set(d["binding"]) | set(withheld)) - top_vars(rule)):
            raise Invalid(nid, f"the binding gives {', '.join(extra)}, which rule {rule.id} does not have")
        if set(withheld) & set(d["binding"]) or withheld != sorted(set(withheld)):
            raise Invalid(nid, "withheld_vars are sorted, once each, and not in the binding")
        hidden = self.hidden_totals(d) | set(withheld)
        b = {**d["binding"], **dict.fromkeys(hidden, HIDDEN)}
        head = [self.value(a, b, nid) for a in rule.head.args]
        spots = [i for i, v in enumerate(head) if v is HIDDEN]
        shown = [None if v is HIDDEN else v for v in head]
        if rule.head.predicate != fact["predicate"] or spots != fact["withheld_args"] or not _args_equal(shown, fact["args"]):
            raise Invalid(nid, f"rule {rule.id} under this binding derives {atom_text(rule.head.predicate, shown, spots)}, "
                               f"not {fact['text']}")
        self.in_force(rule, d)
        explanation = fill(rule.explanation, {**self.books.placeholders(self.day), **b, **dict.fromkeys(hidden, REDACTED)})
        if d["explanation"] != explanation:
            raise Invalid(nid, f"the explanation is not rule {rule.id}'s `because` text under the binding: "
                               f"expected {explanation!r}")
        self.body(rule, d, fact, stack, hidden)
        children = []
        for p in d["premises"]:
            children += [n for n in p["nodes"] if n not in children]
        if d["children"] != children:
            raise Invalid(nid, "the children are not the premises' nodes, in order")

    def in_force(self, rule: ast.Rule, d: dict) -> None:
        """The rule applied on the assessment date, and the proof names its period and dated values rightly."""
        period = rule.in_force.text() if rule.in_force else None
        if not rule.in_force_on(self.day):
            raise Invalid(d["id"], f"rule {rule.id} is in force {period}, which does not include {self.day}")
        if d["in_force"] != period:
            raise Invalid(d["id"], f"rule {rule.id}'s period is {period!r}, not {d['in_force']!r}")
        consts = self.books.constants
        applied = {}
        for name in sorted({e.name for e in rule_exprs(rule) if isinstance(e, ast.ConstRef)}):
            if name in consts and consts[name].dated:
                self.books.constant(name, self.day, d["id"])
                applied[name] = consts[name].version_on(self.day).text()
        if d["thresholds"] != applied:
            raise Invalid(d["id"], f"the dated thresholds applied on {self.day} are {applied}, not {d['thresholds']}")

    def hidden_totals(self, d: dict) -> set[str]:
        """The aggregate variables of a derivation whose contributions are partly withheld (not in the binding)."""
        out = set()
        for p in d["premises"]:
            nodes = [self.nodes.get(x) or {} for x in p["nodes"]] if p["kind"] == "aggregate" else []
            for n in nodes:
                if n.get("kind") == "aggregate" and n["total"] is None and any(
                        self.nodes.get(i, {}).get("kind") == "withheld" for c in n["contributions"] for i in c["nodes"]):
                    out.add(n["var"])
        if out & set(d["binding"]):
            raise Invalid(d["id"], f"the binding gives {', '.join(sorted(out & set(d['binding'])))}, whose aggregate "
                                   "is partly withheld")
        return out

    def body(self, rule: ast.Rule, d: dict, fact: dict, stack: tuple, hidden: set[str] = frozenset()) -> None:
        nid, b = d["id"], {**d["binding"], **dict.fromkeys(hidden, HIDDEN)}
        thresholds = absorbed(rule.body)
        shown = [lit for lit in rule.body if id(lit) not in {id(c) for c in thresholds.values()}]
        if len(shown) != len(d["premises"]):
            raise Invalid(nid, f"rule {rule.id} has {len(shown)} condition(s) to show, the proof {len(d['premises'])}")
        for lit, premise in zip(shown, d["premises"]):
            kind = {ast.Atom: "atom", ast.Negation: "negation", ast.Comparison: "comparison",
                    ast.Membership: "membership", ast.NegatedConjunction: "negation"}.get(type(lit), "aggregate")
            if premise["kind"] != kind or premise["literal"] != literal_text(lit):
                raise Invalid(nid, f"a premise reads {premise['literal']!r} ({premise['kind']}), "
                                   f"but the rule's condition is {literal_text(lit)!r}")
            if isinstance(lit, ast.Comparison):
                self.comparison(lit, b, premise["nodes"], premise["text"], nid)
            elif isinstance(lit, ast.Membership):
                self.membership(lit, b, premise["nodes"], premise["text"], nid)
            elif isinstance(lit, ast.Atom):
                self.atom(lit, b, premise["nodes"], nid, fact, stack, premise["text"])
            elif isinstance(lit, ast.Negation):
                self.absence(lit.atom, b, premise["nodes"], nid, premise["text"])
            elif isinstance(lit, ast.NegatedConjunction):
                self.no_match(lit, b, premise["nodes"], premise["text"], nid)
            else:
                self.aggregate(lit, b, premise, nid, fact, stack, thresholds.get(id(lit)))
        for c in thresholds.values():
            if not ({v.name for v in ast.literal_vars(c)} & hidden):  # a partly withheld total: checked by aggregate()
                self.holds(c, b, nid)

    def atom(self, lit: ast.Atom, b: dict, ids: list[str], nid: str, fact: dict, stack: tuple,
             text: str | None = None) -> set[str]:
        """Check the nodes among `ids` that establish `lit`; returns their ids (at least one)."""
        pattern = [self.pattern(a, b, nid) for a in lit.args]
        spots = {i for i, p in enumerate(pattern) if p is HIDDEN}
        found = [self.node(i) for i in ids if not self.withheld(i, ("evidence",))]
        match = [n for n in found if n["kind"] in ("fact", "evidence") and n["predicate"] == lit.predicate
                 and _matches_shown(n, pattern)]
        if not match:
            raise Invalid(nid, f"no premise establishes {atom_text(lit.predicate, [None if p in (WILD, HIDDEN) else p for p in pattern], spots)}")
        if text is not None:
            if len(match) != len(found):
                raise Invalid(nid, f"the premise {text} shows nodes that do not establish it")
            shown = atom_text(lit.predicate, [None if p is WILD else a for p, a in zip(pattern, match[0]["args"])], spots)
            if text != shown:
                raise Invalid(nid, f"the premise's text is {text!r}, not {shown!r}")
        leaves = []
        for n in match:
            if n["kind"] == "evidence":
                self.leaf(n["id"], n)
                leaves.append(n)
                continue
            self.fact(n["id"], stack)
            leaves += [self.nodes[x] for x in n["evidence"] if self.nodes[x]["kind"] == "evidence"]
            if fact["round"] is not None and n["round"] is not None and n["round"] >= fact["round"]:
                raise Invalid(nid, f"{n['text']} (round {n['round']}) cannot support {fact['text']} (round {fact['round']})")
        wanted = [(m.field, self.value(m.value, b, nid)) for m in lit.meta if not isinstance(m.value, ast.Wildcard)]
        if wanted and not all(all(same(leaf.get(f), v) for f, v in wanted) for leaf in leaves):
            raise Invalid(nid, f"a record of {lit.predicate} shown lacks the metadata the rule requires")
        return {n["id"] for n in match}

    def absence(self, atom: ast.Atom, b: dict, ids: list[str], nid: str, text: str | None = None) -> None:
        self.counts["absences"] += 1
        if len(ids) != 1:
            raise Invalid(nid, "a negated condition is shown by exactly one absence")
        node = self.node(ids[0], "absence")
        self.done.add(node["id"])
        want = [None if p is WILD else p for p in (self.pattern(a, b, nid) for a in atom.args)]
        if node["predicate"] != atom.predicate or len(node["args"]) != len(want) or not all(
                (w is None) == (a is None) and (w is None or same(a, w)) for a, w in zip(node["args"], want)):
            raise Invalid(node["id"], f"the absence looked for {node['text']}, not what the rule requires "
                                      f"({atom_text(atom.predicate, want)})")
        self.absence_fields(node, text)
        decl = self.books.decls.get(atom.predicate)
        pattern = [WILD if w is None else w for w in want]
        if decl is not None and decl.is_evidence:
            present = self.evidence.matching(atom.predicate, pattern, self.cutoff, self.day)
            if present:
                raise Invalid(node["id"], f"absence claimed but record {present[0]['hash'][:12]}… of "
                                          f"{atom_text(atom.predicate, present[0]['args'])} was in force as of {self.as_of}")
        elif self.run_facts is not None:
            rows = self.run_facts.get(atom.predicate, [])
            if any(_matches(r, pattern) for r in rows):
                raise Invalid(node["id"], f"absence claimed but the run derived {node['text']}")

    def no_match(self, lit: ast.NegatedConjunction, b: dict, ids: list[str], text: str, nid: str) -> None:
        """`not (...)`: the node states the conditions and the binding's values, and the checker's own search
        finds no way for the conditions to hold together (derived predicates: the run's facts, if provided)."""
        self.counts["absences"] += 1
        if len(ids) != 1:
            raise Invalid(nid, "a not (...) condition is shown by exactly one no_match node")
        node = self.node(ids[0], "no_match")
        self.done.add(node["id"])
        conditions = " and ".join(map(literal_text, lit.body))
        shared = {v.name: b[v.name] for v in ast.literal_vars(lit) if v.name in b}
        given = ", ".join(f"{k} = {show(v)}" for k, v in shared.items())
        statement = (f"nothing satisfies {conditions}{' with ' + given if given else ''}, as of {self.run['as_of']} "
                     f"in run {self.run['run_id']}")
        if (node["conditions"], node["statement"], text) != (conditions, statement, statement) or (
                node["as_of"], node["run_id"]) != (self.run["as_of"], self.run["run_id"]) or list(node["binding"]) != list(
                shared) or not all(same(node["binding"][k], v) for k, v in shared.items()):
            raise Invalid(node["id"], f"the not (...) condition should read {statement!r}")
        witness = Search(self.rows, lambda e, bb: self.value(e, bb, node["id"]), same).first(lit.body, shared)
        if witness is not None:
            found = ", ".join(f"{k} = {show(v)}" for k, v in witness.items() if k not in shared)
            raise Invalid(node["id"], f"not ({conditions}) is claimed, but it holds" + (f" with {found}" if found else ""))

    def rows(self, predicate: str) -> list[list]:
        """The argument lists of a predicate's records in force, or of the run's facts of it (when provided)."""
        decl = self.books.decls.get(predicate)
        if decl is not None and decl.is_evidence:
            return [r["args"] for r in self.evidence.matching(predicate, [WILD] * decl.arity, self.cutoff, self.day)]
        return (self.run_facts or {}).get(predicate, [])

    def absence_fields(self, node: dict, text: str | None) -> None:
        decl = self.books.decls.get(node["predicate"])
        shown = atom_text(node["predicate"], node["args"])
        as_of, run_id = self.run["as_of"], self.run["run_id"]
        statement = (f"no evidence record of {shown} is in force as of {as_of}" if node["evidence"]
                     else f"{shown} was not derived in run {run_id} (as of {as_of})")
        if decl is None or node["evidence"] != decl.is_evidence or node["text"] != shown:
            raise Invalid(node["id"], f"the absence's text or kind does not match {shown}")
        if (node["as_of"], node["run_id"]) != (as_of, run_id) or node["statement"] != statement:
            raise Invalid(node["id"], f"the absence's statement, as-of or run is not the header's: expected {statement!r}")
        if text is not None and text != "not " + shown:
            raise Invalid(node["id"], f"the premise's text is {text!r}, not 'not {shown}'")

    def aggregate(self, agg: ast.Aggregate, b: dict, premise: dict, nid: str, fact: dict, stack: tuple,
                  compared: ast.Comparison | None) -> None:
        self.counts["aggregates"] += 1
        if len(premise["nodes"]) != 1:
            raise Invalid(nid, "an aggregate condition is shown by exactly one aggregate node")
        node = self.node(premise["nodes"][0], "aggregate")
        self.done.add(node["id"])
        rows = ast.numbered_wildcards(agg)
        own = {v.name for v in ast.literal_vars(rows)[1:]}
        if (node["var"], node["function"], node["distinct"], node["expression"]) != (
                agg.var.name, agg.func, agg.distinct, aggregate_text(agg)):
            raise Invalid(node["id"], f"the aggregate is not the rule's {agg.var.name} = {aggregate_text(agg)}")
        for name, value in node["group"].items():
            if name not in own or name not in b or not same(b[name], value):
                raise Invalid(node["id"], f"the aggregate's group {name} = {value!r} is not the binding's")
        seen, values, withheld = set(), [], 0
        for c in node["contributions"]:
            if not c["binding"] and c["value"] is None and len(c["nodes"]) == 1 and self.withheld(c["nodes"][0],
                                                                                            ("contribution",)):
                withheld += 1
                continue
            if not set(c["binding"]) <= own - set(node["group"]):
                raise Invalid(node["id"], f"a contribution binds {', '.join(sorted(c['binding']))}: not all are the aggregate's own")
            full = dict(b, **node["group"], **c["binding"])
            target = 1 if agg.func == "count" and not agg.distinct else self.value(agg.target, full, node["id"])
            if c["value"] is not None and not same(target, c["value"]):
                raise Invalid(node["id"], f"a contribution's value is {c['value']!r} but its binding gives {target!r}")
            self.contribution(rows.body, full, c["nodes"], node["id"], fact, stack)
            key = json.dumps(c["binding"], sort_keys=True)
            if key not in seen:
                seen.add(key)
                values.append(target)
        if withheld:
            return self.partial_aggregate(agg, node, premise, nid, compared, b, values)
        total = _aggregate(agg, values)
        if not same(total, node["total"]) or not same(total, b.get(agg.var.name)):
            raise Invalid(node["id"], f"{agg.func} of the contributions is {total!r}, not the stated {node['total']!r}")
        shown = f"{aggregate_text(agg)} = {show(node['total'])}"
        if compared is not None:
            shown += " " + self.threshold(node, compared, b)
        elif node["compared"] is not None:
            raise Invalid(node["id"], "the aggregate shows a threshold the rule does not compare it with")
        if premise["text"] != shown:
            raise Invalid(nid, f"the premise's text is {premise['text']!r}, not {shown!r}")

    def partial_aggregate(self, agg: ast.Aggregate, node: dict, premise: dict, nid: str,
                          compared: ast.Comparison | None, b: dict, values: list) -> None:
        """An aggregate with withheld contributions: no total is shown, what is shown is what the visible ones
        give ("at least 35 visible"), and its test is verified when the visible part alone meets it."""
        if node["total"] is not None or b.get(agg.var.name, HIDDEN) is not HIDDEN:
            raise Invalid(node["id"], "an aggregate with withheld contributions shows no total")
        if agg.func == "sum" and all(isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in values):
            low = sum(values)
        elif agg.func == "count" and not agg.distinct:
            low = len(values)
        else:
            low = None
        shown = f"{aggregate_text(agg)} = " + (f"at least {show(low)} visible, plus withheld" if low is not None
                                               else "withheld")
        if compared is not None:
            shown += " " + self.threshold(node, compared, b)
            op, bound = node["compared"]["op"], node["compared"]["value"]
            if low is None or not (op in (">=", ">") and compare(op, low, bound, same)):
                self.withheld_parts.append(f"{node['id']}: the test {agg.var.name} {op} {show(bound)} rests on "
                                           "withheld contributions: accepted as issued")
        elif node["compared"] is not None:
            raise Invalid(node["id"], "the aggregate shows a threshold the rule does not compare it with")
        if premise["text"] != shown:
            raise Invalid(nid, f"the premise's text is {premise['text']!r}, not {shown!r}")

    def threshold(self, node: dict, c: ast.Comparison, b: dict) -> str:
        on_left = _is_var(c.left, node["var"])
        other = c.right if on_left else c.left
        want = {"op": c.op if on_left else FLIP[c.op], "value": self.value(other, b, node["id"]),
                "against": expr_text(other), "holds": True}
        got = node["compared"] or {}
        if any(not same(got.get(k), v) for k, v in want.items()):
            raise Invalid(node["id"], f"the threshold shown is not the rule's: {want['op']} {want['against']}")
        return f"{got['op']} {show(got['value'])}"

    def contribution(self, body, b: dict, ids: list[str], nid: str, fact: dict, stack: tuple) -> None:
        used: set[str] = set()
        for lit in body:
            if isinstance(lit, ast.Comparison):
                mine = [i for i in ids if self.node(i)["kind"] == "comparison"
                        and self.nodes[i]["text"].startswith(literal_text(lit) + ": ")]
                self.comparison(lit, b, mine[:1], None, nid)
                used |= set(mine[:1])
            elif isinstance(lit, ast.Membership):
                mine = [i for i in ids if self.node(i)["kind"] == "membership"
                        and self.nodes[i]["text"].startswith(literal_text(lit) + ": ")]
                self.membership(lit, b, mine[:1], None, nid)
                used |= set(mine[:1])
            elif isinstance(lit, ast.Atom):
                used |= self.atom(lit, b, ids, nid, fact, stack)
            else:
                mine = [i for i in ids if self.node(i)["kind"] == "absence" and self.nodes[i]["predicate"] == lit.atom.predicate]
                if not mine:
                    raise Invalid(nid, f"no absence shown for not {lit.atom.predicate}(...)")
                self.absence(lit.atom, b, mine[:1], nid)
                used.add(mine[0])
        if extra := [i for i in ids if i not in used]:
            raise Invalid(extra[0], "a contribution shows this node, which none of its conditions needs")

    def comparison(self, lit: ast.Comparison, b: dict, ids: list[str], text: str | None, nid: str) -> None:
        if len(ids) != 1:
            raise Invalid(nid, f"the comparison {literal_text(lit)} is shown by exactly one node")
        node = self.node(ids[0], "comparison")
        self.done.add(node["id"])
        if {v.name for v in ast.literal_vars(lit)} & {k for k, v in b.items() if v is HIDDEN}:
            return self.withheld_test(lit, node, text)
        left, right = self.holds(lit, b, nid)
        values = f"{show(node['left'])} {lit.op} {show(node['right'])}"
        if not (same(left, node["left"]) and same(right, node["right"]) and node["op"] == lit.op and node["holds"]):
            raise Invalid(node["id"], f"the comparison shows {values}, but it is {show(left)} {lit.op} {show(right)}")
        if node["text"] != f"{literal_text(lit)}: {values}" or text not in (None, values):
            raise Invalid(node["id"], f"the comparison's text is not {literal_text(lit)}: {values}")

    def withheld_test(self, lit: ast.Comparison, node: dict, text: str | None) -> None:
        """A test over withheld values: it shows that it holds and no values, and is accepted as issued."""
        if (node["left"], node["right"], node["op"], node["holds"]) != (None, None, lit.op, True) or (
                node["text"] != f"{literal_text(lit)}: holds" or text not in (None, "holds")):
            raise Invalid(node["id"], f"a test over withheld values reads {literal_text(lit)}: holds, with no values")
        self.counts["comparisons"] += 1
        self.withheld_parts.append(f"{node['id']}: the test {literal_text(lit)} rests on withheld values: "
                                   "accepted as issued")

    def membership(self, lit: ast.Membership, b: dict, ids: list[str], text: str | None, nid: str) -> None:
        if len(ids) != 1:
            raise Invalid(nid, f"the condition {literal_text(lit)} is shown by exactly one node")
        node = self.node(ids[0], "membership")
        self.done.add(node["id"])
        self.counts["comparisons"] += 1
        value, members = self.value(lit.value, b, nid), [self.value(m, b, nid) for m in lit.members]
        if any(same(value, m) for m in members) == lit.negated:
            raise Invalid(nid, f"{show(value)} is {'' if lit.negated else 'not '}one of {', '.join(map(show, members))}")
        values = f"{show(value)} {_in(lit)} ({', '.join(map(show, members))})"
        if not (same(value, node["value"]) and _args_equal(members, node["members"])
                and node["negated"] == lit.negated and node["holds"]):
            raise Invalid(node["id"], f"the condition shows other values than {values}")
        if node["text"] != f"{literal_text(lit)}: {values}" or text not in (None, values):
            raise Invalid(node["id"], f"the condition's text is not {literal_text(lit)}: {values}")

    def holds(self, lit: ast.Comparison, b: dict, nid: str) -> tuple:
        self.counts["comparisons"] += 1
        left, right = self.value(lit.left, b, nid), self.value(lit.right, b, nid)
        if not compare(lit.op, left, right, same):
            raise Invalid(nid, f"comparison fails: {left!r} {lit.op} {right!r}")
        return left, right

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
                return self.day
            return self.books.constant(e.name, self.day, nid)
        if isinstance(e, ast.Neg):
            v = self.value(e.operand, b, nid)
            return HIDDEN if v is HIDDEN else negative(v)
        if isinstance(e, ast.BinOp):
            left, right = self.value(e.left, b, nid), self.value(e.right, b, nid)
            return HIDDEN if HIDDEN in (left, right) else arith(e.op, left, right)
        if isinstance(e, ast.Call):
            args = [self.value(a, b, nid) for a in e.args]
            return HIDDEN if any(a is HIDDEN for a in args) else call(e.func, args)
        raise Invalid(nid, "_ has no value")


def _aggregate(agg: ast.Aggregate, values: list):
    if agg.func == "count":
        return len(set(json.dumps(v) for v in values)) if agg.distinct else len(values)
    if agg.func == "sum":
        return total(values)
    return (min if agg.func == "min" else max)(values) if values else None


MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError, RecursionError)


def check_proof(proof: dict, rulebook_texts: dict[str, str], records: list[dict],
                run_facts: dict[str, list[list]] | None = None) -> Verdict:
    """Check a proof (as JSON) against rulebook texts (in the order the run applied them), evidence
    records and the run's facts; the first failing step is reported, and every node must be checked."""
    try:
        checker = Checker(proof, Rulebooks(rulebook_texts), Evidence(records), run_facts)
        checker.check()
        return Verdict(True, checked=checker.counts, unverified=tuple(checker.withheld_parts))
    except Invalid as exc:
        return Verdict(False, exc.step, exc.reason)
    except MALFORMED as exc:
        return Verdict(False, "proof", f"malformed proof: {type(exc).__name__}: {str(exc)[:200]}")
