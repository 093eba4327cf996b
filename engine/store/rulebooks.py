"""Which rulebooks a case file has seen: every file of a Program, by content hash."""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import SourceMap
from ..syntax.ast import Rulebook
from ..syntax.program import Program
from .records import utc_now
from .schema import Store, write_transaction


def register_program(store: Store, program: Program, sources: SourceMap | None = None) -> None:
    """Record every rulebook of `program` (id, version, sha256, path, text). Idempotent by sha256."""
    now = utc_now()
    rows = [_row(rb, sources, now) for rb in program.rulebooks]
    columns = ("id", "version", "sha256", "path", "text", "registered_at")
    with write_transaction(store):
        store.conn.executemany(f"INSERT INTO rulebooks ({', '.join(columns)}) VALUES (?, ?, ?, ?, ?, ?) "
                               "ON CONFLICT DO NOTHING",
                                  [[row[c] for c in columns] for row in rows])


def _row(rb: Rulebook, sources: SourceMap | None, now: str) -> dict:
    return {"id": rb.id, "version": rb.version, "sha256": rb.sha256, "path": rb.path,
            "text": _text(rb.path, sources), "registered_at": now}


def _text(path: str, sources: SourceMap | None) -> str | None:
    if sources is not None and path in sources.files:
        return sources.files[path].text
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
