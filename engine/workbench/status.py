"""An entity's status under every rulebook, side by side: each conclusion about it at each rulebook's latest
run, with the rule's reason in one line, and the one-place conclusions it does not reach (their why-not is
asked for separately: it costs a search per rule)."""

from __future__ import annotations

from dataclasses import dataclass

from ..eval.relations import ident, table_name
from ..proof.model import Limits
from ..proof.terms import atom_text
from .entities import entity_columns
from ..store.facts import run_rows

ONE_LEVEL = Limits(max_depth=1, max_derivations=1)


@dataclass(frozen=True)
class Status:
    """One conclusion about an entity in one run: whether it holds, and the reason when it does."""

    rulebook: str
    run_id: str
    predicate: str
    atom: str
    holds: bool
    reason: str | None


def _reason(case, run_id: str, atom: str) -> str:
    """The first rule's explanation (or the rulebook's citation) of a fact that holds, in one line."""
    proof = case.why(atom, run_id, ONE_LEVEL)
    for d_id in proof.nodes[proof.root].derivations:
        node = proof.nodes[d_id]
        if node.kind == "derivation":
            return f"{node.rule}: {node.explanation}"
        if node.kind == "rulebook_fact":
            return f"stated by the rulebook, citing {node.citation}"
        if node.kind == "withheld":
            return node.statement
    return "holds"


def entity_status(case, latest: list[dict], program_of, entity: str, limit: int = 50,
                  visible=lambda run_id, row: True) -> list[Status]:
    """For each rulebook's latest run (`latest`: run_info dicts), the conclusions naming `entity` in any entity
    column that are `visible(run_id, row)` (with their reason), then each one-place conclusion over entities
    that does not hold of it."""
    out: list[Status] = []
    for info in latest:
        program = program_of(info["id"])
        for decl in sorted((d for d in program.declarations if d.kind == "conclusion"), key=lambda d: d.name):
            cols = entity_columns(decl)
            if not cols:
                continue
            names = ", ".join(ident(c.name) for c in decl.columns)
            where = " OR ".join(f"{ident(c)} = ?" for c in cols)
            run, params = run_rows(info["id"])
            rows = case.conn.execute(f"SELECT DISTINCT {names} FROM {table_name('fact', decl.name)} WHERE {run} "
                                     f"AND ({where}) ORDER BY {names} LIMIT ?",
                                     [*params, *[entity] * len(cols), limit]).fetchall()
            rows = [row for row in rows if visible(info["id"], row)]
            for row in rows:
                atom = atom_text(decl.name, row)
                out.append(Status(info["rulebook"], info["id"], decl.name, atom, True, _reason(case, info["id"], atom)))
            if not rows and decl.arity == 1:
                out.append(Status(info["rulebook"], info["id"], decl.name, atom_text(decl.name, [entity]), False, None))
    return out


def one_line_whynot(case, run_id: str, atom: str) -> str:
    """Why a fact does not hold, in one line (the first level of the why-not)."""
    return case.whynot(atom, run_id, depth=1).message
