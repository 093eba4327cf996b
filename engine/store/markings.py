"""Markings at load time: a manifest's source and file markings checked against the case file's scheme
(L017, located in manifest.json); and the marking of a stored record.

A record's marking is its own (the `record_markings` table, by record hash: given by its row or its file,
see `recordmarks`), else its source's (the `sources` table), else the scheme's default level with no
restriction."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from ..access.markings import Marking, MarkingError, Scheme, parse_caveats, parse_releasability
from .errors import Problem
from .schema import table_columns

if TYPE_CHECKING:  # the manifest's pydantic models are loaded by loads, not by readers of a stored run
    from .manifest import Manifest

_FIELDS = ("classification", "releasability", "caveats")


def check_manifest_markings(manifest: Manifest | None, scheme: Scheme) -> tuple[Manifest | None, list[Problem]]:
    """The manifest with every marking written canonically, and an L017 problem for each marking the scheme
    refuses (an unknown level, a malformed releasability or caveat list)."""
    if manifest is None:
        return None, []
    from .manifest import locate

    text = Path(manifest.path).read_text(encoding="utf-8-sig")
    problems: list[Problem] = []

    def clean(entry, needles: list[str]):
        values = {}
        for name in _FIELDS:
            raw = getattr(entry, name)
            try:
                values[name] = None if raw is None else _canonical(name, raw, scheme)
            except MarkingError as exc:
                line, col = locate(text, needles + [name])
                problems.append(Problem("L017", manifest.path, line, col, name, raw, f"{exc.reason}; {exc.hint}"))
                values[name] = None
        return replace(entry, **values)

    sources = tuple(clean(s, ["sources", s.id]) for s in manifest.sources)
    files = MappingProxyType({name: clean(f, ["files", name]) for name, f in manifest.files.items()})
    return replace(manifest, sources=sources, files=files), problems


def _canonical(name: str, raw, scheme: Scheme) -> str | None:
    if name == "classification":
        return scheme.level(raw)
    if name == "releasability":
        return Marking(scheme.default, parse_releasability(raw)).releasability_text()
    return ",".join(parse_caveats(raw)) or None


def record_marking(conn: sqlite3.Connection, scheme: Scheme, record_hash: str | None, source: str | None) -> Marking:
    """The marking of one record: its file's, else its source's, else the scheme's default."""
    row = None
    if record_hash is not None:
        try:
            row = conn.execute("SELECT classification, releasability, caveats FROM record_markings WHERE hash = ?",
                               [record_hash]).fetchone()
        except sqlite3.OperationalError:  # no marked files yet
            row = None
    if row is None and source is not None:
        row = source_marking_row(conn, source)
    return scheme.default_marking() if row is None else marking_of(scheme, row)


def marking_of(scheme: Scheme, row) -> Marking:
    """The marking of a stored (classification, releasability, caveats) row; one written before markings were
    checked, and now refused, is withheld from all but the owner."""
    try:
        return scheme.marking(row[0], row[1], row[2])
    except MarkingError:
        return Marking(scheme.levels[-1], (), ("UNCHECKED",))


def source_marking_row(conn: sqlite3.Connection, source: str) -> tuple | None:
    """(classification, releasability, caveats) of a source as recorded, None when it is not recorded."""
    cols = {name for name, _ in table_columns(conn, "sources")}
    caveats = "caveats" if "caveats" in cols else "NULL"
    return conn.execute(f"SELECT classification, releasability, {caveats} FROM sources WHERE id = ?",
                        [source]).fetchone()
