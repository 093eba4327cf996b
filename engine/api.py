"""The Python API: everything the `warrant` command does, as functions over a case file.

    program = load_rulebook("rulebooks/ofac_50.rules")
    with Case.open("case.db") as case:
        case.load(program, "examples/demo/facts")
        result = case.run(program)
        rows = case.query('blocked(X)')

The modules a command may not need (the loader, the checker, the evaluator, bundles, replay) are imported by
the functions that use them, so that reading a stored run (`warrant why`) loads only what it reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .audit import log as audit
from .numbers import argument_text
from .audit.immutable import protect
from .check.cache import cached_program, remember_program, stored_program
from .defaults import DEFAULT_MAX_FACTS, DEFAULT_MAX_SECONDS
from .diagnostics import Diagnostic, SourceMap, WarrantError, error
from .eval.relations import ident, table_name
from .lazy import OnFirstUse, lazy_exports
from .source import SourceFile
from .store.asof import (Clocks, clocks_of_run, every_record_in_force, in_force_sql, known_at_bound, last_batch,
                         record_clocks, recorded_at_stamp)
from .store.backend import POSTGRES, dialect, has_table
from .store.schema import Store, open_store, write_transaction
from .store.timeline import out_of_clocks
from .syntax import ast
from .syntax.program import Program
from .access import principals
from .access.markings import MarkingError, Scheme, read_scheme, scheme_from, write_scheme
from .access.principals import Principal
from .store.facts import run_rows

if TYPE_CHECKING:
    from .audit.checker import Verdict
    from .audit.diff import RunDiff
    from .audit.replay import ReplayReport
    from .eval import RunResult
    from .example_coverage import Coverage
    from .examples import ExampleResult

checkpoints = OnFirstUse("engine.audit.checkpoints")
proof_api = OnFirstUse("engine.proof.api")
# what this module gave by importing it, now imported when first asked for
__getattr__, __dir__ = lazy_exports(__name__, {
    ".audit.bundle": ("proof_records", "run_facts", "same_as_stored", "verified_proof", "verify_bundle",
                      "write_bundle"),
    ".audit.checker": ("Verdict", "check_proof"), ".audit.signing": ("sign_bundle",),
    ".audit.record_lookup": ("record_in_bundle",),
    ".audit.diff": ("Change", "RunDiff", "evidence_reasons", "rule_changes"),
    ".audit.replay": ("ReplayReport", "replay_run"), ".audit.runs": ("FactsDiff", "compare_facts", "facts_digest"),
    ".check": ("check_files", "check_program", "has_errors"), ".eval": ("RunResult", "evaluate", "stored_conclusions"),
    ".example_coverage": ("Coverage",), ".examples": ("ExampleResult", "run_examples"),
    ".store.loading": ("load_facts",), ".store.rulebooks": ("register_program",),
    ".store.evidence": ("ensure_evidence_tables",), ".syntax.parser": ("parse_atom", "parse_text"),
    ".syntax.program": ("load_program",)})


@dataclass(frozen=True)
class CheckResult:
    diagnostics: list[Diagnostic]
    sources: SourceMap

    @property
    def ok(self) -> bool:
        from .check import has_errors
        return not has_errors(self.diagnostics)


def check(paths: list[str]) -> CheckResult:
    """Check rulebooks; a missing file raises FileNotFoundError."""
    from .check import check_files
    diags, sources = check_files(paths)
    return CheckResult(diags, sources)


def load_rulebook(path: str | Path, sources: SourceMap | None = None) -> Program:
    """Parse and check a rulebook with the files it uses; raise WarrantError if anything is an error."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no such rulebook: {path}")
    if (program := cached_program(path, sources)) is not None:
        return program
    from .check import check_program
    from .syntax.program import load_program

    program, diags, sources = load_program(path, sources)
    if program is not None:
        diags = list(diags) + check_program(program)
    errors = [d for d in diags if d.is_error]
    if errors or program is None:
        raise WarrantError(errors, sources)
    remember_program(path, program)
    return program


def migrate_case(source: str | Path, target: str, actor: str | None = None):
    """Copy the case file `source` whole (evidence, runs, audit log) into the empty PostgreSQL database at
    `target` (a postgresql:// URL), all or nothing; the move is recorded in the audit log there as `actor`.
    Returns the MigrateReport, whose `chain` is the audit chain verified at the other end."""
    from .store.backend import is_postgres_url
    from .store.errors import store_error
    from .store.migrate import migrate

    if not is_postgres_url(target):
        raise store_error("S003", f"{target} is not a PostgreSQL database: give --to as postgresql://USER@HOST/DB")
    return migrate(str(source), target, actor or audit.default_actor())


def rulebook_paths(paths: list[str]) -> list[str]:
    """Expand folders to the *.rules files inside them, sorted."""
    out = []
    for p in paths:
        path = Path(p)
        out += sorted(str(f) for f in path.glob("*.rules")) if path.is_dir() else [p]
    return out


@dataclass(frozen=True)
class TestReport:
    results: list[tuple[str, list[ExampleResult]]]  # per rulebook path
    sources: SourceMap
    coverage: tuple[Coverage, ...] = ()  # per rulebook path, when asked for

    @property
    def failed(self) -> list[ExampleResult]:
        return [r for _, rs in self.results for r in rs if not r.passed]

    @property
    def total(self) -> int:
        return sum(len(rs) for _, rs in self.results)


def test_rulebooks(paths: list[str], coverage: bool = False) -> TestReport:
    """Run the examples of each rulebook (folders expand to their *.rules); with `coverage`, also report
    what no example exercises."""
    from .example_coverage import coverage as example_coverage
    from .examples import run_examples

    sources = SourceMap()
    programs = [(p, load_rulebook(p, sources)) for p in rulebook_paths(paths)]
    results = [(p, run_examples(program, coverage)) for p, program in programs]
    covered = tuple(example_coverage(p, program, rs) for (p, program), (_, rs) in zip(programs, results))
    return TestReport(results, sources, covered if coverage else ())


test_rulebooks.__test__ = False
TestReport.__test__ = False


def _file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _effective_as_of(as_of: str | None) -> str:
    """The moment a run looks at: `as_of`, but never later than now, so a replay sees the same evidence."""
    now = _now()
    if as_of is None:
        return now
    text = as_of.strip()
    if len(text) == 10 and text >= now[:10]:
        return now if text == now[:10] else text
    return text


