"""What changed between two runs: conclusions gained and lost, and for each the evidence or rule
change that made the difference, read off the proofs of the run where the conclusion holds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    """One conclusion gained or lost, and the reasons found for it."""

    atom: str
    gained: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class RunDiff:
    run_a: str
    run_b: str
    rule_changes: tuple[str, ...]
    changes: tuple[Change, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {"run_a": self.run_a, "run_b": self.run_b, "rule_changes": list(self.rule_changes),
                "gained": [{"atom": c.atom, "reasons": list(c.reasons)} for c in self.changes if c.gained],
                "lost": [{"atom": c.atom, "reasons": list(c.reasons)} for c in self.changes if not c.gained]}


def rule_changes(rules_a: dict[str, object], rules_b: dict[str, object], consts_a: dict, consts_b: dict) -> list[str]:
    """Rules added, removed or changed (by id, comparing their text) and thresholds changed."""
    out = []
    for rid in sorted(set(rules_a) | set(rules_b)):
        if rid not in rules_a:
            out.append(f"rule {rid} added")
        elif rid not in rules_b:
            out.append(f"rule {rid} removed")
        elif rules_a[rid] != rules_b[rid]:
            out.append(f"rule {rid} changed")
    for name in sorted(set(consts_a) | set(consts_b)):
        if consts_a.get(name) != consts_b.get(name):
            out.append(f"{name} changed from {consts_a.get(name)!r} to {consts_b.get(name)!r}")
    return out


def evidence_reasons(proof: dict, in_force_elsewhere, present_elsewhere, gained: bool) -> list[str]:
    """Why a conclusion holds in one run and not the other, from the proof where it holds.

    `in_force_elsewhere(record_hash)` tells whether a cited record was in force in the other run;
    `present_elsewhere(predicate, args, is_evidence)` lists records in force (or facts derived) there that an
    absence claim rules out."""
    out = []
    other = "the earlier run" if gained else "the later run"
    for node in sorted(proof["nodes"].values(), key=lambda n: n["id"]):
        if node["kind"] == "evidence" and not in_force_elsewhere(node["record"]):
            verb = "is new evidence, not in force in" if gained else "is no longer in force in"
            out.append(f"{node['text']} (record {str(node['record'])[:12]}, {node.get('source_name') or node.get('source')}) "
                       f"{verb} {other}")
        elif node["kind"] == "absence":
            for rec in present_elsewhere(node["predicate"], node["args"], node["evidence"]):
                what = "was in force" if node["evidence"] else "held"
                out.append(f"{rec} {what} in {other}; this conclusion needs {node['text']} to be absent")
    return out
