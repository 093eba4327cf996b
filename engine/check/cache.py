"""Checked programs kept between runs: a rulebook that parsed and checked without error is read back
from the user's cache folder while neither it, nor any file it uses, nor the parser and checker changed.

An entry is keyed by the rulebook's path (as given, and resolved) and holds the SHA-256 of every file
the program was built from, and a fingerprint of the code that built it (the parser, the checker, the
grammar, and the versions of lark and Python). Every read re-hashes the files, so an edited rulebook is
parsed and checked afresh; a program with errors is never stored.

The rulebooks a stored run applied (their texts are in the case file) are kept the same way, keyed by
their paths and texts, so `why`, `query` and the other readers of a run do not parse them again.

`WARRANT_RULEBOOK_CACHE=0` turns the cache off; like lark's grammar cache it lives in `$XDG_CACHE_HOME/warrant` (else `~/.cache/warrant`),
a folder only its owner may read, because entries are unpickled."""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pickle
import sqlite3
import sys
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from ..diagnostics import SourceMap
from ..source import SourceFile
from ..syntax.grammar import cache_folder, grammar_path
from ..syntax.program import Program

_ENGINE = Path(__file__).resolve().parent.parent
# eval: check tries rules on SQLite (limits.py); numbers: the parser reads number literals with it
_CODE = ("syntax", "check", "eval", "diagnostics.py", "source.py", "numbers.py")


def enabled() -> bool:
    """Whether checked programs are kept (`WARRANT_RULEBOOK_CACHE` is not 0, off or no)."""
    return os.environ.get("WARRANT_RULEBOOK_CACHE", "1").strip().lower() not in ("0", "off", "no", "false")


def cached_program(path: str | Path, sources: SourceMap | None = None) -> Program | None:
    """The checked program of the rulebook at `path` if it was stored and nothing it depends on changed
    (its files are added to `sources`); else None."""
    entry = _read(_entry_file(path))
    if entry is None:
        return None
    try:
        files = [_current(resolved, shown, sha) for resolved, shown, sha in entry["files"]]
    except Exception:  # unreadable, truncated, from another version: parse and check afresh
        return None
    if None in files:
        return None
    if sources is not None:
        for source in files:
            sources.add(source)
    return entry["program"]


def remember_program(path: str | Path, program: Program) -> None:
    """Store a program that checked without error (best effort: a cache that cannot be written is skipped)."""
    files = [(str(Path(rb.path).resolve()), rb.path, rb.sha256) for rb in program.rulebooks]
    _write(_entry_file(path), {"files": files, "program": program})


def stored_program(books: Sequence[tuple[str, str]], build: Callable[[], Program]) -> Program:
    """The program of rulebook texts stored in a case file, `books` being (path, text) pairs in the order
    applied: read back when the same texts under the same paths were built before by this code, else
    `build()`, which is kept for next time (a build that raises keeps nothing)."""
    key = hashlib.sha256()
    for path, text in books:
        key.update(f"{len(path)}:{path}{len(text)}:{text}".encode("utf-8"))
    entry_file = _folder_file("runs", key.hexdigest()[:32])
    entry = _read(entry_file)
    if entry is not None and isinstance(entry.get("program"), Program):
        return entry["program"]
    program = build()
    _write(entry_file, {"program": program})
    return program


def _read(entry_file: Path | None) -> dict | None:
    """An entry written by this code (same fingerprint), or None: missing, unreadable, or from other code."""
    if entry_file is None or not entry_file.is_file():
        return None
    try:
        entry = pickle.loads(entry_file.read_bytes())
        return entry if entry["fingerprint"] == fingerprint() else None
    except Exception:  # unreadable, truncated, from another version
        return None


def _write(entry_file: Path | None, entry: dict) -> None:
    """Replace the entry atomically (best effort: a cache that cannot be written is skipped)."""
    if entry_file is None:
        return
    import tempfile  # here: a run that reads its checked rulebook back never writes

    data = pickle.dumps({"fingerprint": fingerprint(), **entry}, protocol=pickle.HIGHEST_PROTOCOL)
    try:
        fd, temporary = tempfile.mkstemp(dir=entry_file.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, entry_file)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


@lru_cache(maxsize=None)
def fingerprint() -> str:
    """SHA-256 over the source of the parser, checker and evaluator, the grammar, lark's `__init__.py` (which
    holds its version; read, not imported, so that a cache hit needs no parser), and Python's and SQLite's
    versions."""
    h = hashlib.sha256(f"{sys.version}:{sqlite3.sqlite_version}".encode())
    lark_spec = importlib.util.find_spec("lark")
    files = [grammar_path(), *([Path(lark_spec.origin)] if lark_spec and lark_spec.origin else [])]
    for part in _CODE:
        where = _ENGINE / part
        files += sorted(where.glob("*.py")) if where.is_dir() else [where]
    for file in files:
        h.update(f"{file.name}:".encode() + file.read_bytes())
    return h.hexdigest()


def _current(resolved: str, shown: str, sha: str) -> SourceFile | None:
    text = Path(resolved).read_text(encoding="utf-8")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
        return None
    return SourceFile(shown, text)


def _entry_file(path: str | Path) -> Path | None:
    return _folder_file("programs", hashlib.sha256(f"{path}\n{Path(path).resolve()}".encode()).hexdigest()[:32])


def _folder_file(kind: str, key: str) -> Path | None:
    """The entry file `key` in the cache's `kind` folder (made private if missing); None when caching is off
    or there is no cache folder."""
    if not enabled():
        return None
    folder = cache_folder()
    if folder is None:
        return None
    where = folder / kind
    try:
        where.mkdir(exist_ok=True, mode=0o700)
    except OSError:
        return None
    return where / f"{key}.pickle"
