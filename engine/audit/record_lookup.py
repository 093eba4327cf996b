"""One evidence record found by its hash (or a unique prefix of at least 12 hex digits, with or without
`sha256:`), in a case file or in a bundle's evidence.json, told in words: values, source, grade, document,
dates, jurisdiction and marking. A record withheld from the reader is told only as the proofs tell it."""

from __future__ import annotations

import re
from typing import Iterable

from ..proof.court import grade_words
from ..proof.terms import atom_text
from ..store.asof import record_by_hash
from ..store.evidence import evidence_tables
from ..store.markings import record_marking
from ..store.schema import Store, quote
from .bundle_reader import bundle_error, read_bundle, shown

MIN_DIGITS = 12
_HEX = re.compile(rf"[0-9a-f]{{{MIN_DIGITS},64}}")
FIELDS = ("hash", "predicate", "args", "statement", "source_name", "source_kind", "grade", "document",
          "observed", "valid_from", "valid_to", "recorded_at", "action", "jurisdiction", "marking", "withheld")


def hash_prefix(text: str, where: str) -> str:
    """The lower-case hex digits of a record hash as typed (H001 when it is not 12 to 64 hex digits)."""
    digits = text.strip().lower().removeprefix("sha256:")
    if not _HEX.fullmatch(digits):
        raise bundle_error("H001", where, f"{shown(text)} is not a record hash",
                           f"give the record's hash as the proof or bundle prints it: 64 hex digits, or at least "
                           f"the first {MIN_DIGITS}, with or without sha256:")
    return digits


def pick(hashes: Iterable[str], prefix: str, where: str) -> str:
    """The one hash starting with `prefix` (H002 when none does, H003 when several do)."""
    found = sorted({h for h in hashes if isinstance(h, str) and h.startswith(prefix)})
    if not found:
        raise bundle_error("H002", where, f"no record has the hash {prefix}",
                           "copy the hash from the proof of this case file or bundle; a record of another case "
                           "file or bundle is not here (`warrant record HASH --db CASE` or `--bundle DIR`)")
    if len(found) > 1:
        raise bundle_error("H003", where, f"{len(found)} records have hashes starting {prefix}: "
                           + ", ".join(h[:20] + "..." for h in found[:5]),
                           "give more digits of the hash (all 64 name one record)")
    return found[0]


def view(record_hash: str, predicate: str, args: list, meta: dict) -> dict:
    """The record in words, keys `FIELDS` (values absent from the record are None)."""
    out = {"hash": record_hash, "predicate": predicate, "args": args, "statement": atom_text(predicate, args),
           "grade": grade_words(meta.get("reliability"), meta.get("credibility")), "withheld": None}
    out.update({k: meta.get(k) for k in FIELDS if k not in out})
    return out


def withheld_view(record_hash: str, predicate: str, meta: dict, marking: str) -> dict:
    """What a reader the record is withheld from may know of it, as a redacted proof says it: its predicate,
    its grade and the marking that withholds it."""
    grade = grade_words(meta.get("reliability"), meta.get("credibility"))
    out = dict.fromkeys(FIELDS)
    out.update({"hash": record_hash, "predicate": predicate, "grade": grade, "withheld": marking,
                "statement": f"a record of {predicate}, graded {grade}, withheld from you: {marking}"})
    return out


def record_in_bundle(folder: str, text: str) -> dict:
    """The record of a bundle's evidence.json with this hash (read through the path-safe bundle reader)."""
    bundle = read_bundle(folder)
    where = bundle.where("evidence.json")
    if "evidence.json" not in bundle.data:
        raise bundle_error("B006", where, "the bundle has no evidence.json", "give the folder `warrant export -o DIR` wrote")
    records = bundle.json("evidence.json")
    records = [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
    chosen = pick((r.get("hash") for r in records), hash_prefix(text, where), where)
    record = next(r for r in records if r.get("hash") == chosen)
    args = record.get("args") if isinstance(record.get("args"), list) else []
    return view(chosen, str(record.get("predicate")), args, record)


def in_case(store: Store, reader, text: str) -> dict:
    """The record of a case file with this hash, as `reader` (engine/access/reader.py) may see it."""
    prefix = hash_prefix(text, store.path)
    hashes = [h for name in evidence_tables(store) for (h,) in store.conn.execute(
        f"SELECT _hash FROM {quote(name)} WHERE _hash >= ? AND _hash < ? LIMIT 2", [prefix, prefix + "g"])]
    chosen = pick(hashes, prefix, store.path)
    record = record_by_hash(store, chosen)
    meta = {k[1:]: v for k, v in record.items() if k.startswith("_")}
    withheld = reader.withheld_marking(chosen, meta["source"])
    if withheld is not None:
        return withheld_view(chosen, record["predicate"], meta, withheld)
    meta["marking"] = record_marking(store.conn, reader.scheme, chosen, meta["source"]).text()
    return view(chosen, record["predicate"], list(record["args"].values()), meta)


def text(record: dict) -> str:
    """The record as lines for a reader."""
    if record["withheld"]:
        return f"record {record['hash']}\n  {record['statement']}"
    name, kind = record["source_name"], record["source_kind"]
    source = f"{name} ({kind})" if name and kind else name or kind or "not recorded"
    dates = [("observed", record["observed"]), ("in force from", record["valid_from"]),
             ("in force until", record["valid_to"]), ("recorded at", record["recorded_at"])]
    rows = [("fact", record["statement"]), ("source", source), ("grade", record["grade"]),
            ("document", record["document"]), *dates, ("jurisdiction", record["jurisdiction"]),
            ("marking", record["marking"])]
    if record["action"] == "retract":
        rows.append(("action", "retracts the record with these values"))
    width = max(len(label) for label, _ in rows)
    return "\n".join([f"record {record['hash']}"]
                     + [f"  {label.ljust(width)}  {value}" for label, value in rows if value not in (None, "")])
