"""Entity names: how each entity is called (name, aliases, country, registration number), stored once per
entity in the case file's `entity_names` table and shown beside its id in proofs, narratives, graphs and
reports. Presentation only: no rule reads a name, and the independent checker does not verify them.

They come from an FtM import, or from an `entities.csv` / `entities.json` / `entities.jsonl` file in a
facts folder: columns id, name, aliases (separated by `;`), country, registration_number."""

from __future__ import annotations

import csv
import itertools
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .errors import Problem

TABLE = "entity_names"
STEMS = ("entities",)
COLUMNS = ("id", "name", "aliases", "country", "registration_number")
CHUNK = 20000


@dataclass(frozen=True)
class Name:
    """How an entity is called: stored once per entity, shown beside its id."""

    id: str
    schema: str
    name: str
    aliases: tuple[str, ...] = ()
    country: str = ""
    registration: str = ""



def ensure_table(conn: sqlite3.Connection) -> None:
    """Create the names table when the case file has none."""
    conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                 "aliases TEXT NOT NULL DEFAULT '[]', country TEXT, registration TEXT, schema TEXT)")


def store_names(conn: sqlite3.Connection, names: Iterable[Name]) -> int:
    """Add or replace the names of these entities (the latest one given wins); returns how many."""
    ensure_table(conn)
    count = 0
    items = iter(names)
    while chunk := list(itertools.islice(items, CHUNK)):
        conn.executemany(f"INSERT INTO {TABLE} (id, name, aliases, country, registration, schema) "
                         "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                         "aliases = excluded.aliases, country = excluded.country, "
                         "registration = excluded.registration, schema = excluded.schema",
                         [(n.id, n.name, json.dumps(list(n.aliases), ensure_ascii=False), n.country or None,
                           n.registration or None, n.schema or None) for n in chunk])
        count += len(chunk)
    return count


def names_of(conn: sqlite3.Connection, ids: Iterable[str]) -> dict[str, str]:
    """The name of each of `ids` that has one (a case file without names gives {})."""
    wanted = sorted({i for i in ids if isinstance(i, str)})
    out: dict[str, str] = {}
    try:
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            out.update(conn.execute(f"SELECT id, name FROM {TABLE} WHERE id IN ({', '.join('?' * len(part))})",
                                    part).fetchall())
    except sqlite3.OperationalError:  # no names table: nothing was ever named
        return {}
    return out


def entity_files(folder: Path) -> list[Path]:
    """The names files of a facts folder."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.stem in STEMS
                  and p.suffix in (".csv", ".json", ".jsonl"))


def read_names(path: Path, problems: list[Problem]) -> Iterator[Name]:
    """The names a names file gives; bad rows are located problems (L002, L007, L009)."""
    for line, row in _rows(path, problems):
        missing = [c for c in ("id", "name") if not str(row.get(c) or "").strip()]
        if missing:
            problems.append(Problem("L007" if "id" in row else "L002", str(path), line, 1, missing[0], None,
                                    f"an entity needs an {missing[0]}"))
            continue
        aliases = row.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [a.strip() for a in aliases.split(";") if a.strip()]
        yield Name(str(row["id"]), str(row.get("schema") or ""), str(row["name"]), tuple(map(str, aliases)),
                   str(row.get("country") or ""), str(row.get("registration_number") or ""))


def _rows(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        if path.suffix == ".csv":
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or "id" not in reader.fieldnames:
                problems.append(Problem("L002", str(path), 1, 1, "id", None, "a names file has columns "
                                        + ", ".join(COLUMNS)))
                return
            for row in reader:
                yield reader.line_num, row
            return
        if path.suffix == ".json":
            try:
                items = json.load(handle)
            except json.JSONDecodeError as exc:
                problems.append(Problem("L009", str(path), exc.lineno, exc.colno, None, None, f"not JSON: {exc.msg}"))
                return
            if not isinstance(items, list):
                problems.append(Problem("L009", str(path), 1, 1, None, None, "expected a JSON list of objects"))
                return
            yield from ((1, item) for item in items if isinstance(item, dict))
            return
        for number, text in enumerate(handle, 1):
            if text.strip():
                try:
                    item = json.loads(text)
                except json.JSONDecodeError as exc:
                    problems.append(Problem("L009", str(path), number, exc.colno, None, None, f"not JSON: {exc.msg}"))
                    continue
                if isinstance(item, dict):
                    yield number, item
