"""Export bundles: a proof with everything needed to check it elsewhere, and their verification.

A bundle folder holds proof.json, the rulebook texts (rulebooks/), evidence.json (the records
the proof cites, every retraction of them, and every record an absence claim looked for),
run_facts.json (the run's facts for derived predicates used under `not`), names.json (the names of the
proof's entities, for reading: presentation, never part of the proof), the rendered graph drawn with those
names, and manifest.json with the SHA-256 of every file and the rulebooks' order. Verification needs nothing
else; bundle_reader.py is the only way it reads a bundle.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from ..eval.relations import ident, table_name
from ..proof.model import Proof
from ..syntax.program import Program
from .bundle_reader import SIGNATURE, Bundle, bundle_error, read_bundle
from .checker import Verdict, check_proof
from .checkpoints import BUNDLE_FILE, bundle_checkpoint
from .keys import TrustStore
from .signing import bundle_seal, issued_verdict
from ..store.facts import of_run

NAMES_FILE = "names.json"
NAMES_NOTE = (f"{NAMES_FILE}: the entities' names beside their ids are as the exporter states (presentation: the "
              "proof holds ids alone; look a name up in the case file)")
_META = ("source", "document", "credibility", "observed", "valid_from", "valid_to", "action", "recorded_at")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _records(conn: sqlite3.Connection, decl, where: str, params: list, loaded_through: int | None) -> list[dict]:
    if loaded_through is not None:
        where, params = f"({where}) AND e._batch <= ?", params + [loaded_through]
    cols = [ident(c.name) for c in decl.columns]
    meta = ", ".join(f"e._{m} AS _{m}" for m in _META)
    sql = (f"SELECT {''.join(f'e.{c}, ' for c in cols)}e._hash AS _hash, {meta}, s.name, s.kind, s.reliability, "
           f"s.jurisdiction FROM {table_name('ev', decl.name)} AS e LEFT JOIN sources AS s ON s.id = e._source "
           f"WHERE {where} ORDER BY e._hash")
    out = []
    n = len(cols)
    for row in conn.execute(sql, params):
        args = [bool(v) if c.type == "bool" and v is not None else v for c, v in zip(decl.columns, row[:n])]
        rec = {"predicate": decl.name, "args": args, "hash": row[n]}
        rec.update(zip(_META, row[n + 1:n + 1 + len(_META)]))
        rec.update(zip(("source_name", "source_kind", "reliability", "jurisdiction"), row[n + 1 + len(_META):]))
        out.append(rec)
    return out


def proof_records(conn: sqlite3.Connection, program: Program, proof: dict, loaded_through: int | None = None) -> list[dict]:
    """Every record a checker needs: cited records and their retractions, and what absences looked for,
    among the records of loads up to `loaded_through` (the last load the run could see; None: all)."""
    decls = {d.name: d for d in program.declarations}
    found: dict[str, dict] = {}
    for node in _nodes(proof, decls):
        if node["kind"] == "evidence":
            decl = decls[node["predicate"]]
            keys = _records(conn, decl, "e._hash = ?", [str(node.get("record"))], loaded_through)
            for rec in keys:
                conds = " AND ".join(f"e.{ident(c.name)} = ?" for c in decl.columns) or "1 = 1"
                for r in _records(conn, decl, conds, list(rec["args"]), loaded_through):
                    found[r["hash"]] = r
        elif node["kind"] == "absence" and node.get("evidence") is True:
            decl = decls[node["predicate"]]
            pairs = [(c, a) for c, a in zip(decl.columns, node.get("args") or []) if a is not None]
            conds = " AND ".join(f"e.{ident(c.name)} = ?" for c, _ in pairs) or "1 = 1"
            for r in _records(conn, decl, conds, [a for _, a in pairs], loaded_through):
                found[r["hash"]] = r
    return [found[h] for h in sorted(found)]


def same_as_stored(proof: dict, stored: dict, run_id: str) -> Verdict | None:
    """None when `proof` is, field for field, the proof the case file gives (`stored`); else where it differs.
    Numbers compare as the store keeps them (1.0 is 1): a fact asked as 1 or read back as 1.0 is one fact."""
    proof, stored = _integral(proof), _integral(stored)
    if proof["run"] != stored["run"]:
        field = next(k for k in stored["run"] if proof["run"].get(k) != stored["run"][k])
        return Verdict(False, "run", f"the header's {field} is {proof['run'].get(field)!r}, but run {run_id} has "
                                     f"{stored['run'][field]!r}")
    for nid in sorted(set(proof["nodes"]) | set(stored["nodes"])):
        if nid not in stored["nodes"]:
            return Verdict(False, nid, f"run {run_id} gives no such node for this proof (a fact, record or step it "
                                       f"did not derive or see this way)")
        if proof["nodes"].get(nid) != stored["nodes"][nid]:
            got = proof["nodes"].get(nid) or {}
            field = next((k for k in stored["nodes"][nid] if got.get(k) != stored["nodes"][nid][k]), "id")
            return Verdict(False, nid, f"{field} differs from run {run_id}'s proof in the case file")
    if proof != stored:
        return Verdict(False, "proof", f"the proof differs from run {run_id}'s proof in the case file")
    return None


def _integral(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(v) for v in value]
    return {k: _integral(v) for k, v in value.items()} if isinstance(value, dict) else value


def _nodes(proof, decls: dict) -> list[dict]:
    """The proof's evidence and absence nodes that name a declared predicate (a forged proof may hold anything)."""
    nodes = proof.get("nodes") if isinstance(proof, dict) else None
    return [n for n in (nodes.values() if isinstance(nodes, dict) else [])
            if isinstance(n, dict) and n.get("kind") in ("evidence", "absence")
            and isinstance(n.get("predicate"), str) and n["predicate"] in decls]


