"""Export bundles: a proof with everything needed to check it elsewhere, and their verification.

A bundle folder holds proof.json, the rulebook texts (rulebooks/), evidence.json (the records
the proof cites, every retraction of them, and every record an absence claim looked for),
run_facts.json (the run's facts for derived predicates used under `not`), the rendered graph,
and manifest.json with the SHA-256 of every file. Verification needs nothing else.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from ..eval.relations import ident, table_name
from ..syntax.program import Program
from .checker import Verdict, check_proof

_META = ("source", "document", "credibility", "observed", "valid_from", "valid_to", "action", "recorded_at")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _records(conn: sqlite3.Connection, decl, where: str, params: list) -> list[dict]:
    cols = [ident(c.name) for c in decl.columns]
    meta = ", ".join(f"e._{m} AS _{m}" for m in _META)
    sql = (f"SELECT {', '.join('e.' + c for c in cols)}, e._hash AS _hash, {meta}, s.name, s.kind, s.reliability, "
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


def proof_records(conn: sqlite3.Connection, program: Program, proof: dict) -> list[dict]:
    """Every record a checker needs: cited records and their retractions, and what absences looked for."""
    decls = {d.name: d for d in program.declarations}
    found: dict[str, dict] = {}
    for node in proof["nodes"].values():
        if node["kind"] == "evidence":
            decl = decls[node["predicate"]]
            keys = _records(conn, decl, "e._hash = ?", [node["record"]])
            for rec in keys:
                conds = " AND ".join(f"e.{ident(c.name)} = ?" for c in decl.columns)
                for r in _records(conn, decl, conds, list(rec["args"])):
                    found[r["hash"]] = r
        elif node["kind"] == "absence" and node["evidence"]:
            decl = decls[node["predicate"]]
            pairs = [(c, a) for c, a in zip(decl.columns, node["args"]) if a is not None]
            conds = " AND ".join(f"e.{ident(c.name)} = ?" for c, _ in pairs) or "1"
            for r in _records(conn, decl, conds, [a for _, a in pairs]):
                found[r["hash"]] = r
    return [found[h] for h in sorted(found)]


def run_facts(conn: sqlite3.Connection, program: Program, proof: dict) -> dict[str, list[list]]:
    """The run's facts of each derived predicate that an absence in the proof looked for."""
    decls = {d.name: d for d in program.declarations}
    out = {}
    for node in proof["nodes"].values():
        if node["kind"] == "absence" and not node["evidence"]:
            decl = decls[node["predicate"]]
            cols = ", ".join(ident(c.name) for c in decl.columns)
            rows = conn.execute(f"SELECT {cols} FROM {table_name('fact', decl.name)} WHERE run_id = ? ORDER BY {cols}",
                                [node["run_id"]]).fetchall()
            out[decl.name] = [list(r) for r in rows]
    return dict(sorted(out.items()))


def write_bundle(out_dir: str | Path, proof_json: str, rulebooks: dict[str, str], records: list[dict],
                 facts: dict[str, list[list]], graph: bytes | None, graph_name: str = "proof.svg") -> Path:
    """Write the bundle folder (rulebooks: bundle path -> text) and its manifest; returns the manifest path."""
    out = Path(out_dir)
    (out / "rulebooks").mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {"proof.json": proof_json.encode("utf-8"),
                               "evidence.json": _dump(records), "run_facts.json": _dump(facts)}
    files.update({name: text.encode("utf-8") for name, text in rulebooks.items()})
    if graph is not None:
        files[graph_name] = graph
    for name, data in files.items():
        (out / name).write_bytes(data)
    manifest = {"format": "warrant-bundle/1", "files": {n: _sha256(d) for n, d in sorted(files.items())}}
    (out / "manifest.json").write_bytes(_dump(manifest))
    return out / "manifest.json"


def _dump(data) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def verify_bundle(folder: str | Path) -> Verdict:
    """Check a bundle's manifest hashes, then the proof against the bundle's rulebooks and evidence."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return Verdict(False, "manifest.json", f"cannot read the manifest: {exc}")
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            return Verdict(False, name, "listed in the manifest but missing from the bundle")
        if _sha256(path.read_bytes()) != digest:
            return Verdict(False, name, "its SHA-256 differs from the manifest: the file was changed")
    texts = {name: (folder / name).read_text(encoding="utf-8") for name in manifest["files"] if name.startswith("rulebooks/")}
    load = lambda name: json.loads((folder / name).read_text(encoding="utf-8"))  # noqa: E731
    return check_proof(load("proof.json"), texts, load("evidence.json"), load("run_facts.json"))
