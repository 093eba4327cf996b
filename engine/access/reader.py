"""What one principal may see of a case file: which evidence records are withheld from it, proofs redacted
for it, and the salts of the commitments that stand for what is withheld (kept in the case file, never shown).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3

from ..eval.in_force import program_on
from ..proof.model import Proof
from ..proof.redact import redact, withheld_nodes
from ..store.backend import POSTGRES, SQLITE, dialect, has_table
from ..store.evidence import table_name
from ..store.markings import record_marking
from ..store.schema import quote
from ..syntax.program import Program
from .markings import Scheme
from .principals import Principal

_SALTS = "CREATE TABLE IF NOT EXISTS commitment_salts (key TEXT PRIMARY KEY, salt BLOB NOT NULL)"


class Reader:
    """A principal reading a case file. The owner sees everything, and nothing is redacted for it."""

    def __init__(self, conn: sqlite3.Connection, principal: Principal, scheme: Scheme):
        self.conn, self.principal, self.scheme = conn, principal, scheme
        self._marked: set[str] | None = None
        self._decided: dict[str, str | None] = {}

    @property
    def sees_all(self) -> bool:
        return self.principal.owner

    def withheld_marking(self, record: str | None, source: str | None) -> str | None:
        """The marking text of a record withheld from this reader, None when the reader may see it (each
        source's and each marked file's decision made once)."""
        if self._marked is None:
            try:
                self._marked = {r[0] for r in self.conn.execute("SELECT hash FROM record_markings")}
            except sqlite3.OperationalError:  # no marked files
                self._marked = set()
        key = record if record in self._marked else f"source:{source}"
        if key not in self._decided:
            marking = record_marking(self.conn, self.scheme, record if record in self._marked else None, source)
            self._decided[key] = None if self.principal.may_see(marking, self.scheme) else marking.text()
        return self._decided[key]

    def hidden_records(self, predicates: list[str]) -> set[str]:
        """The hashes of the records of `predicates` this reader may not see."""
        if self.sees_all:
            return set()
        found = set()
        for name in predicates:
            if not has_table(self.conn, table_name(name)):  # no records of it yet
                continue
            rows = self.conn.execute(f"SELECT _hash, _source FROM {quote(table_name(name))}").fetchall()
            found |= {h for h, src in rows if self.withheld_marking(h, src) is not None}
        return found

    def salt(self, key: str) -> bytes:
        """The salt of one commitment, made on first use and kept in the case file."""
        if dialect(self.conn) == SQLITE:
            self.conn.execute(_SALTS)
        else:
            from .roles_pg import SALTS  # the same table, its salts as PostgreSQL's bytes
            self.conn.execute(SALTS)
        row = self.conn.execute("SELECT salt FROM commitment_salts WHERE key = ?", [key]).fetchone()
        if row is None:
            row = (secrets.token_bytes(16),)
            self.conn.execute("INSERT INTO commitment_salts (key, salt) VALUES (?, ?)", [key, row[0]])
        return bytes(row[0])

    def proof(self, proof: Proof, program: Program) -> Proof:
        """`proof` as this reader may see it (see engine/proof/redact.py)."""
        if self.sees_all:
            return proof
        hidden = {n.id: mark for n in proof.nodes.values() if n.kind == "evidence"
                  if (mark := self.withheld_marking(n.record, n.source)) is not None}
        in_force = program_on(program, proof.run.as_of)
        placeholders = {c.name: c.value.value for c in in_force.constants} | {"as_of": proof.run.as_of}
        return redact(proof, hidden, self.salt, in_force.rules, placeholders)


def access_details(proof: Proof) -> dict:
    """What the access log keeps of a read: how many nodes were withheld and their ids, never their content."""
    found = withheld_nodes(proof)
    return {"withheld": len(found), "withheld_ids": [n.id for n in found]} if found else {"withheld": 0}


class Withholding:
    """The records withheld from a reader across a case file's evidence, and the values only they hold."""

    def __init__(self, reader: Reader, program: Program):
        self.reader = reader
        predicates = sorted({d.name for d in program.declarations if d.is_evidence})
        self.hashes = reader.hidden_records(predicates)
        self.secret: set[str] = set()
        self.facts: set[tuple] = set()  # (predicate, args) of each withheld record
        if self.hashes:
            seen, hidden = set(), set()
            for name in predicates:
                decl = program.declaration(name)
                cols = ", ".join(quote(c.name) for c in decl.columns) or "NULL"
                if not has_table(reader.conn, table_name(name)):
                    continue
                rows = reader.conn.execute(f"SELECT _hash, {cols} FROM {quote(table_name(name))}").fetchall()
                for h, *args in rows:
                    (hidden if h in self.hashes else seen).update(_text(a) for a in args)
                    if h in self.hashes:
                        self.facts.add((name, _text(args)))
            self.secret = hidden - seen

    def holds_secret(self, values) -> bool:
        """Whether any of `values` is found only in withheld records."""
        return any(_text(v) in self.secret for v in values)

    def provider(self, evidence_sql):
        """`evidence_sql` without the withheld records (listed in a parameter, so that the SQL also reads
        on another connection to the case file: a partial evaluation's scratch database)."""
        if not self.hashes:
            return evidence_sql
        withheld = json.dumps(sorted(self.hashes))
        listed = ("SELECT json_array_elements_text(CAST(? AS json))" if dialect(self.reader.conn) == POSTGRES
                  else "SELECT value FROM json_each(?)")

        def visible_sql(decl, as_of=None):
            sql, params = evidence_sql(decl, as_of)
            return f"SELECT * FROM ({sql}) AS _visible WHERE _hash NOT IN ({listed})", [*params, withheld]
        return visible_sql

    def timeline(self, timeline):
        """`timeline` (the records a run's clocks kept out) without any record of a withheld record's fact."""
        if timeline is None or not self.facts:
            return timeline
        return lambda decl, conditions: [o for o in timeline(decl, conditions)
                                         if (decl.name, _text(list(o.args))) not in self.facts]

    def scrub(self, text: str, known=()) -> str:
        """`text` with each withheld name (a text value found only in withheld records) replaced, but for the
        values `known` (those the reader gave in its question)."""
        names = {s for s in self.secret if s.startswith('"')} - {_text(v) for v in known}
        for value in sorted(names, key=len, reverse=True):
            text = re.sub(rf"(?<![\w:-]){re.escape(json.loads(value))}(?![\w:-])", "[withheld]", text)
        return text


def _text(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)