def run_facts(conn: sqlite3.Connection, program: Program, proof: dict,
              searched_only: bool = False) -> dict[str, list[list]]:
    """The run's facts of each derived predicate that an absence in the proof looked for: all of them, or with
    `searched_only` (a bundle for a reader from whom records are withheld, whose other facts may rest on them)
    only those matching what an absence looked for, which the checker needs and which a true absence leaves
    empty."""
    decls = {d.name: d for d in program.declarations}
    out: dict[str, list[list]] = {}
    for node in _nodes(proof, decls):
        if node["kind"] == "absence" and node.get("evidence") is False and isinstance(node.get("run_id"), str):
            decl = decls[node["predicate"]]
            cols = ", ".join(ident(c.name) for c in decl.columns) or "NULL"  # nullary: one row if it holds
            order = f" ORDER BY {cols}" if decl.columns else ""
            rows = [list(r)[:decl.arity] for r in conn.execute(
                f"SELECT {cols} FROM {table_name('fact', decl.name)} WHERE {of_run()}{order}",
                {"run_id": node["run_id"]}).fetchall()]
            if searched_only:
                wanted = node.get("args") if isinstance(node.get("args"), list) else []
                rows = [r for r in rows if len(r) == len(wanted) and all(w is None or w == v for w, v in zip(wanted, r))]
                rows = sorted({json.dumps(r): r for r in out.get(decl.name, []) + rows}.values(), key=json.dumps)
            out[decl.name] = rows
    return dict(sorted(out.items()))


def write_bundle(out_dir: str | Path, proof_json: str, rulebooks: dict[str, str], records: list[dict],
                 facts: dict[str, list[list]], graph: bytes | None, graph_name: str = "proof.svg",
                 extra: dict[str, bytes] | None = None, names: dict[str, str] | None = None) -> Path:
    """Write the bundle folder (rulebooks: bundle path -> text, in the order the run applied them; `extra`:
    more files, such as the audit log's checkpoint; `names`: the entities' names, written to names.json when
    there are any) and its manifest; returns the manifest path. A file already there is replaced, never
    written through a link; an old signature is removed."""
    out = Path(out_dir)
    if (out / "rulebooks").is_symlink():
        raise bundle_error("B002", str(out / "rulebooks"), "the bundle folder's rulebooks/ is a symbolic link",
                           "export into a new folder")
    (out / "rulebooks").mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {"proof.json": proof_json.encode("utf-8"),
                               "evidence.json": _dump(records), "run_facts.json": _dump(facts)}
    files.update({name: text.encode("utf-8") for name, text in rulebooks.items()})
    if graph is not None:
        files[graph_name] = graph
    files.update(extra or {})
    if names:
        files[NAMES_FILE] = _dump(dict(sorted(names.items())))
    for name, data in files.items():
        (out / name).unlink(missing_ok=True)
        (out / name).write_bytes(data)
    manifest = {"format": "warrant-bundle/1", "files": {n: _sha256(d) for n, d in sorted(files.items())},
                "rulebooks": list(rulebooks)}
    (out / "manifest.json").unlink(missing_ok=True)
    (out / SIGNATURE).unlink(missing_ok=True)
    (out / "manifest.json").write_bytes(_dump(manifest))
    return out / "manifest.json"


def _dump(data) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


EXPORTER_STATES = ("the run id, the as-of and the run's facts under `not` are as the exporter states: "
                   "check them against the case file with --db",
                   "the records' source names, kinds, reliability, jurisdiction and receipt times (not covered "
                   "by the record hash) are as the exporter states: check them against the case file with --db")
