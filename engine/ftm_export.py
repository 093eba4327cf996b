"""A run's conclusions as FollowTheMoney entities, so that other FtM tools can read them.

Each conclusion fact about an entity becomes one `Sanction`-schema entity whose `entity` is the party
(every entity-typed argument), `authority` the rulebook, `program` its title, `provisions` the
conclusion as written, `reason` the explanation of the proof's first derivation, `recordId` the
SHA-256 of the proof (the `proof.json` that `warrant export` writes for it), `startDate` the
assessment date and `publisher` Warrant with the run id. It is a determination made by a rulebook,
not a designation: `status` says so. Conclusions about no entity are left out.
"""

from __future__ import annotations

import hashlib
import json
from typing import Callable, Iterator

from .store.ftm_model import model
from .syntax.program import Program

STATUS = "warrant determination (not an official designation)"


def _entity_id(run_id: str, atom: str) -> str:
    return "warrant-" + hashlib.sha256(f"{run_id}\n{atom}".encode()).hexdigest()[:24]


def _reason(proof: dict) -> str:
    root = proof["nodes"][proof["root"]]
    first = next(iter(root.get("derivations") or ()), None)
    node = proof["nodes"].get(first) if first else None
    return node.get("explanation", "") if node else ""


def conclusion_entities(program: Program, run: dict, conclusions: dict[str, list[list]],
                        proof_json: Callable[[str], str]) -> Iterator[dict]:
    """One FtM entity (as JSON data, checked by followthemoney) per conclusion fact with an entity argument.
    `proof_json(atom)` gives the proof of a conclusion as `warrant export` would write it."""
    from .proof.terms import atom_text

    decls = {d.name: d for d in program.declarations}
    root = program.root
    for predicate, rows in sorted(conclusions.items()):
        columns = decls[predicate].columns
        for row in rows:
            parties = [v for c, v in zip(columns, row) if c.type == "entity"]
            if not parties:
                continue
            atom = atom_text(predicate, row)
            text = proof_json(atom)
            proof = json.loads(text)
            data = {"id": _entity_id(run["id"], atom), "schema": "Sanction", "properties": {
                "entity": parties,
                "authority": [f"{root.title} ({root.id} {root.version}, rulebook sha256 {run['rulebook_sha256']})"],
                "program": [root.title],
                "provisions": [atom],
                "reason": [_reason(proof)],
                "status": [STATUS],
                "recordId": [hashlib.sha256(text.encode("utf-8")).hexdigest()],
                "startDate": [run["as_of"][:10]],
                "publisher": [f"Warrant run {run['id']}"],
            }}
            yield model.get_proxy(data, cleaned=False).to_dict()
