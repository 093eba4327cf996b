"""The workbench's reading of one case file: what each page shows, computed over the Python API.

One read-only connection serves every request, one request at a time (`Workbench.lock`), acting as one
principal: every page shows what that principal may see, decided by the Python API's reader (the proofs,
why-nots and diffs it redacts, and its `Withholding` for the lists the pages make). Each page view that reads
case content is kept for the access log (access_log.py), which the app appends after the request. Runs
never change once stored, so what is derived from a run alone (its rulebooks, a diff of two runs) is kept
after the first request; the list of runs is read afresh each time, so runs made while the workbench is
open appear.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..audit.diff import RunDiff
from ..proof.model import Proof
from ..proof.render_narrative import paragraphs
from ..proof.whynot_search import WhyNot
from ..store.asof import Clocks
from ..store.timeline import clocks_text
from ..diagnostics import WarrantError
from ..syntax import ast
from ..syntax.ast import Declaration
from ..syntax.parser import parse_atom
from ..syntax.program import Program
from . import entities, graphs, status
from .access_log import AccessLog
from .readonly import open_read_only


@dataclass(frozen=True)
class RunRow:
    id: str
    rulebook: str
    version: str
    as_of: str
    known_at: str | None
    clocks: str
    counts: dict


class Workbench:
    """A case file opened read-only, and the data of each page."""

    def __init__(self, path: str | Path, as_principal: str | None = None, say=None):
        self.log = AccessLog(path, "workbench", say)
        self.case = open_read_only(path, self.log, as_principal)
        self.path = self.case.store.path  # a URL without its password
        self.principal = self.case.principal
        self.log.check()
        self.lock = threading.RLock()
        self._program = lru_cache(maxsize=64)(self.case.program_for_run)
        self._diff = lru_cache(maxsize=64)(self._quiet_diff)
        self._conclusions: dict = {}  # (run, last load batch): what `conclusions` gave

    def close(self) -> None:
        self.log.close()
        self.case.close()

    def record(self, action: str, asked: str | None, details: dict) -> None:
        """Keep a page's access-log entry (`view.*`, as the CLI's reads), naming the principal."""
        self.case.audit(action, asked, details)

    def flush(self) -> None:
        """Append the request's access-log entries to the case file's audit log."""
        self.log.flush()

    def view(self, run_id: str | None = None):
        """What the principal may not see (the API's `Withholding`) of the evidence a run reads, or with no
        run, of every rulebook's latest run."""
        return self.case.reader(self.program(run_id) if run_id else _Evidence(self.evidence_declarations()))

    # runs
    def runs(self) -> list[RunRow]:
        """Every run, oldest first, with its clocks in words."""
        return [RunRow(r["id"], r["rulebook"], r["version"], r["as_of"], r["known_at"],
                       clocks_text(r["as_of"], r["known_at"]), r["counts"]) for r in self.case.runs()]

    def latest_runs(self) -> list[RunRow]:
        """The latest run of each rulebook, by rulebook id."""
        latest: dict[str, RunRow] = {}
        for r in self.runs():
            latest[r.rulebook] = r
        return [latest[k] for k in sorted(latest)]

    def program(self, run_id: str) -> Program:
        return self._program(run_id)

    def conclusions(self, run_id: str) -> dict[str, list[str]]:
        """A run's conclusions as atoms, by predicate, without those naming a value only withheld records hold
        (as `why --all` leaves them out)."""
        from ..proof.terms import atom_text
        from ..store.asof import last_batch

        key = (run_id, last_batch(self.case.conn))
        if key not in self._conclusions:
            view = self.view(run_id)
            self._conclusions = {k: v for k, v in self._conclusions.items() if k[1] == key[1]}
            self._conclusions[key] = {p: [atom_text(p, row) for row in rows if not view.holds_secret(row)]
                                      for p, rows in self.case.conclusions(run_id).items()}
        return self._conclusions[key]

    def counts(self, run: RunRow) -> dict:
        """A run's counts of conclusions and facts for the owner; for anyone else, of the conclusions it
        may see (a count of derived facts would count those naming withheld parties)."""
        if self.principal.owner:
            return run.counts
        return {p: len(atoms) for p, atoms in self.conclusions(run.id).items()}

    def changes(self) -> list:
        """What each rulebook's latest run gained or lost since its run before (engine/alerts.py), each diff
        remembered."""
        from ..alerts import alerts
        return alerts(self.case, diff_of=self._diff)

    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """The diff of two runs as the principal may see it, recorded as one `view.diff` entry."""
        self.case.run_info(run_a), self.case.run_info(run_b)  # an unknown run is R002
        found = self._diff(run_a, run_b)
        self.record("view.diff", f"{run_a} {run_b}", {"run_a": run_a, "run_b": run_b, "changes": len(found.changes),
                                                      "withheld_records": len(self.view(run_b).hashes)})
        return found

    def _quiet_diff(self, run_a: str, run_b: str) -> RunDiff:
        with self.log.quiet():
            return self.case.diff(run_a, run_b)

    # entities
    def evidence_declarations(self) -> list[Declaration]:
        """The evidence predicates of every rulebook's latest run, first declaration of each name."""
        seen: dict[str, Declaration] = {}
        for r in self.latest_runs():
            for d in self.program(r.id).declarations:
                if d.is_evidence:
                    seen.setdefault(d.name, d)
        return [seen[k] for k in sorted(seen)]

    def search(self, text: str, limit: int = 20) -> list[dict]:
        """Entities whose id or name contains `text`, but for those only withheld records name; recorded as
        a `view.search` entry."""
        view = self.view()
        found = entities.search(self.case.conn, self.evidence_declarations(), text, limit)
        shown = [f for f in found if not view.holds_secret([f["id"]])]
        if text.strip():
            self.record("view.search", text, {"found": len(shown), "withheld": len(found) - len(shown)})
        return shown

    def entity(self, entity: str) -> dict:
        """Everything the entity page shows, of what the principal may see: an id only withheld records name
        is shown as an id nothing is known about; recorded as one `view.entity` entry."""
        decls, view = self.evidence_declarations(), self.view()
        today = dt.datetime.now(dt.timezone.utc).date().isoformat()
        secret = view.holds_secret([entity])
        every = [] if secret else entities.evidence_about(self.case.conn, decls, entity)
        evidence = [r for r in every if r.record not in view.hashes]
        edges, more = ([], 0) if secret else entities.holdings(self.case.conn, decls, entity, Clocks(today),
                                                               view.provider)
        latest = [{"id": r.id, "rulebook": r.rulebook} for r in self.latest_runs()]
        with self.log.quiet():
            found = [] if secret or not evidence else status.entity_status(
                self.case, latest, self.program, entity, visible=lambda run, row: not self.view(run).holds_secret(row))
        self.record("view.entity", entity, {"statuses": len(found), "evidence": len(evidence),
                                            "withheld": len(every) - len(evidence) + (1 if secret else 0)})
        return {"id": entity, **(entities.naming(self.case.conn, entity) if not secret else {"names": [], "identifiers": {}}),
                "status": found, "edges": edges, "more_edges": more,
                "graph": graphs.holdings_svg(entity, edges) if edges else None, "evidence": evidence, "as_of": today}

    # proofs
    def proof(self, run_id: str, atom: str) -> Proof:
        return self.case.why(atom, run_id)

    def conclusion(self, run_id: str, atom: str) -> dict:
        """The proof graph, the data to fold it and show each node (an aggregate's total as the reader may
        see it), the narrative, and the line saying the conclusion rests on withheld evidence (or None)."""
        from ..proof.redact import total_text, withheld_banner

        proof = self.proof(run_id, atom)
        rules = rule_texts(self.case.conn, run_id, self.program(run_id))
        extra = {"derivation": lambda n: {"rule_text": rules.get(n.rule)},
                 "aggregate": lambda n: {"total_text": total_text(n)}}
        nodes = {nid: {**n.model_dump(mode="json"), **extra.get(n.kind, lambda n: {})(n)} for nid, n in proof.nodes.items()}
        return {"proof": proof, "svg": graphs.proof_svg(proof), "layout": graphs.proof_layout(proof),
                "nodes": nodes, "paragraphs": paragraphs(proof), "banner": withheld_banner(proof)}

    def court(self, run_id: str, atom: str, fmt: str = "html") -> str | bytes:
        """The court view of a conclusion's proof: a page (html) or the court exhibit (pdf)."""
        return self.case.court(self.proof(run_id, atom), fmt)

    def whynot(self, run_id: str, atom: str, depth: int = 3) -> WhyNot:
        return self.case.whynot(atom, run_id, depth)

    def one_line_whynot(self, run_id: str, atom: str) -> str:
        return status.one_line_whynot(self.case, run_id, atom)

    def atom_entities(self, run_id: str, atom: str) -> list[str]:
        """The entities an atom names, by the declarations of the run's rulebooks."""
        return atom_entities(self.program(run_id), atom)

    def candidates(self, run_id: str) -> list[str]:
        """Atoms to pick from on the why-not page: the conclusions this run's rulebooks could reach that it or
        any rulebook's latest run holds (one held elsewhere is the question a why-not answers), sorted."""
        declared = {d.name for d in self.program(run_id).declarations if d.kind == "conclusion"}
        runs = {run_id, *(r.id for r in self.latest_runs())}
        return sorted({a for r in runs for p, atoms in self.conclusions(r).items() if p in declared for a in atoms})

    # audit
    def audit(self, limit: int = 200) -> dict:
        """The chain's verification and the latest entries: every entry for the owner; for anyone else only
        the principal's own reads, without their details (the others' questions are not theirs to see)."""
        report = self.case.verify_anchors()
        entries = self.case.audit_entries()
        own = self.principal.owner
        shown = entries if own else [e for e in entries if e.details.get("principal") == self.principal.name]
        return {"report": report, "entries": shown[-limit:][::-1], "total": len(shown), "all_entries": len(entries),
                "details": own, "unrecorded": self.log.problem}


class _Evidence:
    """The evidence declarations of several rulebooks, read as one program's by the API's `Withholding`."""

    def __init__(self, declarations: list[Declaration]):
        self.declarations = declarations
        self._by_name = {d.name: d for d in declarations}

    def declaration(self, name: str) -> Declaration | None:
        return self._by_name.get(name)


def rule_texts(conn, run_id: str, program: Program) -> dict[str, str]:
    """Each written rule's source text, by rule id, from the rulebook texts the run used."""
    texts = dict(conn.execute("SELECT r.path, r.text FROM run_rulebooks AS x JOIN rulebooks AS r ON r.sha256 = x.sha256 "
                              "WHERE x.run_id = ?", [run_id]).fetchall())
    out = {}
    for rule in program.written_rules:
        text = texts.get(rule.span.path)
        if text:
            lines = text.splitlines()
            out[rule.id] = "\n".join(lines[rule.span.line - 1:rule.span.end_line])
    return out


def atom_entities(program: Program, atom: str) -> list[str]:
    """The entity arguments of an atom's text (entity pages to link), [] when it does not parse."""
    try:
        parsed = parse_atom(atom)
    except WarrantError:
        return []
    decl = program.declaration(parsed.predicate)
    if decl is None or len(decl.columns) != len(parsed.args):
        return []
    return [a.value for c, a in zip(decl.columns, parsed.args)
            if c.type == "entity" and isinstance(a, ast.Const) and isinstance(a.value, str)]
