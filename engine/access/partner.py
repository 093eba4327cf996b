"""A partner state's signed bundle taken as evidence (`warrant import bundle`).

The bundle is verified first (its signature against the trust store, its files against the manifest, its
proof step by step); anything but "valid as issued by a trusted agency" is refused. Then its conclusion and
the records its proof cites become records of this case file whose source is the partner agency, with the
reliability, credibility and marking the importer gives, and whose document names the bundle's manifest
SHA-256 and the signing key: a later proof resting on them shows the partner's assessment and the bundle
behind it."""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..diagnostics import WarrantError, error
from ..syntax.program import Program


def refused(message: str, hint: str) -> WarrantError:
    return WarrantError(error("A002", message, None, hint))


@dataclass(frozen=True)
class PartnerTerms:
    """How the importer grades and marks the partner's records."""

    reliability: str = "B"
    credibility: int = 2
    classification: str | None = None
    releasability: str | None = None
    caveats: str | None = None
    conclusion_as: str | None = None


@dataclass(frozen=True)
class PartnerEvidence:
    """What a bundle gives: per predicate, the rows to load; and what was left out, with the reason."""

    agency: str
    fingerprint: str
    manifest_sha256: str
    conclusion: str
    rows: dict[str, list[list]] = field(default_factory=dict)
    skipped: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"agency": self.agency, "fingerprint": self.fingerprint, "manifest_sha256": self.manifest_sha256,
                "conclusion": self.conclusion, "records": {p: len(r) for p, r in sorted(self.rows.items())},
                "skipped": list(self.skipped)}


def verified_bundle(folder: str | Path, trust) -> tuple[dict, dict, str, dict]:
    """(proof, evidence records, manifest SHA-256, issuer) of a bundle valid as issued by a trusted agency;
    A002 otherwise, with the verifier's own verdict."""
    from ..audit.bundle import verify_bundle

    if trust is None:
        raise refused(f"{folder}: a partner bundle is evidence only as issued by an agency you trust, and no "
                      "trust store was given", "give --trust PATH (or $WARRANT_TRUST) holding the partner's key")
    verdict = verify_bundle(folder, trust=trust)
    if not verdict.valid or getattr(verdict, "issued", None) != "trusted":
        said = str(verdict).splitlines()[0]
        raise refused(f"{folder} is not taken as evidence: {said}",
                      "ask the partner for a bundle signed with the key your trust store holds for it")
    root = Path(folder)
    proof = json.loads((root / "proof.json").read_text(encoding="utf-8"))
    records = json.loads((root / "evidence.json").read_text(encoding="utf-8"))
    manifest = hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()
    return proof, records, manifest, verdict.issuer


def partner_evidence(proof: dict, records: list[dict], manifest_sha256: str, issuer: dict, program: Program,
                     terms: PartnerTerms) -> PartnerEvidence:
    """The rows `program`'s evidence predicates take from a verified bundle: each record its proof cites,
    and its conclusion (as `terms.conclusion_as`, else its own predicate; with one more column, the agency)."""
    evidence = {d.name: d for d in program.declarations if d.is_evidence}
    rows: dict[str, list[list]] = {}
    skipped = []
    cited = {n.get("record") for n in proof["nodes"].values() if n.get("kind") == "evidence"}
    for rec in records:
        if rec["hash"] not in cited or rec.get("action", "assert") != "assert":
            continue
        decl = evidence.get(rec["predicate"])
        if decl is None or decl.arity != len(rec["args"]):
            skipped.append(f"record of {rec['predicate']}: not evidence of {program.root.id}")
            continue
        rows.setdefault(decl.name, []).append(list(rec["args"]))
    root = proof["nodes"][proof["root"]]
    target = terms.conclusion_as or root["predicate"]
    decl = evidence.get(target)
    if decl is not None and decl.arity in (len(root["args"]), len(root["args"]) + 1):
        extra = [issuer["agency"]] if decl.arity > len(root["args"]) else []
        rows.setdefault(target, []).append(list(root["args"]) + extra)
    else:
        skipped.append(f"the conclusion {proof['atom']}: {program.root.id} has no evidence predicate {target} of "
                       f"{len(root['args'])} or {len(root['args']) + 1} columns (give --conclusion-as)")
    return PartnerEvidence(issuer["agency"], issuer["fingerprint"], manifest_sha256, proof["atom"],
                           {p: _unique(r) for p, r in rows.items()}, tuple(skipped))


def facts_folder(found: PartnerEvidence, program: Program, terms: PartnerTerms) -> tempfile.TemporaryDirectory:
    """A facts folder (JSON lines and a manifest) holding the partner's rows, for an ordinary load."""
    tmp = tempfile.TemporaryDirectory(prefix="warrant-partner-")
    folder = Path(tmp.name)
    source = {"id": f"partner:{found.agency}", "name": f"{found.agency}: a partner state's assessment (signed bundle)",
              "kind": "partner-state", "jurisdiction": found.agency, "reliability": terms.reliability}
    source.update({k: v for k, v in (("classification", terms.classification),
                                     ("releasability", terms.releasability), ("caveats", terms.caveats)) if v})
    document = f"bundle manifest sha256:{found.manifest_sha256}, signed by {found.agency} ({found.fingerprint})"
    files = {}
    for predicate, rows in sorted(found.rows.items()):
        columns = [c.name for c in program.declaration(predicate).columns]
        (folder / f"{predicate}.jsonl").write_text(
            "".join(json.dumps(dict(zip(columns, r)), ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        files[f"{predicate}.jsonl"] = {"source": source["id"], "credibility": terms.credibility, "document": document}
    (folder / "manifest.json").write_text(json.dumps({"sources": [source], "files": files}, indent=2), encoding="utf-8")
    return tmp


def _unique(rows: list[list]) -> list[list]:
    out: list[list] = []
    for r in rows:
        if r not in out:
            out.append(r)
    return out
