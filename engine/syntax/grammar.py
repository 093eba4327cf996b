"""Find and load grammar/rulebook.lark (from the source tree or an installed wheel)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lark import Lark

_HERE = Path(__file__).resolve().parent.parent
_CANDIDATES = (_HERE / "_grammar", _HERE.parent / "grammar")


def grammar_path(name: str = "rulebook.lark") -> Path:
    """The path of a grammar file; raises FileNotFoundError naming where it looked."""
    for folder in _CANDIDATES:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"grammar {name} not found in " + ", ".join(map(str, _CANDIDATES)))


@lru_cache(maxsize=None)
def parser(start: str = "start") -> Lark:
    """The LALR parser for the rulebook language, built once per start symbol.

    Lark keeps the analysed grammar in a cache file (ten times faster than analysing it again); the file
    is checked against the grammar text, the options and lark's version, and rebuilt when any differs."""
    from lark import Lark  # here, not at import: reading a stored run's checked program needs no parser

    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        start=start,
        propagate_positions=True,
        maybe_placeholders=True,
        cache=_cache_file(start),
    )


def cache_folder() -> Path | None:
    """Warrant's private folder in the user's cache folder (not the shared temp folder: what is cached there
    is unpickled), made if missing; None when it cannot be made, or when it is not the user's own or others
    may write to it."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "warrant"
    try:
        base.mkdir(parents=True, exist_ok=True, mode=0o700)
        mode = base.stat()
    except OSError:
        return None
    if mode.st_uid != os.getuid() or mode.st_mode & 0o022:  # someone else could plant a file there
        return None
    return base


def _cache_file(start: str) -> str | bool:
    """The grammar's cache file; False (no cache) when there is no cache folder."""
    import lark

    base = cache_folder()
    return str(base / f"rulebook-{start}-lark{lark.__version__}.cache") if base else False
