"""Entity names beside their ids in a proof meant for reading: a copy of the proof whose atom texts say who
each named entity is (`blocked("co:gulfstar") [Gulfstar Ship Management (co:gulfstar)]`) and whose
explanations say "Gulfstar Ship Management (co:gulfstar)" where they say the id.

Presentation only: the names come from the case file's entity_names table, never from the proof; a proof
as data (proof.json, the independent checker) carries ids alone, so a name can neither make nor break a
proof. A bundle carries the names beside the proof, in names.json, for its drawing and its reader."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .model import Proof

if TYPE_CHECKING:  # why-not's models are imported only by the commands that answer one
    from .whynot_search import Attempt, Failure, WhyNot

_TEXT_KINDS = ("fact", "evidence", "absence", "rulebook_fact")


def proof_ids(proof: Proof) -> set[str]:
    """Every text value the proof's atoms and bindings hold (candidates for a name)."""
    out: set[str] = set()
    for node in proof.nodes.values():
        for value in list(getattr(node, "args", None) or []) + list((getattr(node, "binding", None) or {}).values()):
            if isinstance(value, str):
                out.add(value)
    return out


def mentions(names: dict[str, str]) -> re.Pattern | None:
    """A pattern matching any of the ids in `names` standing alone in text (None when there are none)."""
    if not names:
        return None
    ids = sorted(names, key=len, reverse=True)  # the longest first: "co:a-1" before "co:a"
    return re.compile(r"(?<![\w:.-])(" + "|".join(map(re.escape, ids)) + r")(?![\w:-]|\.\w)")


def gloss(text: str, args, names: dict[str, str]) -> str:
    """`text` followed by the names of the named entities among `args`, once each."""
    named = [a for a in dict.fromkeys(args) if isinstance(a, str) and a in names]
    if not named:
        return text
    return f"{text} [{'; '.join(f'{names[a]} ({a})' for a in named)}]"


def with_names(proof: Proof, names: dict[str, str]) -> Proof:
    """The proof with names beside ids (see the module); the same proof when no entity of it has a name."""
    names = {k: v for k, v in names.items() if k in proof_ids(proof)}
    pattern = mentions(names)
    if pattern is None:
        return proof

    def prose(text: str) -> str:
        return pattern.sub(lambda m: f"{names[m.group(1)]} ({m.group(1)})", text)

    nodes = {}
    for key, node in proof.nodes.items():
        if node.kind in _TEXT_KINDS:
            node = node.model_copy(update={"text": gloss(node.text, node.args, names)})
        elif node.kind == "derivation":
            node = node.model_copy(update={"explanation": prose(node.explanation)})
        nodes[key] = node
    root = proof.nodes[proof.root]
    return proof.model_copy(update={"nodes": nodes, "atom": gloss(proof.atom, root.args, names)})


def _quoted(m: re.Match) -> bool:
    text, start, end = m.string, m.start(1), m.end(1)
    return start > 0 and end < len(text) and text[start - 1] == text[end] == '"'


def whynot_with_names(answer: WhyNot, names: dict[str, str]) -> WhyNot:
    """The why-not answer with names beside ids in what it says (message, notes, summaries, the texts and
    messages of its failures, down its sub-goals); the rules' conditions as written and the values stay."""
    pattern = mentions(names)
    if pattern is None:
        return answer

    def prose(text: str | None) -> str | None:  # an id in quotes is an atom's argument: it stays as written
        return text if text is None else pattern.sub(
            lambda m: m.group(1) if _quoted(m) else f"{names[m.group(1)]} ({m.group(1)})", text)

    def failure(f: Failure) -> Failure:
        return f.model_copy(update={"text": prose(f.text), "message": prose(f.message),
                                    "subgoals": [named(g) for g in f.subgoals]})

    def attempt(a: Attempt) -> Attempt:
        return a.model_copy(update={"summary": prose(a.summary), "failures": [failure(f) for f in a.failures]})

    def named(w: WhyNot) -> WhyNot:
        return w.model_copy(update={"atom": gloss(w.atom, w.args, names), "message": prose(w.message),
                                    "notes": [prose(n) for n in w.notes],
                                    "attempts": [attempt(a) for a in w.attempts]})

    return named(answer)


def answer_ids(answer: WhyNot) -> set[str]:
    """Every text value the why-not's atoms, bindings and figures hold (candidates for a name)."""
    out = {a for a in answer.args if isinstance(a, str)}
    for attempt in answer.attempts:
        for binding in attempt.bindings:
            out |= {v for v in binding.values() if isinstance(v, str)}
        for f in attempt.failures:
            out |= {v for v in f.values.values() if isinstance(v, str)}
            for part in f.counted + f.not_counted:
                out |= {v for v in part.binding.values() if isinstance(v, str)}
            for goal in f.subgoals:
                out |= answer_ids(goal)
    return out
