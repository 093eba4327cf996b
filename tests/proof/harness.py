"""A fake evidence store for proof tests: one table per evidence predicate with every metadata column,
read through an in-force query with positional parameters, like the store's `in_force_sql`."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

from engine.eval import evaluate
from engine.eval.relations import ident
from engine.source import SourceFile
from engine.syntax.parser import parse_text
from engine.syntax.program import Program

HERE = Path(__file__).parent
META = ("_hash", "_source", "_source_name", "_source_kind", "_reliability", "_credibility", "_jurisdiction",
        "_document", "_observed", "_valid_from", "_valid_to", "_recorded_at")
DEFAULT_SOURCE = {"source": "ofac-sdn", "source_name": "OFAC SDN list", "source_kind": "official",
                  "reliability": "A", "credibility": 1, "jurisdiction": "US", "document": "sdn.xml",
                  "observed": "2026-01-05", "valid_from": "2026-01-05", "valid_to": None, "recorded_at": "2026-01-06"}


def program_from_text(text: str, name: str = "case.rules") -> Program:
    rb = parse_text(SourceFile(name, text))
    return Program(rb, (rb,))


def load_rules(name: str) -> Program:
    return program_from_text((HERE / name).read_text(encoding="utf-8"), name)


def record_hash(predicate: str, args, meta: dict) -> str:
    text = json.dumps([predicate, list(args), meta], sort_keys=True, default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:16]


def fill_store(conn, program: Program, facts: dict) -> None:
    """facts: predicate -> rows; a row is a tuple of arguments, or (args_tuple, {metadata overrides})."""
    for d in program.declarations:
        if d.is_evidence:
            cols = [ident(c.name) for c in d.columns]
            conn.execute(f'CREATE TABLE IF NOT EXISTS "ev_{d.name}" ({", ".join(cols + list(META))})')
    for pred, rows in sorted(facts.items()):
        for row in rows:
            args, over = (row if len(row) == 2 and isinstance(row[1], dict) else (row, {}))
            meta = dict(DEFAULT_SOURCE, **over)
            values = [record_hash(pred, args, meta)] + [meta[m[1:]] for m in META[1:]]
            conn.execute(f'INSERT INTO "ev_{pred}" VALUES ({",".join("?" * (len(args) + len(META)))})',
                         list(args) + values)


def provider(decl, as_of):
    """In force: valid_from on or before as_of and not ended; positional parameters like the store's."""
    day = (as_of or "9999-12-31")[:10]
    return (f'SELECT * FROM "ev_{decl.name}" WHERE (_valid_from IS NULL OR _valid_from <= ?) '
            f"AND (_valid_to IS NULL OR _valid_to > ?) AND '?' = '?'", [day, day])


def make_case(program: Program, facts: dict, as_of: str = "2026-11-24"):
    conn = sqlite3.connect(":memory:", isolation_level=None)
    fill_store(conn, program, facts)
    result = evaluate(conn, program, provider, as_of=as_of, now="2026-11-24T00:00:00.000000Z")
    return conn, result.run_id
