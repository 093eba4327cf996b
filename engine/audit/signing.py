"""Signatures of bundles and checkpoints, and what a reader's trust store makes of them.

A signed document is JSON whose `signature` is the Ed25519 signature of all its other fields in
canonical JSON (sorted keys, no spaces), so the signer's agency name, key and every signed value are
bound together. A bundle's manifest.sig signs the SHA-256 of manifest.json's bytes, and the manifest
the SHA-256 of every file, so one signature covers the whole bundle. A signature tells who issued the
bundle and that nothing changed since; it does not make the conclusion true: the proof is checked as
for any bundle.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from ..proof.model import RunInfo
from .bundle_reader import SIGNATURE as SIGNATURE_FILE, Bundle
from .checker import Verdict
from .keys import AgencyKey, KeyEntry, TrustStore, raw_key, short

SIGNATURE_FORMAT = "warrant-signature/1"
_KEY_FIELDS = ("agency", "algorithm", "public_key", "fingerprint")


def signed_payload(doc: dict) -> bytes:
    """The bytes a signature covers: every field of `doc` but `signature`, in canonical JSON."""
    body = {k: v for k, v in doc.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(doc: dict, key: AgencyKey) -> dict:
    """`doc` with the signer's key fields and its signature added."""
    doc = {**doc, **{f: getattr(key.entry, f) for f in _KEY_FIELDS}}
    return {**doc, "signature": base64.b64encode(key.sign(signed_payload(doc))).decode("ascii")}


@dataclass(frozen=True)
class Seal:
    """What a signature says, checked: `status` is unsigned, broken (does not verify), unchecked (no trust
    store), unknown (the trust store does not know the agency), swapped (not the agency's trusted key) or
    trusted; `message` says it in words."""

    status: str
    message: str
    agency: str | None = None
    fingerprint: str | None = None

    def to_json(self) -> dict:
        return {"status": self.status, "agency": self.agency, "fingerprint": self.fingerprint}


def check_signed(doc, what: str, trust: TrustStore | None) -> Seal:
    """Check the signature of a signed document (`what` names it in messages) and its signer against `trust`."""
    if not isinstance(doc, dict) or not isinstance(doc.get("signature"), str):
        return Seal("broken", f"{what} is not a signed document: it has no signature field")
    try:
        entry = KeyEntry.model_validate({"format": "warrant-key/1", **{f: doc.get(f) for f in _KEY_FIELDS}})
    except ValidationError as exc:
        first = exc.errors()[0]
        return Seal("broken", f"{what} does not name its signer's key properly ({'.'.join(map(str, first['loc']))}: "
                              f"{first['msg']})")
    signature = raw_key(doc["signature"])
    if signature is None or not entry.verify(signature, signed_payload(doc)):
        return Seal("broken", f"the signature of {what} does not verify with the key it names "
                              f"({entry.agency}, {short(entry.fingerprint)}): it or what it signs was changed "
                              "after signing, or it was forged", entry.agency, entry.fingerprint)
    return trusted(entry, what, trust)


def trusted(entry: KeyEntry, what: str, trust: TrustStore | None) -> Seal:
    """A verified signature's signer, judged by the trust store."""
    agency, fp = entry.agency, entry.fingerprint
    if trust is None:
        return Seal("unchecked", f"{what} is signed in the name of {agency} with key {short(fp)}, but no trust "
                                 "store was given to check that key (--trust PATH or WARRANT_TRUST)", agency, fp)
    known = trust.known(agency)
    if not known:
        return Seal("unknown", f"{what} is signed by {agency} (key {short(fp)}), an agency the trust store "
                               f"{trust.path} does not know", agency, fp)
    if all(k.fingerprint != fp for k in known):
        ours = ", ".join(short(k.fingerprint) for k in known)
        return Seal("swapped", f"{what} is signed in the name of {agency} with key {short(fp)}, but the trust "
                               f"store's key for {agency} is {ours}: another key signed it", agency, fp)
    return Seal("trusted", f"{what} is signed by {agency} (key {short(fp)}), a key the trust store trusts", agency, fp)


def sign_bundle(folder: str | Path, key: AgencyKey) -> Path:
    """Write manifest.sig: the agency's signature of the bundle's manifest.json as it is now."""
    folder = Path(folder)
    digest = hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()
    doc = sign({"format": SIGNATURE_FORMAT, "signs": "manifest.json", "manifest_sha256": digest}, key)
    out = folder / SIGNATURE_FILE
    out.unlink(missing_ok=True)
    out.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out


def bundle_seal(bundle: Bundle, trust: TrustStore | None) -> Seal:
    """The seal of a bundle as read: unsigned, or its manifest.sig checked against the manifest and `trust`."""
    if bundle.signature is None:
        return Seal("unsigned", "the bundle is not signed (it has no manifest.sig)")
    doc = bundle.json(SIGNATURE_FILE)
    if not isinstance(doc, dict) or doc.get("format") != SIGNATURE_FORMAT or doc.get("signs") != "manifest.json":
        return Seal("broken", f'manifest.sig is not a {SIGNATURE_FORMAT} signature of manifest.json')
    seal = check_signed(doc, "the bundle's manifest", trust)
    if seal.status != "broken" and doc.get("manifest_sha256") != hashlib.sha256(bundle.manifest_bytes).hexdigest():
        return Seal("broken", f"manifest.json was changed after {seal.agency} signed it: its SHA-256 is not the one "
                              "manifest.sig signs", seal.agency, seal.fingerprint)
    return seal


@dataclass(frozen=True)
class IssuedVerdict(Verdict):
    """A bundle's verdict with its issuer: `issued` is the seal's status, `headline` the verdict's first line."""

    issued: str = "unsigned"
    issuer: dict | None = None
    headline: str = ""

    def __str__(self) -> str:
        if not self.headline:
            return super().__str__()
        return "\n".join([self.headline] + [f"not verified: {note}" for note in self.unverified])


def issued_verdict(verdict: Verdict, seal: Seal, proof: dict, demanded: bool) -> Verdict:
    """The content verdict combined with the seal; `demanded` when the reader gave a trust store (an unsigned
    bundle is then not valid as issued)."""
    fields = {"issued": seal.status, "issuer": seal.to_json() if seal.agency else None}
    if seal.status == "broken":
        return IssuedVerdict(False, SIGNATURE_FILE, seal.message, **fields)
    verdict = IssuedVerdict(**verdict.__dict__, **fields)
    if not verdict.valid or (seal.status == "unsigned" and not demanded):
        return verdict
    run = f"run {proof['run']['run_id']}, {RunInfo.model_validate(proof['run']).clocks_text()}"
    if seal.status in ("unknown", "swapped", "unsigned"):
        return replace(verdict, valid=False, step=SIGNATURE_FILE, reason=seal.message,
                       headline=f"not valid as issued: {seal.message}; its content checks: {proof['atom']}, {run}")
    if seal.status == "unchecked":
        return replace(verdict, headline=f"valid: {proof['atom']} as signed in the name of {seal.agency} (key "
                                         f"{short(seal.fingerprint)}, not checked: no trust store given), {run}")
    return replace(verdict, headline=f"valid: {proof['atom']} as issued by {seal.agency}, {run}")
