"""Alerts: the conclusions each rulebook gained or lost at its latest run, with a one-line reason each.

For schedulers and scripts that re-run rulebooks as evidence arrives: `warrant alerts` compares, for
every rulebook, its latest run with the run of the same rulebook before it (or with `--since RUN`), and
exits 1 when anything changed. The reasons come from `Case.diff` (the evidence that arrived or was
retracted, or the rule that changed).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    """One conclusion gained or lost between two runs of one rulebook."""

    rulebook: str
    run_a: str
    run_b: str
    atom: str
    gained: bool
    reason: str

    def to_json(self) -> dict:
        return {"rulebook": self.rulebook, "since": self.run_a, "run": self.run_b, "atom": self.atom,
                "change": "gained" if self.gained else "lost", "reason": self.reason}

    def text(self) -> str:
        return f"{'+' if self.gained else '-'} {self.atom}  [{self.rulebook}: {self.run_a} -> {self.run_b}]  {self.reason}"


def run_pairs(runs: list[dict], since: str | None = None) -> list[tuple[str, str, str]]:
    """(rulebook, earlier run, latest run) per rulebook: the latest run of each rulebook and the run of the
    same rulebook just before it, or, with `since`, that run and the latest run of its rulebook."""
    by_book: dict[str, list[str]] = {}
    for run in runs:
        by_book.setdefault(run["rulebook"], []).append(run["id"])
    if since is not None:
        book = next(r["rulebook"] for r in runs if r["id"] == since)
        latest = by_book[book][-1]
        return [] if latest == since else [(book, since, latest)]
    return [(book, ids[-2], ids[-1]) for book, ids in sorted(by_book.items()) if len(ids) >= 2]


def alerts(case, since: str | None = None, diff_of=None) -> list[Alert]:
    """Every conclusion gained or lost at each rulebook's latest run (see `run_pairs`), sorted; `diff_of(run_a,
    run_b)` gives the diff of two runs (default: `case.diff`; the workbench passes one that remembers)."""
    if since is not None:
        case.run_info(since)  # an unknown run id is R002
    out = []
    for book, run_a, run_b in run_pairs(case.runs(), since):
        diff = (diff_of or case.diff)(run_a, run_b)
        for change in diff.changes:
            reason = (change.reasons or diff.rule_changes or ("a change deeper in the proof",))[0]
            out.append(Alert(book, run_a, run_b, change.atom, change.gained, reason))
    return sorted(out, key=lambda a: (a.rulebook, not a.gained, a.atom))
