"""A case file made from a rulebook's text and CSV texts and run once, and a forger of exported bundles:
for the tests of what proofs of new constructs show and what the independent checker refuses."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

from engine import api
from engine.audit.bundle import verify_bundle
from engine.check import check_files


def run_case(root: Path, rules: str, csvs: dict[str, str], as_of: str):
    """(the open case, its run) of `rules` (saved as case.rules) over facts/<name>.csv for each of `csvs`."""
    (root / "case.rules").write_text(rules)
    (root / "facts").mkdir()
    for name, text in csvs.items():
        (root / "facts" / f"{name}.csv").write_text(text)
    program = api.load_rulebook(root / "case.rules")
    case = api.Case.open(root / "case.db")
    case.load(program, root / "facts")
    return case, case.run(program, as_of=as_of)


def diagnostics(root: Path) -> list:
    """What `warrant check` says of the case's rulebook (and the files it uses)."""
    return check_files([root / "case.rules"])[0]


def forged(proof_path: Path, change: Callable[[dict], None]) -> str:
    """Apply `change` to every node of an exported proof, re-hash it in the manifest (as a forger would),
    and return why the checker now refuses the bundle (it must)."""
    proof = json.loads(proof_path.read_text())
    for node in proof["nodes"].values():
        change(node)
    proof_path.write_text(json.dumps(proof))
    manifest_path = proof_path.parent / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["files"]["proof.json"] = hashlib.sha256(proof_path.read_bytes()).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    verdict = verify_bundle(proof_path.parent)
    assert not verdict.valid
    return verdict.reason