def _effective_known_at(known_at: str | None) -> str:
    """The record-time cutoff of a run: `known_at` (a date is up to its end), but never later than now,
    so that a replay sees the same records."""
    now = _now()
    return now if known_at is None else min(known_at_bound(known_at), now)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class FtmImport:
    """What an FtM import did: every entity accounted for (`summary`), and the load of its evidence."""

    summary: object  # store.ftm_import.ImportSummary
    load: object     # store.loading.LoadReport

    def to_json(self) -> dict:
        """The summary and the load's counts as JSON data."""
        return {**self.summary.to_json(), "batch": self.load.batch, "added": self.load.added,
                "duplicates": self.load.duplicates}


class Case:
    """An open case file. Every load, registration, run and read is recorded in its audit log as `actor`,
    acting as the principal `as_principal` (default: the all-seeing owner), whose markings decide what
    each read shows."""

    def __init__(self, store: Store, actor: str | None = None, as_principal: str | None = None):
        self.store = store
        self.actor = actor or audit.default_actor()
        self.principal_name = as_principal

    @classmethod
    def open(cls, path: str | Path = "case.db", actor: str | None = None, create: bool = True,
             as_principal: str | None = None) -> "Case":
        """Open the case file at `path`; one that does not exist is made when `create`, and is otherwise the
        error S004 (read commands never make a case file). A principal the case file does not know is A001."""
        case = cls(open_store(path, create), actor, as_principal)
        try:
            case.principal
        except MarkingError:
            case.close()
            raise
        return case

    @property
    def principal(self) -> Principal:
        """The principal this case acts as (MarkingError, exit 2, for a name the case file does not know). On
        PostgreSQL a role that is a principal's acts as that principal and no other."""
        if dialect(self.conn) == POSTGRES:
            from .access.roles_pg import session_principal

            return session_principal(self.conn, self.principal_name)
        return principals.find(self.conn, self.principal_name)

    @property
    def scheme(self) -> Scheme:
        return read_scheme(self.conn)

    def audit(self, action: str, entity: str | None, details: dict) -> None:
        """Append an audit entry naming the acting principal (inside the caller's transaction when there is one)."""
        with write_transaction(self.store):
            audit.append(self.conn, action, entity, {**details, "principal": self.principal.name}, self.actor)

    # principals and markings
    def add_principal(self, name: str, kind: str, clearance: str, nationality: str, caveats=None,
                      access: str | None = None, role: str | None = None) -> Principal:
        """Record a user or partner agency with its clearance and nationality; only the owner may. On
        PostgreSQL it is also a database role: `role` (default: its name), made or linked, a member of the
        case's group for `access` (reader, writer or owner; default reader); see access/roles_pg.py."""
        from .access import roles_pg

        self._owner_only("add a principal")
        with write_transaction(self.store):
            added = principals.add(self.conn, self.scheme, name, kind, clearance, nationality, caveats)
            details = added.to_json()
            if dialect(self.conn) == POSTGRES:
                linked = roles_pg.link(self.conn, name, access or "reader", role)
                details |= {"role": linked.role, "access": linked.access}
            elif access is not None or role is not None:
                raise MarkingError("--access and --role give a principal a database role, which only a case on "
                                   "PostgreSQL has", "leave them out for a case file")
            self.audit("principal.add", name, details)
        return added

    def principal_roles(self) -> dict:
        """Each principal's database role and access, by principal name (none on a case file)."""
        from .access.roles_pg import links

        return links(self.conn)

    def principals(self) -> list[Principal]:
        return principals.listed(self.conn)

    def set_scheme(self, levels, default: str | None = None) -> Scheme:
        """Choose the case file's ordered classification levels; refused while a source, record or principal
        holds a level the new scheme lacks."""
        self._owner_only("change the marking scheme")
        scheme = scheme_from(levels, default)
        with write_transaction(self.store):
            used = {r[0] for r in self.conn.execute("SELECT classification FROM sources WHERE classification IS NOT NULL")}
            used |= {p.clearance for p in self.principals()}
            if has_table(self.conn, "record_markings"):  # a case file makes it with the first marked record
                used |= {r[0] for r in self.conn.execute("SELECT DISTINCT classification FROM record_markings")}
            if missing := sorted(used - set(scheme.levels)):
                raise MarkingError(f"the case file already uses {', '.join(missing)}, not a level of {scheme.order_text()}",
                                   "choose a scheme that keeps the levels in use")
            write_scheme(self.conn, scheme)
            self.audit("markings.scheme", None, scheme.to_json())
        return scheme

    def _owner_only(self, what: str) -> None:
        if not self.principal.owner:
            raise MarkingError(f"{self.principal.name} may not {what}: only the case file's owner may",
                               "run the command without --as (or as owner)")

    def _provider(self, clocks: Clocks):
        """The evidence query of each predicate under `clocks`: the whole table when every record is in force."""
        def evidence_sql(decl, _as_of=None) -> tuple[str, list]:
            return in_force_sql(decl, clocks, every_record_in_force(self.conn, decl, clocks))
        return evidence_sql

    def _run_provider(self, run_id: str):
        return self._provider(self.clocks(run_id))

    def _timeline(self, run_id: str):
        clocks = self.clocks(run_id)
        return lambda decl, conditions: out_of_clocks(self.conn, decl, conditions, clocks)

    def clocks(self, run_id: str | None = None) -> Clocks:
        """A run's two clocks: the assessment date, and what the case file had recorded (see `Clocks`)."""
        info = self.run_info(run_id)
        return Clocks(info["as_of"], info["known_at"], info["loaded_through"])

    def _register(self, program: Program) -> None:
        from .store.rulebooks import register_program

        known = {r[0] for r in self.conn.execute("SELECT sha256 FROM rulebooks")}
        register_program(self.store, program)
        for rb in program.rulebooks:
            if rb.sha256 not in known:
                self.audit("rulebook.register", rb.id, {"version": rb.version, "sha256": rb.sha256, "path": rb.path})

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def conn(self):
        return self.store.conn

    def load(self, program: Program, facts_dir: str | Path, progress: bool | None = None,
             recorded_at: str | None = None):
        """Validate and load a facts folder, all or nothing; returns the LoadReport.

        `recorded_at` backdates the records' receipt time (importing an older case file);
        the audit log still records when the load really happened."""
        from .store.loading import load_facts

        recorded_at = None if recorded_at is None else recorded_at_stamp(recorded_at)
        with write_transaction(self.store):
            self._register(program)
            report = load_facts(self.store, program, facts_dir, progress=progress, now=recorded_at)
            files = [{"path": f.path, "predicate": f.predicate, "sha256": _file_sha256(f.path), "rows": f.rows_read,
                      "added": f.added, "duplicates": f.duplicates} for f in report.files]
            self.audit("evidence.load", str(facts_dir), {"batch": report.batch, "files": files, "recorded_at": recorded_at})
            protect(self.conn)
        return report

    def import_bundle(self, folder: str | Path, program: Program, trust, terms=None,
                      recorded_at: str | None = None):
        """Take a partner's signed bundle as evidence of `program`: verified first against the `trust` store
        (A002 unless valid as issued by a trusted agency), then its conclusion and cited records loaded, all
        or nothing, as records of the partner agency's source (see engine/access/partner.py)."""
        from .access.partner import PartnerTerms, facts_folder, partner_evidence, verified_bundle

        self._owner_only("take evidence in")
        terms = terms or PartnerTerms()
        proof, records, manifest, issuer = verified_bundle(folder, trust)
        found = partner_evidence(proof, records, manifest, issuer, program, terms)
        with facts_folder(found, program, terms) as facts, write_transaction(self.store):
            report = self.load(program, facts, progress=False, recorded_at=recorded_at)
            self.audit("evidence.import_bundle", str(folder), {**found.to_json(), "batch": report.batch})
        return found, report

    def import_ftm(self, paths: list[str | Path], mapping: str | Path | None = None, rulebook: str | Path | None = None,
                   progress: bool | None = None, recorded_at: str | None = None) -> "FtmImport":
        """Import FtM entity files (JSON lines) under a mapping (default: rulebooks/ftm_mapping.toml) into
        the evidence the mapping's rulebook (or `rulebook`) declares, with entity names: all or nothing,
        through the same validated load as a facts folder. Every entity is accounted for in the summary."""
        import tempfile

        from .store.entity_names import read_names, store_names
        from .store.ftm_import import convert_files, no_files
        from .store.errors import LoadError
        from .store.ftm_mapping import read_mapping
        from .store.loading import load_facts

        files = [Path(p) for p in paths]
        if missing := no_files(files):
            raise LoadError(missing)
        read = read_mapping(mapping)
        program = load_rulebook(rulebook or read.rulebook)
        recorded_at = None if recorded_at is None else recorded_at_stamp(recorded_at)
        with tempfile.TemporaryDirectory(prefix="warrant-ftm-") as work:
            summary, facts, names = convert_files(files, read, program, Path(work), progress)
            with write_transaction(self.store):
                self._register(program)
                report = load_facts(self.store, program, facts, progress=progress, now=recorded_at)
                problems: list = []
                summary.names = store_names(self.conn, read_names(names, problems))
                if problems:
                    raise LoadError(problems)
                self.audit("evidence.import_ftm", ", ".join(map(str, files)), {
                    "batch": report.batch, "mapping": read.path, "mapping_sha256": _file_sha256(read.path),
                    "files": [{"path": str(f), "sha256": _file_sha256(f)} for f in files],
                    "summary": summary.to_json(), "recorded_at": recorded_at})
                protect(self.conn)
        return FtmImport(summary, report)

    def named(self, proof):
        """The proof or why-not answer for reading, with entity names beside their ids
        (engine/proof/names.py); never for proof.json, which carries ids alone."""
        from .proof import names as proof_names
        if not isinstance(proof, proof_api.Proof):  # a why-not answer
            return proof_names.whynot_with_names(proof, self.names(proof_names.answer_ids(proof)))
        return proof_names.with_names(proof, self.names(proof_names.proof_ids(proof)))

    def court(self, proof, fmt: str = "text") -> str | bytes:
        """The court view of a proof in `fmt` (text, md, html, dot, svg, png, or pdf: the court exhibit),
        with the case file's entity names (engine/proof/court.py)."""
        from .proof.names import proof_ids
        return proof_api.render(proof, fmt, court=True, names=self.names(proof_ids(proof)))

    def names(self, ids) -> dict[str, str]:
        """The names of the entities among `ids` that have one (see engine/store/entity_names.py)."""
        from .store.entity_names import names_of
        return names_of(self.conn, ids)

    def run(self, program: Program, facts: str | Path | None = None, as_of: str | None = None,
            max_rounds: int = 100_000, progress: bool | None = None, collect: bool = True,
            known_at: str | None = None, max_seconds: float | None = DEFAULT_MAX_SECONDS,
            max_facts: int | None = DEFAULT_MAX_FACTS, full: bool = False) -> RunResult:
        """Optionally load `facts`, then evaluate under two clocks: validity windows and the law as of `as_of`
        (the assessment date; default: now), over the evidence recorded by `known_at` (default: now; a date
        means the end of that day). With `collect=False` the result lists no conclusions: read them with
        `conclusions(run_id)`. Past `max_rounds`, `max_seconds` or `max_facts` (None or 0: no limit) the
        evaluation stops with EvalError and stores nothing (a load of `facts` is kept: it is done first).
        The run takes over what it can from the latest run of the same rulebooks (an incremental run, with
        the same facts and provenance as a full one) unless `full`; `result.reuse` says which it was."""
        from .eval import evaluate
        from .store.changes import evaluator
        from .store.evidence import ensure_evidence_tables

        if facts is not None:
            self.load(program, facts, progress)
        as_of = _effective_as_of(as_of)
        with write_transaction(self.store):
            clocks = Clocks(as_of, _effective_known_at(known_at), last_batch(self.conn))
            self._register(program)
            ensure_evidence_tables(self.store, program)
            previous, reason = (None, "--full asked for") if full else self._previous_run(program, clocks)
            result = evaluate(self.conn, program, self._provider(clocks), as_of=as_of, max_rounds=max_rounds,
                              collect=collect, max_seconds=max_seconds, max_facts=max_facts, previous=previous,
                              full_reason=reason)
            record_clocks(self.conn, result.run_id, clocks)
            self.audit("run", result.run_id, {
                "rulebook": result.rulebook, "rulebooks": [rb.sha256 for rb in program.rulebooks],
                "as_of": as_of, "known_at": clocks.known_at, "loaded_through": clocks.loaded_through,
                "engine_version": __version__, "evidence_snapshot": self.evidence_snapshot(program, clocks),
                "counts": result.counts, "evaluation": result.reuse.to_json(), "evaluator": evaluator(),
                "strata": [list(s) for s in result.spans]})
            protect(self.conn)
        return result

    def _previous_run(self, program: Program, clocks: Clocks):
        """(the run an incremental run may take over, or None; why not, when None)."""
        from .eval.incremental import Previous
        from .store.changes import evaluator, load_changes, loaded_since, previous_run

        found = previous_run(self.conn, program)
        if found is None:
            return None, "no earlier run of these rulebooks"
        run_id, as_of = found
        made = [e for e in audit.entries(self.conn, action="run", entity=run_id) if e.entity == run_id]
        if not made or made[-1].details.get("evaluator") != evaluator():
            return None, f"{run_id} was made by other code (another parser, checker, evaluator or SQLite)"
        before = self.clocks(run_id)
        unchanged, touched = load_changes(self.conn, program, before, clocks)
        spans = tuple(tuple(s) for s in made[-1].details.get("strata", ()))  # none for older runs: then read off their facts
        return Previous(run_id, as_of, self._provider(before), unchanged, touched, loaded_since(self.conn, before, clocks),
                        spans), ""

    def evidence_snapshot(self, program: Program, clocks: "Clocks | str | None") -> str:
        """An identity for the evidence a run could see: per evidence table, how many records were
        recorded by its known-at time (in the loads it could see) and in which load batches, plus those
        batches' file hashes. Evidence is append-only, so this fixes the records in force; replay then
        checks the facts themselves. A plain as-of string is the single clock of older runs.

        The counts come from the `loads` table (every record of a batch carries the batch's time), not
        from a pass over the evidence; `tests/store` checks that the two agree."""
        label = clocks.as_of if isinstance(clocks, Clocks) else clocks
        clocks = clocks if isinstance(clocks, Clocks) else Clocks.legacy(clocks)
        cutoff = clocks.known_at or "9999"
        through = clocks.loaded_through if clocks.loaded_through is not None else 1 << 62
        h = hashlib.sha256(f"as_of={label}\n".encode())
        loads = self.conn.execute("SELECT id, files FROM loads WHERE started_at <= ? AND id <= ? ORDER BY id",
                                  [cutoff, through]).fetchall()
        added = [(batch, json.loads(files)) for batch, files in loads]
        batches: set[int] = set()
        for name in sorted(d.name for d in program.declarations if d.is_evidence):
            rows = [(batch, n) for batch, files in added
                    if (n := sum(f["added"] for f in files if f["predicate"] == name))]
            h.update(f"{name}:{rows}\n".encode())
            batches |= {b for b, _ in rows}
        for batch, files in self.conn.execute("SELECT id, files FROM loads ORDER BY id"):
            if batch in batches:
                h.update(f"batch {batch}: {files}\n".encode())
        return h.hexdigest()

    def verify_audit(self) -> audit.ChainReport:
        """Walk the audit log's hash chain."""
        return audit.verify(self.conn)

    def checkpoint(self, key) -> tuple[int, dict]:
        """Sign the audit log's head with the agency key and store the checkpoint: (its number, the signed
        document). Refused (ProofError) when the chain is already broken."""
        from .proof.terms import ProofError

        report = audit.verify(self.conn)
        if not report.ok:
            raise ProofError(f"the audit log is broken at entry {report.first_bad} ({report.reason}): "
                             "a checkpoint would vouch for a tampered log")
        with write_transaction(self.store):
            return checkpoints.make(self.conn, key, self.actor)

    def verify_anchors(self, trust=None, files: list[tuple[str, dict]] = ()) -> checkpoints.AnchorReport:
        """The hash chain, then every checkpoint (stored, and the given (label, doc) files) against it."""
        return checkpoints.verify(self.conn, trust, list(files))

    def audit_entries(self, **filters) -> list[audit.AuditEntry]:
        """Audit entries in order, filtered by action, entity, actor, since, until."""
        return audit.entries(self.conn, **filters)

    def replay(self, run_id: str, proofs: bool | str = "auto") -> ReplayReport:
        """Recompute a past run from the evidence as recorded then and the rulebooks it used; store nothing
        but the audit entry. Compares every fact (arguments, round, rule) exactly and, by `proofs`
        (`auto`, `all`, `none`; True is `auto`), the JSON of every conclusion's proof (see
        `engine/audit/replay.py`). Memory stays bounded, and the case file is only read until the audit entry."""
        from .audit.replay import replay_run

        mode = ("auto" if proofs else "none") if isinstance(proofs, bool) else proofs
        info = self.run_info(run_id)
        program = self.program_for_run(run_id)
        provider = self._run_provider(run_id)

        def proof_text(conn, atom) -> str:
            return proof_api.render(proof_api.why(conn, program, run_id, atom, provider, info["as_of"]), "json")

        report = replay_run(self.store.path, self.conn, program, run_id, info["as_of"], provider, proof_text, mode)
        self.audit("replay", run_id, {"identical": report.identical, "facts_sha256": report.facts_sha256,
                                      "proofs": mode, "proofs_compared": report.proofs_compared})
        return report

    def record(self, record_hash: str) -> dict:
        """The evidence record with this hash, or a unique prefix of 12+ hex digits (keys
        `audit.record_lookup.FIELDS`), as the acting principal may see it: a withheld record gives only its
        predicate, grade and marking. H001-H003 for a hash that is malformed, unknown or ambiguous; audited."""
        from .access.reader import Reader
        from .audit import record_lookup

        with write_transaction(self.store):
            found = record_lookup.in_case(self.store, Reader(self.conn, self.principal, self.scheme), record_hash)
            self.audit("view.record", found["hash"], {"withheld": 1 if found["withheld"] else 0})
        return found

    # proofs
    def reader(self, program: Program) -> "Withholding":
        """What the acting principal may not see of the evidence `program` reads."""
        from .access.reader import Reader, Withholding
        return Withholding(Reader(self.conn, self.principal, self.scheme), program)

    def current_run(self, program: Program, as_of: str | None = None, known_at: str | None = None) -> str | None:
        """The latest run of exactly `program`'s rulebooks when its answers hold under these clocks (default:
        now): the same assessment date, and no evidence they read loaded or recorded since; else None."""
        from .store.changes import load_changes, previous_run

        found = previous_run(self.conn, program)
        if found is None:
            return None
        before, now = self.clocks(found[0]), self._asked_clocks(as_of, known_at)
        unchanged, _ = load_changes(self.conn, program, before, now)
        evidence = {d.name for d in program.declarations if d.is_evidence}
        return found[0] if before.day == now.day and evidence <= unchanged else None

    def _asked_clocks(self, as_of: str | None, known_at: str | None) -> Clocks:
        return Clocks(_effective_as_of(as_of), _effective_known_at(known_at), last_batch(self.conn))

    def _partially(self, program: Program, ask, as_of, known_at, answer, view=None):
        """`answer(conn, run_id, clocks)` from a partial evaluation for `ask`, a predicate or a Demand
        (engine/point.py); with `view`, over the records that reader may see."""
        from .point import answer_partially
        from .store.evidence import ensure_evidence_tables

        clocks = self._asked_clocks(as_of, known_at)
        with write_transaction(self.store):
            ensure_evidence_tables(self.store, program)
        provider = view.provider(self._provider(clocks)) if view is not None else self._provider(clocks)
        return answer_partially(self.store.path, program, provider, clocks, ask,
                                lambda conn, run_id: answer(conn, run_id, clocks),
                                max_seconds=DEFAULT_MAX_SECONDS, max_facts=DEFAULT_MAX_FACTS)

    def why(self, atom: str, run_id: str | None = None, limits=None, program: Program | None = None,
            as_of: str | None = None, known_at: str | None = None):
        """The proof of a ground atom in a run (default: the latest), as the acting principal may see it; the
        read is audited with what was withheld (ids, never content). With `program` and no `run_id`: in its
        current run (`current_run`), or else from a partial evaluation of what the atom needs, never stored:
        the proof a full run would give, naming the run `partial` (engine/point.py)."""
        from .access.reader import access_details

        if program is not None and run_id is None:
            run_id = self.current_run(program, as_of, known_at)
            if run_id is None:
                from .eval.demand import Demand

                ground = _ground(program, atom)
                result = self._partially(program, Demand(ground.predicate, ground.args), as_of, known_at, lambda conn, run, clocks: proof_api.why(
                    conn, program, run, ground, self._provider(clocks), clocks.as_of, limits))
                with write_transaction(self.store):
                    result = self.reader(program).reader.proof(result, program)
                    self.audit("view.why", atom, {"run_id": None, "partial": True, **access_details(result)})
                return result
        run_id = run_id or self.latest_run()
        info, program = self.run_info(run_id), self.program_for_run(run_id)
        with write_transaction(self.store):
            result = proof_api.why(self.conn, program, run_id, atom, self._run_provider(run_id), info["as_of"], limits)
            result = self.reader(program).reader.proof(result, program)
            self.audit("view.why", atom, {"run_id": run_id, **access_details(result)})
        return result

    def whynot(self, atom: str, run_id: str | None = None, depth: int = 3, program: Program | None = None,
               as_of: str | None = None, known_at: str | None = None):
        """Why a ground atom does not hold in a run, rule by rule, over the records the acting principal may
        see (withheld names replaced); the read is audited. With `program` and no `run_id`, as `why` does."""
        if program is not None and run_id is None:
            run_id = self.current_run(program, as_of, known_at)
            if run_id is None:
                view = self.reader(program)

                def answer(conn, run, clocks):
                    timeline = view.timeline(lambda decl, conds: out_of_clocks(self.conn, decl, conds, clocks))
                    explain = self._explained_as(view, program, run, lambda other: proof_api.why(
                        conn, program, run, other, self._provider(clocks), clocks.as_of))
                    return proof_api.whynot(conn, program, run, atom, view.provider(self._provider(clocks)),
                                            clocks.as_of, depth, timeline, explain)
                result = self._partially(program, _ground(program, atom).predicate, as_of, known_at, answer, view)
                with write_transaction(self.store):
                    self.audit("view.whynot", atom, {"run_id": None, "partial": True, "withheld_records": len(view.hashes)})
                return _scrubbed(view, result)
        run_id = run_id or self.latest_run()
        info, program = self.run_info(run_id), self.program_for_run(run_id)
        with write_transaction(self.store):
            view = self.reader(program)
            result = _scrubbed(view, self._visible_whynot(view, program, run_id, atom, depth) if view.hashes else
                               proof_api.whynot(self.conn, program, run_id, atom, self._run_provider(run_id),
                                                info["as_of"], depth, self._timeline(run_id)))
            self.audit("view.whynot", atom, {"run_id": run_id, "withheld_records": len(view.hashes)})
        return result

    def why_all(self, predicate: str, run_id: str | None = None, limits=None) -> list:
        """Proofs of every fact of a derived predicate in a run that the acting principal may know of."""
        run_id = run_id or self.latest_run()
        info, program = self.run_info(run_id), self.program_for_run(run_id)
        with write_transaction(self.store):
            view = self.reader(program)
            proofs = proof_api.why_all(self.conn, program, run_id, predicate, self._run_provider(run_id), info["as_of"], limits)
            shown = [view.reader.proof(p, program) for p in proofs if not view.holds_secret(p.nodes[p.root].args)]
            self.audit("view.why", f"{predicate}(*)", {"run_id": run_id, "proofs": len(shown),
                                                       "withheld": len(proofs) - len(shown)})
        return shown

    def export(self, atom: str, out_dir: str | Path, run_id: str | None = None, key=None) -> Path:
        """Write a self-contained bundle for one conclusion that `verify_bundle` checks anywhere, with the
        audit log's latest checkpoint; signed with the agency `key` (keys.AgencyKey) when given."""
        from .audit.bundle import proof_records, run_facts, write_bundle
        from .audit.signing import sign_bundle
        from .proof import names as proof_names

        from .access.reader import access_details

        run_id = run_id or self.latest_run()
        program = self.program_for_run(run_id)
        view = self.reader(program)
        proof = view.reader.proof(self._rebuilt_proof(program, run_id, atom), program)
        proof_json = proof_api.render(proof, "json")
        data = json.loads(proof_json)
        books = self._rulebook_texts(run_id)
        records = [r for r in proof_records(self.conn, program, data, self.clocks(run_id).loaded_through)
                   if r["hash"] not in view.hashes]
        facts = {p: [r for r in rows if not view.holds_secret(r)]
                 for p, rows in run_facts(self.conn, program, data, searched_only=bool(view.hashes)).items()}
        checkpoint = checkpoints.latest(self.conn)
        names = self.names(proof_names.proof_ids(proof))
        manifest = write_bundle(out_dir, proof_json, books, records, facts,
                                proof_api.render(proof_names.with_names(proof, names), "svg").encode("utf-8"),
                                extra={checkpoints.BUNDLE_FILE: checkpoint} if checkpoint else None, names=names)
        if key is not None:
            sign_bundle(out_dir, key)
        self.audit("view.export", atom, {"run_id": run_id, "bundle": str(out_dir), **access_details(proof),
                                         "manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
                                         **({"signed_by": key.agency} if key is not None else {})})
        return manifest

    def export_ftm(self, run_id: str | None = None) -> list[dict]:
        """The run's conclusions about entities as FtM entities (see engine/ftm_export.py), as the acting
        principal may know of them (as `why --all` lists them), each carrying the SHA-256 of the proof that
        principal is given; the read is audited with how many conclusions were withheld."""
        from .ftm_export import conclusion_entities

        run_id = run_id or self.latest_run()
        program, info = self.program_for_run(run_id), self.run_info(run_id)
        view = self.reader(program)
        everything = self.conclusions(run_id)
        known = {p: [r for r in rows if not view.holds_secret(r)] for p, rows in everything.items()}

        def proof_json(atom: str) -> str:
            return proof_api.render(view.reader.proof(self._rebuilt_proof(program, run_id, atom), program), "json")

        with write_transaction(self.store):
            entities = list(conclusion_entities(program, info, known, proof_json))
            withheld = sum(map(len, everything.values())) - sum(map(len, known.values()))
            self.audit("view.export_ftm", run_id, {"entities": len(entities), "withheld": withheld})
        return entities

    def _rulebook_texts(self, run_id: str) -> dict[str, str]:
        rows = self.conn.execute(
            "SELECT r.id, r.sha256, r.text FROM run_rulebooks AS x JOIN rulebooks AS r ON r.sha256 = x.sha256 "
            "WHERE x.run_id = ? ORDER BY x.position", [run_id]).fetchall()
        return {f"rulebooks/{rid}-{sha[:12]}.rules": text for rid, sha, text in rows}

    def _visible_whynot(self, view, program: Program, run_id: str, atom, depth: int):
        """A why-not for a reader from whom records are withheld. The run's derived facts rest on those records
        too (a total with a withheld stake in it), so the asked predicate's rules are evaluated again over the
        records the reader may see, under the run's clocks, in a scratch database (engine/point.py); the answer
        names the run, and the other conclusions it names are explained as the reader's proofs of them read."""
        from .point import answer_partially

        clocks = clocks_of_run(self.conn, run_id, self.run_info(run_id)["as_of"])
        provider = view.provider(self._run_provider(run_id))
        timeline, explain = view.timeline(self._timeline(run_id)), self._explained_as(view, program, run_id)
        return answer_partially(
            self.store.path, program, provider, clocks, _ground(program, atom).predicate,
            lambda conn, run: proof_api.whynot(conn, program, run, atom, provider, clocks.as_of, depth, timeline, explain),
            run_id=run_id, max_seconds=DEFAULT_MAX_SECONDS, max_facts=DEFAULT_MAX_FACTS)

    def _explained_as(self, view, program: Program, run_id: str, proof=None):
        """A conclusion's explanation as the acting principal may read it (None: the run's, for a reader
        from whom nothing is withheld), from the proof `proof(atom)` gives (default: the stored run's)."""
        if not view.hashes:
            return None
        from .proof.whynot_search import root_explanation

        proof = proof or (lambda atom: self._rebuilt_proof(program, run_id, atom))
        return lambda atom: root_explanation(view.reader.proof(proof(atom), program))

    def _rebuilt_proof(self, program: Program, run_id: str, atom, limits=None):
        """The proof of `atom` as this case file gives it for the run (what export writes)."""
        return proof_api.why(self.conn, program, run_id, atom, self._run_provider(run_id), self.run_info(run_id)["as_of"],
                             limits)

    def verify_proof(self, proof: dict) -> Verdict:
        """Check a proof against this case file: the independent checker over the run's rulebooks and the
        stored records (their sources included), then the proof must be, node for node, the one the case
        file gives for that run (so the run exists, concluded the fact with these rounds, as of that date)."""
        run_id = proof.get("run", {}).get("run_id") if isinstance(proof, dict) and isinstance(proof.get("run"), dict) else None
        from .audit.bundle import proof_records, run_facts, same_as_stored
        from .audit.checker import Verdict, check_proof
        from .proof.terms import ProofError

        if not isinstance(run_id, str) or not self.conn.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone():
            return Verdict(False, "run", f"the proof names run {str(run_id)[:40]!r}, which is not in {self.store.path}")
        program = self.program_for_run(run_id)
        verdict = check_proof(proof, self._rulebook_texts(run_id),
                              proof_records(self.conn, program, proof, self.clocks(run_id).loaded_through),
                              run_facts(self.conn, program, proof))
        if not verdict.valid:
            return verdict
        try:
            limits = proof_api.Limits(**proof["limits"])
            root = proof["nodes"][proof["root"]]  # asked with the root's own values: 1.0 and 1 give other node ids
            atom = proof_api.GroundAtom(root["predicate"], tuple(root["args"]))
            full = self._rebuilt_proof(program, run_id, atom, limits)
        except (ProofError, ValueError) as exc:
            return Verdict(False, "run", f"run {run_id} gives no proof of {proof['atom']}: {str(exc)[:200]}")
        if any(isinstance(n, dict) and n.get("kind") == "withheld" for n in proof["nodes"].values()):
            return self._opened(proof, full, program, verdict)
        return same_as_stored(proof, json.loads(proof_api.render(full, "json")), run_id) or verdict

    def _opened(self, proof: dict, full, program: Program, verdict: Verdict) -> Verdict:
        """A redacted proof against this case file: it must be the full proof as one of its principals sees
        it, so every withheld part opens to the records and steps the case file holds."""
        from dataclasses import replace

        from .access.reader import Reader
        from .audit.checker import Verdict

        for p in self.principals():
            seen = Reader(self.conn, p, self.scheme).proof(full, program)
            if json.loads(proof_api.render(seen, "json")) == proof:
                return replace(verdict, unverified=tuple(n for n in verdict.unverified if not n.startswith("withheld "))
                               + (f"this is run {full.run.run_id}'s proof as {p.describe()} may see it: every withheld "
                                  "part opens to what the case file holds",))
        return Verdict(False, "proof", f"the proof is not run {full.run.run_id}'s proof as any principal of "
                                       f"{self.store.path} may see it: a withheld part does not open")

    def diff(self, run_a: str, run_b: str) -> RunDiff:
        """Conclusions gained and lost from run A to run B, each with the evidence or rule change behind it, as
        the acting principal may see them: a conclusion naming a value only withheld records hold is left out
        (as `why_all` leaves it out), and so is a withheld record among the reasons."""
        from .audit.diff import Change, RunDiff, evidence_reasons, rule_changes

        prog_a, prog_b = self.program_for_run(run_a), self.program_for_run(run_b)
        info_a, info_b = self.run_info(run_a), self.run_info(run_b)
        rules = [{r.id: _rule_text(r) for r in p.written_rules} for p in (prog_a, prog_b)]
        consts = [{c.name: c.value.value for c in p.constants} for p in (prog_a, prog_b)]
        changed = rule_changes(rules[0], rules[1], consts[0], consts[1])
        views = {run_a: self.reader(prog_a), run_b: self.reader(prog_b)}
        changes = []
        for pred in sorted({d.name for p in (prog_a, prog_b) for d in p.declarations if d.kind == "conclusion"}):
            held_a, held_b = (set(self._conclusions(r, pred, views[r])) for r in (run_a, run_b))
            for atom, gained in sorted([(a, True) for a in held_b - held_a] + [(a, False) for a in held_a - held_b]):
                where, other, program, other_id = (run_b, info_a, prog_a, run_a) if gained else (run_a, info_b, prog_b, run_b)
                proof = json.loads(proof_api.render(self.why(atom, where), "json"))
                view = views[other_id]
                reasons = evidence_reasons(proof, lambda h: self._in_force(program, self.clocks(other_id), h),
                                           lambda p, a, ev: self._present(program, self.clocks(other_id), p, a, view)
                                           if ev else self._derived(other_id, p, a, view), gained)
                changes.append(Change(atom, gained, tuple(reasons or changed or ["a change deeper in the proof"])))
        return RunDiff(run_a, run_b, tuple(changed), tuple(changes))

    def alerts(self, since: str | None = None) -> list:
        """Conclusions gained or lost at each rulebook's latest run, with a reason each (see engine/alerts.py)."""
        from .alerts import alerts
        return alerts(self, since)

    def _conclusions(self, run_id: str, predicate: str, view=None) -> list[str]:
        """A run's conclusions of `predicate` as atoms, without those naming a value only what `view`
        withholds holds."""
        from .eval import stored_conclusions

        rows = stored_conclusions(self.conn, self.program_for_run(run_id), run_id).get(predicate, [])
        return [f"{predicate}({', '.join(argument_text(v) for v in row)})" for row in rows
                if view is None or not view.holds_secret(row)]

    def _in_force(self, program: Program, clocks: Clocks, record: str) -> bool:
        for decl in program.declarations:
            if decl.is_evidence:
                sql, params = in_force_sql(decl, clocks)
                if self.conn.execute(f"SELECT 1 FROM ({sql}) AS _in_force WHERE _hash = ? LIMIT 1", list(params) + [record]).fetchone():
                    return True
        return False

    def _derived(self, run_id: str, predicate: str, args: list, view=None) -> list[str]:
        pattern = ", ".join("_" if a is None else argument_text(a) for a in args)
        try:
            _, rows, _ = self._query(f"{predicate}({pattern})", run_id)
        except WarrantError:
            return []
        return [f"{predicate}({', '.join(argument_text(v) for v in r)})" for r in rows
                if view is None or not view.holds_secret(r)]

    def _present(self, program: Program, clocks: Clocks, predicate: str, args: list, view=None) -> list[str]:
        decl = program.declaration(predicate)
        if decl is None:
            return []
        sql, params = in_force_sql(decl, clocks)
        pairs = [(c, a) for c, a in zip(decl.columns, args) if a is not None]
        where = " AND ".join(f"{ident(c.name)} = ?" for c, _ in pairs) or "1 = 1"
        cols = ", ".join(ident(c.name) for c in decl.columns)
        rows = self.conn.execute(f"SELECT {cols}, _hash FROM ({sql}) AS _in_force WHERE {where} ORDER BY _hash",
                                 list(params) + [a for _, a in pairs]).fetchall()
        return [f"{predicate}({', '.join(argument_text(v) for v in r[:-1])}) (record {r[-1][:12]})" for r in rows
                if view is None or r[-1] not in view.hashes]

    # reading results
    def conclusions(self, run_id: str | None = None) -> dict[str, list[list]]:
        """Every conclusion of a run (default: the latest), by predicate, rows sorted."""
        from .eval import stored_conclusions

        run_id = run_id or self.latest_run()
        return stored_conclusions(self.conn, self.program_for_run(run_id), run_id)

    def conclusion_counts(self, run_id: str) -> dict[str, int]:
        """How many conclusions of each predicate of a run the acting principal may know of, as `why --all`
        lists them (the owner: the run's own counts of its conclusion predicates)."""
        program = self.program_for_run(run_id)
        predicates = sorted(d.name for d in program.declarations if d.kind == "conclusion")
        view = self.reader(program)
        if view.reader.sees_all:
            counts = self.run_info(run_id)["counts"]
            return {p: counts.get(p, 0) for p in predicates}
        return {p: len(self._conclusions(run_id, p, view)) for p in predicates}

    def latest_run(self) -> str:
        row = self.conn.execute("SELECT id FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if row is None:
            raise WarrantError(error("R001", f"{self.store.path} has no runs yet",
                                     hint="run a rulebook first: warrant run RULEBOOK --facts DIR"))
        return row[0]

    def run_info(self, run_id: str | None = None) -> dict:
        run_id = run_id or self.latest_run()
        row = self.conn.execute("SELECT id, rulebook_sha256, as_of, started_at, counts FROM runs WHERE id = ?",
                                [run_id]).fetchone()
        if row is None:
            raise WarrantError(error("R002", f"no run {run_id!r} in {self.store.path}", hint="list runs with: warrant runs"))
        books = self.conn.execute("SELECT rulebook_id, sha256 FROM run_rulebooks WHERE run_id = ? ORDER BY position DESC "
                                  "LIMIT 1", [run_id]).fetchone()
        version = self.conn.execute("SELECT version FROM rulebooks WHERE sha256 = ?", [books[1]]).fetchone() if books else None
        clocks = clocks_of_run(self.conn, row[0], row[2])
        return {"id": row[0], "rulebook": books[0] if books else None, "version": version[0] if version else None,
                "rulebook_sha256": row[1], "as_of": row[2], "known_at": clocks.known_at,
                "loaded_through": clocks.loaded_through, "started_at": row[3], "counts": json.loads(row[4] or "{}")}

    def runs(self) -> list[dict]:
        ids = [r[0] for r in self.conn.execute("SELECT id FROM runs ORDER BY id")]
        return [self.run_info(i) for i in ids]

    def program_for_run(self, run_id: str | None = None) -> Program:
        """The rulebooks a run applied, rebuilt from the texts registered in the case file (read back from the
        cache of parsed programs when these texts were parsed before: `check.cache.stored_program`)."""
        run_id = run_id or self.latest_run()
        rows = self.conn.execute(
            "SELECT r.path, r.text FROM run_rulebooks AS x JOIN rulebooks AS r ON r.sha256 = x.sha256 "
            "WHERE x.run_id = ? ORDER BY x.position", [run_id]).fetchall()
        if not rows:
            raise WarrantError(error("R002", f"no run {run_id!r} in {self.store.path}", hint="list runs with: warrant runs"))
        def parse() -> Program:
            from .syntax.parser import parse_text

            books = tuple(parse_text(SourceFile(path, text)) for path, text in rows)
            return Program(books[-1], books)

        return stored_program(rows, parse)

    def query(self, pattern: str, run_id: str | None = None, program: Program | None = None,
              as_of: str | None = None, known_at: str | None = None) -> tuple[list[str], list[list]]:
        """Rows matching an atom pattern such as `owns(X, "A", P)` that the acting principal may see: (column
        names, sorted rows). The read is audited with how many rows were withheld. With `program` and no
        `run_id`, as `why` does: its current run, or else a partial evaluation of what the pattern needs."""
        partial = False
        if program is not None and run_id is None:
            run_id = self.current_run(program, as_of, known_at)
            partial = run_id is None
        if not partial:
            run_id = run_id or self.latest_run()
            program = self.program_for_run(run_id)
        view = self.reader(program)
        if partial:
            from .syntax.parser import parse_atom

            from .eval.demand import Demand

            asked = parse_atom(pattern)
            _declaration(program, asked)
            names, rows, withheld = self._partially(program, Demand(asked.predicate, _constants(asked)), as_of, known_at,
                                                    lambda conn, run, clocks: _pattern_rows(
                                                        conn, program, clocks, pattern, run, view.hashes))
        else:
            names, rows, withheld = self._query(pattern, run_id, view.hashes)
        shown = [r for r in rows if not view.holds_secret(r)]
        self.audit("view.query", pattern, {"run_id": run_id, **({"partial": True} if partial else {}),
                                           "rows": len(shown), "withheld": len(rows) - len(shown) + withheld})
        return names, shown

    def _query(self, pattern: str, run_id: str | None, hidden: set[str] = frozenset()) -> tuple[list[str], list[list], int]:
        """Rows matching an atom pattern without the records `hidden`, and how many rows only those held."""
        run_id = run_id or self.latest_run()
        return _pattern_rows(self.conn, self.program_for_run(run_id), self.clocks(run_id), pattern, run_id, hidden)


def _pattern_rows(conn, program: Program, clocks: Clocks, pattern: str, run_id: str,
                  hidden: set[str] = frozenset()) -> tuple[list[str], list[list], int]:
    """Rows of run `run_id` (its evidence under `clocks`) matching an atom pattern without the records
    `hidden`, and how many rows only those held."""
    from .syntax.parser import parse_atom

    atom = parse_atom(pattern)
    decl = _declaration(program, atom)
    conds, args = _pattern_conditions(atom, decl)
    if decl.is_evidence:
        sql, params = in_force_sql(decl, clocks)
        source, params = f"({sql}) AS _in_force", list(params)
    else:
        run, params = run_rows(run_id)
        source = table_name("fact", decl.name)
        conds.insert(0, run)
    cols = ", ".join(ident(c.name) for c in decl.columns) or "NULL"  # a nullary predicate: one row if it holds
    where = " WHERE " + " AND ".join(conds) if conds else ""
    if decl.is_evidence and hidden:
        found = conn.execute(f"SELECT {cols}, _hash FROM {source}{where}", params + args).fetchall()
        seen = {tuple(r[:decl.arity]) for r in found if r[-1] not in hidden}
        withheld = len({tuple(r[:decl.arity]) for r in found} - seen)
        return [c.name for c in decl.columns], sorted(map(list, seen)), withheld
    order = f" ORDER BY {cols}" if decl.columns else ""
    sql = f"SELECT DISTINCT {cols} FROM {source}{where}{order}"
    rows = [list(r)[:decl.arity] for r in conn.execute(sql, params + args)]
    return [c.name for c in decl.columns], rows, 0


def _scrubbed(view, result):
    """A why-not answer without what `view` withholds, with a note saying records were withheld."""
    if not view.hashes:
        return result
    return type(result).model_validate_json(view.scrub(result.model_dump_json(), result.args)).model_copy(update={
        "notes": [*result.notes, f"{len(view.hashes)} record(s) withheld from you were not considered: "
                  "what is counted or summed here is what you may see, and withheld records may add to it"]})


def _constants(atom: ast.Atom) -> tuple:
    """Each argument's value where the pattern gives a literal, else None."""
    return tuple(a.value if isinstance(a, ast.Const) else None for a in atom.args)


def _ground(program: Program, atom):
    from .proof.terms import parse_atom

    return parse_atom(program, atom)


def _rule_text(rule: ast.Rule) -> tuple:
    """A rule's meaning for comparison: everything but where it was written (spans do not compare)."""
    return (rule.title, rule.citation, rule.head, rule.body, rule.explanation)


def _declaration(program: Program, atom: ast.Atom) -> ast.Declaration:
    decl = program.declaration(atom.predicate)
    if decl is None:
        import difflib

        near = difflib.get_close_matches(atom.predicate, [d.name for d in program.declarations], 1)
        raise WarrantError(error("Q001", f"unknown predicate {atom.predicate!r}", atom.span,
                                 f"did you mean {near[0]!r}?" if near else "see the rulebook's declarations"))
    if len(atom.args) != decl.arity:
        cols = ", ".join(c.name for c in decl.columns)
        takes = f"{decl.arity} argument(s) ({cols})" if cols else f"no arguments (write {decl.name}())"
        raise WarrantError(error("Q002", f"{decl.name} takes {takes}, not {len(atom.args)}", atom.span))
    return decl


def _pattern_conditions(atom: ast.Atom, decl: ast.Declaration) -> tuple[list[str], list]:
    conds, args, seen = [], [], {}
    for col, arg in zip(decl.columns, atom.args):
        name = ident(col.name)
        if isinstance(arg, ast.Var):
            if arg.name in seen:
                conds.append(f"{name} = {seen[arg.name]}")
            seen.setdefault(arg.name, name)
        elif isinstance(arg, ast.Const):
            conds.append(f"{name} = ?")
            args.append(arg.value)
        elif not isinstance(arg, ast.Wildcard):
            raise WarrantError(error("Q003", "a query argument is a variable, a literal or _", arg.span))
    return conds, args
