"""Checkpoints: the head of the audit chain signed with the agency key, so that a log cut short is noticed.

The hash chain reveals an entry edited, inserted or removed in the middle, but not entries cut off its
end. A checkpoint signs (the case file's identity, the head's seq and hash, the time) with the agency
key; it is stored in the append-only table audit_checkpoints, recorded by the log entry it anchors
(`audit.checkpoint`), and can be written to a file to keep with the case papers and is put in every
exported bundle. `verify` checks each checkpoint's signature and that the log still holds the entry it
names. The case file's identity is the hash of its log's first entry.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from . import log
from .immutable import protect
from ..store.backend import SQLITE, dialect, has_table
from .keys import AgencyKey, TrustStore, key_error, short
from .checker import Verdict
from .signing import check_signed, sign

FORMAT = "warrant-checkpoint/1"
ACTION = "audit.checkpoint"
BUNDLE_FILE = "checkpoint.json"
MAX_CHECKPOINT_BYTES = 2**16
_SCHEMA = ("CREATE TABLE IF NOT EXISTS audit_checkpoints "
           "(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, doc TEXT NOT NULL)")


def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the checkpoint table, append-only like the log, if missing."""
    if not has_table(conn, "audit_checkpoints_no_delete" if dialect(conn) == SQLITE else "audit_checkpoints"):
        conn.execute(_SCHEMA if dialect(conn) == SQLITE else _SCHEMA.replace("INTEGER", "BIGINT"))
        protect(conn)


def case_identity(conn: sqlite3.Connection) -> str | None:
    """The hash of the audit log's first entry: unique to the case file (it holds its first action's time)."""
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = 1").fetchone()
    return row[0] if row else None


def make(conn: sqlite3.Connection, key: AgencyKey, actor: str) -> tuple[int, dict]:
    """Record a checkpoint entry, sign the head it makes, store the checkpoint; (its number, the signed doc).
    Call inside a write transaction on an intact chain."""
    ensure_table(conn)
    number = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM audit_checkpoints").fetchone()[0]
    head = log.append(conn, ACTION, f"checkpoint {number}",
                      {"checkpoint": number, "agency": key.agency, "fingerprint": key.entry.fingerprint}, actor)
    doc = sign({"format": FORMAT, "case": case_identity(conn), "seq": head.seq, "hash": head.hash, "at": head.at}, key)
    conn.execute("INSERT INTO audit_checkpoints (id, seq, doc) VALUES (?, ?, ?)", (number, head.seq, dumps(doc)))
    return number, doc


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stored(conn: sqlite3.Connection) -> list[tuple[int, dict | None]]:
    """Every stored checkpoint, oldest first: (number, doc, or None when the text is not JSON). Reading makes
    no table, so a case file open read-only (the workbench) can be verified."""
    if not has_table(conn, "audit_checkpoints"):
        return []
    return [(n, _loads(text)) for n, text in conn.execute("SELECT id, doc FROM audit_checkpoints ORDER BY id")]


def latest(conn: sqlite3.Connection) -> bytes | None:
    """The newest checkpoint's file, as exported in a bundle, or None."""
    if not has_table(conn, "audit_checkpoints"):
        return None
    row = conn.execute("SELECT doc FROM audit_checkpoints ORDER BY id DESC LIMIT 1").fetchone()
    return row[0].encode("utf-8") if row else None