RENDERED = {"proof.svg": "svg"}


def verify_bundle(folder: str | Path, against: Callable[[dict], Verdict] | None = None,
                  trust: TrustStore | None = None) -> Verdict:
    """Check a bundle: its signature (manifest.sig, against the `trust` store: see signing.py), its
    manifest hashes, then the proof against the bundle's rulebooks and evidence, then (with `against`, a
    case file's check) the proof against the case file. The verdict names the issuer and lists what was
    not verified: the fields only a case file can confirm, rendered files that differ from the rendering
    of the verified proof, and files the manifest does not list. Unsafe or malformed bundles raise
    WarrantError (B0xx)."""
    bundle = read_bundle(folder)
    seal = bundle_seal(bundle, trust)
    if seal.status == "broken":
        return issued_verdict(Verdict(False), seal, {}, trust is not None)
    verdict = _verify_content(bundle, against, trust)
    proof = bundle.json("proof.json") if verdict.valid else {}
    return issued_verdict(verdict, seal, proof, trust is not None)


def verified_proof(folder: str | Path, trust: TrustStore | None = None) -> tuple[Verdict, Proof | None, dict[str, str]]:
    """The bundle's verdict and, only when it is valid (as issued, with a trust store), its proof and the
    entities' names (names.json), for showing the proof to a reader who has the bundle but not the case file."""
    verdict = verify_bundle(folder, trust=trust)
    if not verdict.valid:
        return verdict, None, {}
    bundle = read_bundle(folder)
    names, _ = _names(bundle)
    return verdict, Proof.model_validate(bundle.json("proof.json")), names


def _verify_content(bundle: Bundle, against: Callable[[dict], Verdict] | None, trust: TrustStore | None) -> Verdict:
    for name, digest in bundle.manifest.files.items():
        if name in bundle.missing:
            return Verdict(False, name, "listed in the manifest but missing from the bundle")
        if bundle.sha256[name] != digest:
            return Verdict(False, name, "its SHA-256 differs from the manifest: the file was changed")
    books = bundle.manifest.rulebooks or sorted(n for n in bundle.manifest.files if n.startswith("rulebooks/"))
    proof = bundle.json("proof.json")
    verdict = check_proof(proof, {bundle.where(n): bundle.text(n) for n in books}, bundle.json("evidence.json"),
                          bundle.json("run_facts.json"))
    if not verdict.valid:
        return verdict
    notes = [] if bundle.manifest.rulebooks else ["the run's rules hash: this older bundle does not give the "
                                                   "rulebooks' order (export it again)"]
    notes += verdict.unverified  # the withheld parts of a redacted proof, each named
    if against is None:
        notes += EXPORTER_STATES
    else:
        verdict = against(proof)
        if not verdict.valid:
            return verdict
    names, names_note = _names(bundle)
    notes += [names_note] if names_note else []
    notes += [note for name in RENDERED if name in bundle.data and (note := _rendered(bundle, name, proof, names))]
    if BUNDLE_FILE in bundle.data:
        checkpoint = bundle_checkpoint(bundle.json(BUNDLE_FILE), trust)
        if not checkpoint.valid:
            return checkpoint
        notes += checkpoint.unverified
    notes += [f"{name} is in the bundle folder but not in the manifest" for name in bundle.unlisted]
    return replace(verdict, unverified=tuple(notes))


def _names(bundle: Bundle) -> tuple[dict[str, str], str | None]:
    """The bundle's entity names (id -> name) and the note the verdict gives about them."""
    if NAMES_FILE not in bundle.data:
        return {}, None
    names = bundle.json(NAMES_FILE)
    if not isinstance(names, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in names.items()):
        return {}, f"{NAMES_FILE} is not a map of entity ids to names: ignored"
    return names, NAMES_NOTE


def _rendered(bundle: Bundle, name: str, proof: dict, names: dict[str, str]) -> str | None:
    """None when the bundle's rendered file is byte for byte the rendering of the verified proof here, with
    the bundle's names beside the ids."""
    from ..proof.names import with_names
    from ..proof.render_dot import RenderError, render_dot, render_image

    try:
        again = render_image(render_dot(with_names(Proof.model_validate(proof), names)), RENDERED[name])
    except (RenderError, ValidationError) as exc:
        return f"{name}: it could not be drawn again here ({str(exc)[:120]}); read proof.json, not the picture"
    if again != bundle.data[name]:
        return (f"{name} differs from this machine's drawing of the verified proof (another Graphviz or Warrant "
                "version, or an edited picture); read proof.json, not the picture")
    return None
