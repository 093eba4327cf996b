"""The court view of a proof: plain words, entity names, dates and legal citations, nothing of the evaluation.

Built from the immutable proof model alone (plus an optional table of entity names) into a small frozen
structure the court renderers draw (render_court_text.py, render_court_dot.py, render_court_html.py,
court_pdf.py):

- `steps`: one numbered step per fact, the conclusion first, then the facts in the order they are first
  needed; a fact needed again is a reference ("see 3 above") and is explained once;
- each step has its `grounds`: one per rule that establishes it (two or more are alternatives, drawn as
  "either ... or ..."), or the exhibits that record it;
- `exhibits`: every evidence record once, numbered 1..N in order of first use, with its source, grade in
  words ("not graded" when it has none), document, dates and full hash, so a court can cite "exhibit 7".

Hidden on purpose: rounds, variable bindings, rule ids, rule syntax and record hashes (outside the exhibit
table). A node this module does not know (a withheld node, say) is shown by its `statement` or `message`,
never by any other field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .escape import visible
from .model import Proof
from .redact import contribution_value, total_text, withheld_banner
from .terms import Value, plain_value, value_text

RELIABILITY = {"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
               "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged"}
CREDIBILITY = {"1": "confirmed by other sources", "2": "probably true", "3": "possibly true", "4": "doubtful",
               "5": "improbable", "6": "truth cannot be judged"}
OPS = {">=": "at least", ">": "more than", "<=": "at most", "<": "less than", "=": "equal to", "==": "equal to",
       "!=": "other than"}


@dataclass(frozen=True)
class Item:
    """One thing a ground rests on, in words; `step` or `exhibits` say where it is shown."""

    text: str
    steps: tuple[int, ...] = ()
    exhibits: tuple[int, ...] = ()
    met: bool = True
    withheld: bool = False


@dataclass(frozen=True)
class Ground:
    """One reason a step holds: a rule with its citation and reason, or the exhibits that record it."""

    law: str
    reason: str
    items: tuple[Item, ...]
    alternative: int | None = None


@dataclass(frozen=True)
class Step:
    number: int
    statement: str
    conclusion: bool
    grounds: tuple[Ground, ...]


@dataclass(frozen=True)
class Exhibit:
    number: int
    statement: str
    source: str
    grade: str
    document: str
    dates: str
    record: str


@dataclass(frozen=True)
class CourtView:
    title: str
    conclusion: str
    assessed: str
    rules: str
    steps: tuple[Step, ...]
    exhibits: tuple[Exhibit, ...]
    withheld: str = ""
    names: tuple[str, ...] = ()

    def step(self, number: int) -> Step:
        return self.steps[number - 1]


def words(predicate: str) -> str:
    """A predicate in plain words: needs_review -> 'needs review'."""
    return predicate.replace("_", " ").strip()


class _Namer:
    def __init__(self, names: dict[str, str]):
        self.names = dict(names)
        ids = sorted(self.names, key=len, reverse=True)  # the longest first: "co:a-1" before "co:a"
        alternatives = "|".join(map(re.escape, ids))
        self.pattern = re.compile(rf"(?<![\w:.-])({alternatives})(?![\w-]|[:.]\w)") if ids else None

    def value(self, v: Value) -> str:
        if v is None:
            return "anyone"
        return self.names.get(v, v) if isinstance(v, str) else plain_value(v)

    def statement(self, predicate: str, args) -> str:
        parts = [self.value(a) for a in args]
        return f"{words(predicate)}: {', '.join(parts)}" if parts else words(predicate)

    def prose(self, text: str) -> str:
        return self.pattern.sub(lambda m: self.names[m.group(1)], text) if self.pattern else text


def grade_text(n) -> str:
    """'B2 (usually reliable; probably true)', or 'not graded' for a record without a grade."""
    return grade_words(n.reliability, n.credibility) if n.grade else "not graded"


def grade_words(reliability, credibility) -> str:
    """A source's reliability and a record's credibility in words, 'B2 (usually reliable; probably true)'
    ('?' for a missing half), or 'not graded' when both are absent."""
    if not reliability and credibility is None:
        return "not graded"
    grade = f"{reliability or '?'}{value_text(credibility) if credibility is not None else '?'}"
    said = [RELIABILITY.get(str(reliability or "")), CREDIBILITY.get(str(credibility if credibility is not None else ""))]
    said = [s for s in said if s]
    return f"{grade} ({'; '.join(said)})" if said else grade


def _dates(n) -> str:
    pairs = (("observed", n.observed), ("in force from", n.valid_from), ("until", n.valid_to),
             ("recorded", n.recorded_at))
    return "; ".join(f"{label} {v[:10] if label == 'recorded' else v}" for label, v in pairs if v)


def _facts_in_order(proof: Proof) -> list[str]:
    order, queue, seen = [], [proof.root], set()
    while queue:
        nid = queue.pop(0)
        if nid in seen:
            continue
        seen.add(nid)
        if proof.nodes[nid].kind == "fact":
            order.append(nid)
        queue += proof.children(nid)
    return order


def _evidence_in_order(proof: Proof, facts: list[str]) -> list[str]:
    out: list[str] = []
    for fid in facts:
        stack = [fid]
        while stack:
            nid = stack.pop(0)
            n = proof.nodes[nid]
            if n.kind == "evidence" and nid not in out:
                out.append(nid)
            elif n.kind != "fact" or nid == fid:
                stack = proof.children(nid) + stack
    return out


class _Builder:
    def __init__(self, proof: Proof, names: dict[str, str]):
        self.proof, self.say = proof, _Namer(names)
        self.facts = _facts_in_order(proof)
        self.number = {nid: i + 1 for i, nid in enumerate(self.facts)}
        self.exhibit = {nid: i + 1 for i, nid in enumerate(_evidence_in_order(proof, self.facts))}

    def fact_text(self, nid: str) -> str:
        n = self.proof.nodes[nid]
        return self.say.statement(n.predicate, n.args)

    def items(self, ids) -> list[Item]:
        out: list[Item] = []
        evidence = [k for k in ids if self.proof.nodes[k].kind == "evidence"]
        if evidence:
            first = self.proof.nodes[evidence[0]]
            out.append(Item(self.say.statement(first.predicate, first.args),
                            exhibits=tuple(self.exhibit[k] for k in evidence)))
        for k in ids:
            n = self.proof.nodes[k]
            if n.kind == "fact":
                out.append(Item(self.fact_text(k), steps=(self.number[k],)))
            elif n.kind == "evidence":
                continue
            elif n.kind == "aggregate":
                out += self.aggregate(n)
            elif n.kind == "comparison" and n.holds and n.op in ("=", "==") and n.left == n.right:
                continue  # a join written as a test ("X is equal to X") tells a court nothing
            elif n.kind == "comparison":
                out.append(Item(f"{self.say.value(n.left)} is {OPS.get(n.op, n.op)} {self.say.value(n.right)}",
                                met=n.holds))
            elif n.kind == "membership":
                members = ", ".join(self.say.value(m) for m in n.members)
                verb = "none of" if n.negated else "one of"
                out.append(Item(f"{self.say.value(n.value)} is {verb}: {members}", met=n.holds))
            elif n.kind == "absence":
                what = self.say.statement(n.predicate, n.args)
                out.append(Item(f"no record in force shows {what} (as of {n.as_of})" if n.evidence
                                else f"it is not established that {what} (as of {n.as_of})"))
            elif n.kind == "rulebook_fact":
                out.append(Item(f"stated by the rulebook, citing {n.citation}"))
            else:
                said = getattr(n, "statement", None) or getattr(n, "message", None) or "(not shown)"
                out.append(Item(self.say.prose(said), withheld=n.kind == "withheld"))
        return out

    def aggregate(self, a) -> list[Item]:
        """The figure, the test it meets, and what it is made of (the contributions' steps and exhibits,
        with each contribution's value for a sum; not met if any contribution's own test fails), then the
        statement of each withheld contribution."""
        what = {"sum": "the total", "count": "the number", "min": "the least", "max": "the greatest"}[a.function]
        total = total_text(a) if a.total is None else self.say.value(a.total)
        text = f"{what} comes to {total}"
        met = True
        if a.compared:
            against = words(a.compared.against)
            bound = self.say.value(a.compared.value)
            text += (f", {OPS.get(a.compared.op, a.compared.op)} {bound}"
                     + (f" ({against})" if against != bound else ""))
            met = a.compared.holds
        steps: list[int] = []
        exhibits: list[int] = []
        withheld: list[Item] = []
        for c in a.contributions:
            for i in self.items(c.nodes):
                steps += [n for n in i.steps if n not in steps]
                exhibits += [n for n in i.exhibits if n not in exhibits]
                withheld += [i] if i.withheld and i not in withheld else []
                met = met and i.met
        if a.function == "sum" and len(a.contributions) > 1:
            values = [contribution_value(c) if c.value is None else self.say.value(c.value) for c in a.contributions]
            text += f" ({' + '.join(values)})"
        return [Item(text, tuple(steps), tuple(exhibits), met)] + withheld

    def ground(self, did: str, alternative: int | None) -> Ground:
        d = self.proof.nodes[did]
        if d.kind == "rulebook_fact":
            return Ground(f"stated by the rulebook {d.rulebook}", f"citing {d.citation}", (), alternative)
        if d.kind != "derivation":
            return Ground("", self.say.prose(getattr(d, "message", None) or getattr(d, "statement", "")),
                          (), alternative)
        law = f"{d.title} ({d.citation})"
        if d.in_force:
            law += f", in force {d.in_force}"
        if d.branch:
            law += f"; met by the rule's alternative {d.branch}"
        return Ground(law, self.say.prose(d.explanation), tuple(self.items(d.children)), alternative)

    def step(self, nid: str) -> Step:
        f = self.proof.nodes[nid]
        many = len(f.derivations) > 1
        grounds = [self.ground(d, i + 1 if many else None) for i, d in enumerate(f.derivations)]
        if f.evidence:
            grounds.append(Ground("recorded in the evidence", "", tuple(self.items(f.evidence))))
        return Step(self.number[nid], self.fact_text(nid), nid == self.proof.root, tuple(grounds))

    def exhibit_of(self, nid: str, number: int) -> Exhibit:
        n = self.proof.nodes[nid]
        source = n.source_name or n.source or "unknown source"
        if n.source_kind:
            source += f" ({n.source_kind})"
        if n.jurisdiction:
            source += f", {n.jurisdiction}"
        return Exhibit(number, self.say.statement(n.predicate, n.args), source, grade_text(n), n.document or "",
                       _dates(n), n.record or "(no hash)")


def court_view(proof: Proof, names: dict[str, str] | None = None) -> CourtView:
    """The court view of `proof`, entity names from `names` (id -> name) where given, ids otherwise."""
    b = _Builder(proof, names or {})
    r = proof.run
    root = b.fact_text(proof.root)
    known = (r.recorded_until or r.as_of)[:10]
    assessed = f"assessed as of {r.as_of}, on the evidence recorded up to {known}"
    exhibits = tuple(b.exhibit_of(nid, k) for nid, k in b.exhibit.items())
    banner = withheld_banner(proof)
    used = sorted({n for n in b.say.names.values() if " " in n}, key=lambda n: (-len(n), n))
    return CourtView(withheld=banner.replace(proof.atom, root, 1) if banner else "", names=tuple(used),
                     title=f"Why {root} holds", conclusion=f"{root} holds under {r.rulebook} version {r.version}, "
                     f"{assessed}, on {len(b.facts)} step(s) and {len(exhibits)} exhibit(s).",
                     assessed=assessed, rules=f"{r.rulebook} version {r.version}",
                     steps=tuple(b.step(nid) for nid in b.facts), exhibits=exhibits)


NBSP = "\u00a0"


def keep_together(text: str, names) -> str:
    """`text` with its invisible characters shown (escape.visible) and the spaces inside each of `names`
    made non-breaking (NBSP), so wrapping never splits a name; every NBSP left is one of these."""
    text = visible(text)
    for name in map(visible, names):
        if name in text:
            text = text.replace(name, name.replace(" ", NBSP))
    return text


def where(steps, here: int) -> str:
    """Where steps are explained, from step `here`: 'see 3 above', 'see 5, 6 below', 'see 2 above and 5 below'."""
    above = [str(n) for n in sorted(steps) if n < here]
    below = [str(n) for n in sorted(steps) if n > here]
    said = ([f"{', '.join(above)} above"] if above else []) + ([f"{', '.join(below)} below"] if below else [])
    return "see " + " and ".join(said)