def _loads(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return None


def read_file(path: str | Path) -> dict:
    """A checkpoint file (`audit checkpoint -o FILE`, or a bundle's checkpoint.json); K006 if it is not one."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CHECKPOINT_BYTES:
            raise ValueError("larger than 64 KiB")
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError(f'its format is not "{FORMAT}"')
        return doc
    except (OSError, ValueError) as exc:
        raise key_error("K006", path, f"not a checkpoint file: {str(exc).splitlines()[0][:160]}",
                        "give a file `warrant audit checkpoint -o FILE` wrote, or a bundle's checkpoint.json") from None


@dataclass(frozen=True)
class AnchorReport:
    """The chain's own check, then each checkpoint: what holds (`lines`), what does not (`findings`)."""

    chain: log.ChainReport
    findings: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    anchored: int | None = None
    unanchored: int = 0
    checkpoints: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.findings

    def to_json(self) -> dict:
        return {**self.chain.__dict__, "ok": self.ok, "findings": list(self.findings), "anchored": self.anchored,
                "unanchored": self.unanchored, "checkpoints": self.checkpoints}


def verify(conn: sqlite3.Connection, trust: TrustStore | None, files: list[tuple[str, dict]] = ()) -> AnchorReport:
    """Walk the chain, then check every stored checkpoint and each (label, doc) of `files`: its signature
    (and signer, with `trust`), that it anchors this case file, and that the log still holds its entry."""
    chain = log.verify(conn)
    last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM audit_log").fetchone()[0]
    kept = stored(conn)
    findings, lines, held, listing = [], [], [], []
    for label, doc in [(f"checkpoint {n}", doc) for n, doc in kept] + list(files):
        finding, line = _anchor(conn, label, doc, trust, last)
        if finding:
            findings.append(finding)
        else:
            lines.append(line)
            held.append(doc["seq"])
        listing.append({"checkpoint": label, "ok": finding is None, "message": finding or line,
                        "seq": doc.get("seq") if isinstance(doc, dict) else None})
    findings += _removed(conn, {n for n, _ in kept})
    anchored = max(held, default=None)
    unanchored = last - (anchored or 0)
    lines.append(_tail(anchored, unanchored))
    return AnchorReport(chain, tuple(findings), tuple(lines), anchored, unanchored, listing)


def _anchor(conn: sqlite3.Connection, label: str, doc, trust: TrustStore | None, last: int) -> tuple[str | None, str]:
    """(a finding, or None and the line saying the checkpoint holds)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("seq"), int) \
            or isinstance(doc.get("seq"), bool) or not isinstance(doc.get("hash"), str):
        return f"{label} is not a {FORMAT} document (format, seq and hash)", ""
    seal = check_signed(doc, label, trust)
    if seal.status == "broken":
        return seal.message, ""
    who = f"{label} (signed by {seal.agency} on {doc.get('at')})"
    if seal.status in ("unknown", "swapped"):
        return f"{seal.message}: it is not valid as issued", ""
    case = case_identity(conn)
    if doc.get("case") != case:
        return (f"{who} anchors another case file's log: its first entry's hash is {str(doc.get('case'))[:16]}..., "
                f"this log's is {str(case)[:16]}..."), ""
    if doc["seq"] > last:
        return f"the log ends at entry {last}, but {who} anchors entry {doc['seq']}: entries were removed", ""
    row = conn.execute("SELECT hash FROM audit_log WHERE seq = ?", [doc["seq"]]).fetchone()
    if row is None or row[0] != doc["hash"]:
        return (f"entry {doc['seq']} is not the entry {who} anchors: the log was rewritten after it was signed "
                "(entries removed and others written in their place, or the entry edited)"), ""
    unchecked = f" (key {short(seal.fingerprint)} not checked: no trust store given)" if seal.status == "unchecked" else ""
    return None, f"{who} anchors entry {doc['seq']}: it holds{unchecked}"


def _removed(conn: sqlite3.Connection, numbers: set[int]) -> list[str]:
    """The log's checkpoint entries whose checkpoint is no longer stored."""
    return [f"entry {e.seq} records checkpoint {e.details.get('checkpoint')} by {e.details.get('agency')}, which is "
            "no longer in the case file: it was removed" for e in log.entries(conn, action=ACTION)
            if e.details.get("checkpoint") not in numbers]


def _tail(anchored: int | None, unanchored: int) -> str:
    if anchored is None:
        return ("no checkpoint anchors the log: entries cut off its end would not be noticed; "
                "sign its head with: warrant audit checkpoint")
    if unanchored == 0:
        return f"every entry is anchored (the last checkpoint anchors entry {anchored}, the log's last)"
    return (f"{unanchored} {'entry' if unanchored == 1 else 'entries'} after the last checkpoint (entry {anchored}) "
            "not yet anchored: warrant audit checkpoint signs the head")


def bundle_checkpoint(doc, trust: TrustStore | None) -> Verdict:
    """A bundle's checkpoint.json: invalid if its signature does not verify, else a note saying what it anchors
    (the case file itself is not in the bundle: `audit verify --checkpoint` checks the log against it)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("seq"), int):
        return Verdict(False, BUNDLE_FILE, f"not a {FORMAT} document (format, seq and hash)")
    seal = check_signed(doc, f"the bundle's {BUNDLE_FILE}", trust)
    if seal.status == "broken":
        return Verdict(False, BUNDLE_FILE, seal.message)
    note = (f"{BUNDLE_FILE}: {seal.agency} signed the case file's audit log up to entry {doc['seq']} on "
            f"{doc.get('at')}; check the case file still holds it with: warrant audit verify --db CASE "
            f"--checkpoint {BUNDLE_FILE}")
    if seal.status == "unchecked":
        note += " (its signer not checked: no trust store given)"
    elif seal.status != "trusted":
        note += f" ({seal.message})"
    return Verdict(True, unverified=(note,))
