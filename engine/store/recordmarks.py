"""The marking each record of a load gets: its row's own (`_classification`, `_releasability`, `_caveats`),
else its file's (the manifest entry), else its source's, else the scheme's default.

A row's marking fields replace its file's field by field, and the result must be at least as strict as the
file's marking (L017 otherwise, located at the row's value). A record the case file already holds, or one
loaded from two files, keeps the strictest of its markings (`access.markings.strictest`). Markings are kept
beside the records (`record_markings`, by hash), never in the record hash: marking evidence does not change
what the evidence is."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Mapping

from ..access.markings import Marking, MarkingError, Scheme, at_least, parse_caveats, parse_releasability, strictest
from .errors import Problem
from .evidence import table_name
from .items import RawRow
from .manifest import FileDefaults, Manifest, locate
from .markings import marking_of, source_marking_row
from .schema import quote
from .staging import STAGE

MARKING_COLUMNS = ("_classification", "_releasability", "_caveats")
TABLE = ("CREATE TABLE IF NOT EXISTS record_markings (hash TEXT PRIMARY KEY, classification TEXT NOT NULL, "
          "releasability TEXT, caveats TEXT)")
_MARKED = "warrant_marked"  # a temporary table (SQLite and PostgreSQL look in temporary tables first)
_FIELDS = {"_classification": "classification", "_releasability": "releasable_to", "_caveats": "caveats"}


def marks_given(entry: FileDefaults) -> bool:
    """Whether a manifest file entry gives a marking of its own."""
    return any(v is not None for v in (entry.classification, entry.releasability, entry.caveats))


def _row_of(marking: Marking) -> tuple:
    return marking.classification, marking.releasability_text(), ",".join(marking.caveats) or None


class RecordMarks:
    """The markings one load gives its records, gathered as files are read and written once all are valid."""

    def __init__(self, conn: sqlite3.Connection, scheme: Scheme):
        self.conn, self.scheme = conn, scheme
        self.own: dict[str, tuple[str, Marking]] = {}  # record hash -> (its source, its rows' own marking)
        self._sources: dict[str, Marking] = {}
        self._files: list[tuple[str, str, FileDefaults]] = []  # (key, predicate, entry) of each marked file
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS warrant_marked (file TEXT, hash TEXT)")
        conn.execute(f"DELETE FROM {_MARKED}")

    def source_marking(self, source: str) -> Marking:
        """A source's marking as the case file records it (the default when it records none)."""
        if source not in self._sources:
            row = source_marking_row(self.conn, source)
            self._sources[source] = marking_of(self.scheme, row) if row else self.scheme.default_marking()
        return self._sources[source]

    def file_marking(self, entry: FileDefaults, source: str) -> Marking:
        """The marking a file's entry gives a record of `source`: each field the entry leaves out is the source's."""
        base = self.source_marking(source)
        if not marks_given(entry):
            return base
        return Marking(entry.classification or base.classification,
                       base.releasable_to if entry.releasability is None else parse_releasability(entry.releasability),
                       base.caveats if entry.caveats is None else parse_caveats(entry.caveats))

    def check_files(self, manifest: Manifest | None) -> list[Problem]:
        """An L017 problem, located at the entry in manifest.json, for each file whose marking is less strict
        than its source's (a file may mark its records stricter than their source, never less)."""
        if manifest is None:
            return []
        text, problems = Path(manifest.path).read_text(encoding="utf-8-sig"), []
        for name, entry in sorted(manifest.files.items()):
            source, marking = self.source_marking(entry.source), self.file_marking(entry, entry.source)
            if marks_given(entry) and not at_least(marking, source, self.scheme):
                line, col = locate(text, ["files", name, "classification" if entry.classification else
                                          "releasability" if entry.releasability else "caveats"])
                problems.append(Problem("L017", manifest.path, line, col, name, marking.text(),
                                        f"the file's marking {marking.text()} is less strict than its source "
                                        f"{entry.source!r}'s {source.text()}; a file may be marked stricter than "
                                        "its source, never less"))
        return problems

    def row(self, path: Path, item: RawRow, own: Mapping, record_hash: str, entry: FileDefaults, source: str,
            problems: list[Problem]) -> None:
        """Check one row's own marking fields (blank ones are absent) and note the marking they give."""
        given, bad = {}, False
        for column in MARKING_COLUMNS:
            raw = own.get(column)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                given[column] = self._parse(column, raw)
            except MarkingError as exc:
                problems.append(Problem("L017", str(path), *item.where(column), column, raw, f"{exc.reason}; {exc.hint}"))
                bad = True
        if bad or not given:
            return
        base = self.file_marking(entry, source)
        marking = replace(base, **{_FIELDS[c]: v for c, v in given.items()})
        if not at_least(marking, base, self.scheme):
            column = next(c for c, v in given.items() if not at_least(replace(base, **{_FIELDS[c]: v}), base, self.scheme))
            problems.append(Problem("L017", str(path), *item.where(column), column, own[column],
                                    f"the record's marking {marking.text()} is less strict than its file's "
                                    f"{base.text()}; a record may be marked stricter than its file, never less"))
            return
        prior = self.own.get(record_hash)
        self.own[record_hash] = (source, marking if prior is None else strictest(prior[1], marking, self.scheme))

    def _parse(self, column: str, raw: object):
        if column == "_classification":
            return self.scheme.level(raw)
        if column == "_releasability":
            return parse_releasability(raw)
        return parse_caveats(raw)

    def staged(self, key: str, predicate: str, entry: FileDefaults) -> None:
        """Note the records of one staged file (new or already held) when its entry gives a marking."""
        if marks_given(entry):
            self._files.append((key, predicate, entry))
            self.conn.execute(f"INSERT INTO {_MARKED} (file, hash) SELECT ?, _hash FROM {STAGE}", [key])

    def store(self) -> None:
        """Write every noted marking, each joined with the marking its record already has. A marked file's
        records of its own source that have no marking yet get the file's in one statement (it is at least as
        strict as that source's: `check_files`); the others are joined one by one."""
        found: dict[str, tuple[str, Marking]] = dict(self.own)
        if self._files:
            self.conn.execute(TABLE)
        for key, predicate, entry in self._files:
            table, mine = quote(table_name(predicate)), f"e._hash IN (SELECT hash FROM {_MARKED} WHERE file = ?)"
            rows = self.conn.execute(f"SELECT e._hash, e._source FROM {table} AS e WHERE {mine} AND (e._source != ? "
                                     f"OR e._hash IN (SELECT hash FROM record_markings))", [key, entry.source])
            for record_hash, source in rows.fetchall():
                marking = self.file_marking(entry, source)
                prior = found.get(record_hash)
                found[record_hash] = (source, marking if prior is None else strictest(prior[1], marking, self.scheme))
            self._mark_new(table, mine, key, entry)
        self.conn.execute(f"DELETE FROM {_MARKED}")
        if not found:
            return
        self.conn.execute(TABLE)
        stored = self._stored(list(found))
        rows = []
        for record_hash, (source, marking) in sorted(found.items()):
            before = stored.get(record_hash) or self.source_marking(source)
            rows.append((record_hash, *_row_of(strictest(before, marking, self.scheme))))
        self.conn.executemany("INSERT INTO record_markings (hash, classification, releasability, caveats) "
                              "VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET classification = "
                              "excluded.classification, releasability = excluded.releasability, "
                              "caveats = excluded.caveats", rows)

    def _mark_new(self, table: str, mine: str, key: str, entry: FileDefaults) -> None:
        """The file's marking for its records of its own source that have none yet."""
        file_marking = self.file_marking(entry, entry.source)
        self.conn.execute(f"INSERT INTO record_markings (hash, classification, releasability, caveats) "
                          f"SELECT e._hash, ?, ?, ? FROM {table} AS e WHERE {mine} AND e._source = ? "
                          f"AND e._hash NOT IN (SELECT hash FROM record_markings) ORDER BY e._hash",
                          [*_row_of(file_marking), key, entry.source])

    def _stored(self, hashes: list[str]) -> dict[str, Marking]:
        out = {}
        for at in range(0, len(hashes), 500):
            chunk = hashes[at:at + 500]
            query = (f"SELECT hash, classification, releasability, caveats FROM record_markings "
                     f"WHERE hash IN ({', '.join('?' * len(chunk))})")
            out.update((h, marking_of(self.scheme, fields)) for h, *fields in self.conn.execute(query, chunk))
        return out

