"""The `sources` table: who said it. Manifest sources and one source per undescribed fact file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .errors import Problem
from .manifest import Manifest, SourceInfo, file_source, locate
from .schema import quote, table_columns

if TYPE_CHECKING:
    from .schema import Store

# `db` is the case file's Store (or a sqlite-utils Database): only its `conn` is used


def source_ids(db: Store) -> set[str]:
    """Ids of the sources already in the case file."""
    return {row[0] for row in db.conn.execute("SELECT id FROM sources")}


def register_sources(db: Store, manifest: Manifest | None, fact_files: list[Path]) -> list[Problem]:
    """Add the manifest's sources and the stand-in sources of undescribed files; a changed source is a problem."""
    if "caveats" not in {name for name, _ in table_columns(db.conn, "sources")}:  # a case file from before caveats
        db.conn.execute("ALTER TABLE sources ADD COLUMN caveats TEXT")
    problems = [p for source in (manifest.sources if manifest else ()) if (p := _add(db, source, manifest))]
    for path in fact_files:
        if manifest is None or path.name not in manifest.files:
            _insert(db, file_source(path.name).row(), " ON CONFLICT DO NOTHING")
    return problems


def _add(db: Store, source: SourceInfo, manifest: Manifest) -> Problem | None:
    cursor = db.conn.execute("SELECT * FROM sources WHERE id = ?", [source.id])
    found = cursor.fetchone()
    if found is None:
        _insert(db, source.row())
        return None
    recorded = dict(zip([d[0] for d in cursor.description], found))
    if recorded == source.row():
        return None
    changed = sorted(k for k in recorded if recorded[k] != source.row()[k])
    text = Path(manifest.path).read_text(encoding="utf-8-sig")
    line, col = locate(text, ["sources", source.id])
    return Problem("L012", manifest.path, line, col, "id", source.id,
                   f"source already recorded in the case file with different {', '.join(changed)}")


def _insert(db: Store, row: dict, conflict: str = "") -> None:
    columns = sorted(row)  # the sources table's own column names (SourceInfo.row)
    db.conn.execute(f"INSERT INTO sources ({', '.join(map(quote, columns))}) "
                    f"VALUES ({', '.join('?' * len(columns))}){conflict}", [row[c] for c in columns])
