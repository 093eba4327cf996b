"""Find and load grammar/rulebook.lark (from the source tree or an installed wheel)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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
    """The LALR parser for the rulebook language, built once per start symbol."""
    return Lark(
        grammar_path().read_text(encoding="utf-8"),
        parser="lalr",
        start=start,
        propagate_positions=True,
        maybe_placeholders=True,
    )
