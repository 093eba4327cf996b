"""Entity names that may mislead a reader: invisible or control characters, Cyrillic or Greek letters drawn
like Latin ones, compatibility forms; and the skeleton two such names share when they only look alike.

A load warns about them (it does not refuse them: a real name may hold any character)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from ..diagnostics import Diagnostic, warning
from ..source import Span

# Warning codes (documented in docs/errors.md with the load errors)
CODES: dict[str, tuple[str, str]] = {
    "L014": ("misleading name", "check the name in the source document; retype it with plain letters if "
                                "the characters were not meant"),
    "L015": ("lookalike names", "these are two different entities: check both names in the source documents "
                                "and retype the one that is wrong"),
}

# Cyrillic and Greek letters drawn like Latin ones: a small skeleton after Unicode's confusables (TR39)
_LOOKALIKES = {
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ү": "Y", "Ԛ": "Q", "Ԝ": "W",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ј": "j",
    "һ": "h", "ԁ": "d", "ӏ": "l", "ԛ": "q", "ԝ": "w", "ү": "y", "ɡ": "g",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p", "α": "a",
}
_SKELETON = str.maketrans(_LOOKALIKES)
_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Cs"})


def _invisible(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category in _INVISIBLE or (category == "Zs" and ch != " ")


def _describe(chars) -> str:
    distinct = list(dict.fromkeys(chars))
    named = [f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed')}" for ch in distinct[:3]]
    return ", ".join(named) + (", ..." if len(distinct) > 3 else "")


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN")


def plain(name: str) -> bool:
    """Whether the name is printable ASCII (then nothing in it can mislead)."""
    return name.isascii() and name.isprintable()


def misleading(name: str) -> str | None:
    """Why the name may mislead a reader (what it contains), or None."""
    if plain(name):
        return None
    hidden = [ch for ch in name if _invisible(ch)]
    if hidden:
        return f"invisible or control characters ({_describe(hidden)})"
    lookalikes = [ch for ch in name if ch in _LOOKALIKES]
    if lookalikes and any(map(_is_latin, name)):
        return f"letters of another script that look like Latin ones ({_describe(lookalikes)})"
    normal = unicodedata.normalize("NFKC", name)
    if normal != name:
        changed = [ch for ch in name if unicodedata.normalize("NFKC", ch) != ch] or list(name)
        return f"compatibility or decomposed characters ({_describe(changed)}; normal form {normal!r})"
    return None


def skeleton(name: str) -> str:
    """What the name looks like: without invisible characters, in NFKC form, other spaces as a space, and
    Cyrillic or Greek lookalikes as their Latin letters. Names with one skeleton read alike."""
    if plain(name):
        return name
    visible = "".join(" " if unicodedata.category(ch) == "Zs" else ch for ch in name if not _invisible(ch))
    return unicodedata.normalize("NFKC", visible).translate(_SKELETON)


@dataclass(frozen=True)
class NameWarning:
    """A warning about one entity name of a loaded file: where it first appears and what is wrong."""

    code: str
    file: str
    line: int
    col: int
    column: str
    name: str
    message: str

    def diagnostic(self) -> Diagnostic:
        """This warning as a located diagnostic with a hint."""
        span = Span(self.file, self.line, self.col, self.line, self.col + 1)
        return warning(self.code, self.message, span, CODES[self.code][1])


def misleading_warning(file: str, line: int, col: int, column: str, name: str, reason: str) -> NameWarning:
    """The L014 warning about a name that contains misleading characters."""
    return NameWarning("L014", file, line, col, column, name, f"{column} = {name!r}: the name contains {reason}")


def lookalike_warning(found: NameWarning, other: str) -> NameWarning:
    """The L015 warning: the name at `found` differs from `other` only by invisible or lookalike characters."""
    return NameWarning("L015", found.file, found.line, found.col, found.column, found.name,
                       f"{found.column} = {found.name!r} differs from the entity {other!r} only by invisible or "
                       f"lookalike characters: they are stored as two different entities")
