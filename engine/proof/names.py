"""Entity names beside their ids in a proof meant for reading: a copy of the proof whose atom texts say who
each named entity is (`blocked("co:gulfstar") [Gulfstar Ship Management (co:gulfstar)]`) and whose
explanations say "Gulfstar Ship Management (co:gulfstar)" where they say the id.

Presentation only: the names come from the case file's entity_names table, never from the proof; a proof
as data (proof.json, the independent checker) carries ids alone, so a name can neither make nor break a
proof. A bundle carries the names beside the proof, in names.json, for its drawing and its reader."""

from __future__ import annotations

import re

from .model import Proof

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
