"""Markings on evidence: a classification level of the case file's ordered scheme, releasability and
handling caveats.

A scheme is an ordered list of levels, lowest first (`OFFICIAL < SECRET < TOP SECRET` unless the case file
chose another, such as TLP). Releasability is `REL TO` a list of partners (nationality or agency codes),
`LOCAL ONLY` (also written `NOFORN`: the case file's own users, never a partner agency), or absent (no
restriction beyond the level). Caveats are handling words (e.g. `ORCON`) a reader must hold each of.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field

from ..diagnostics import WarrantError, error

DEFAULT_LEVELS = ("OFFICIAL", "SECRET", "TOP SECRET")
TLP_LEVELS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
PRESETS = {"default": DEFAULT_LEVELS, "tlp": TLP_LEVELS}
LOCAL_ONLY = "LOCAL ONLY"
_LOCAL_WORDS = {"LOCAL ONLY", "NOFORN"}
_PARTNER = re.compile(r"[A-Z][A-Z0-9-]{0,31}")
_SCHEME_KEY = "marking_scheme"


class MarkingError(WarrantError):
    """A marking, principal or scheme the case file refuses (A001): `reason` says why, `hint` what to do."""

    def __init__(self, reason: str, hint: str):
        super().__init__(error("A001", reason, None, hint))
        self.reason, self.hint = reason, hint


@dataclass(frozen=True)
class Marking:
    """One record's or source's marking; `releasable_to` is None for no restriction, () for local only."""

    classification: str
    releasable_to: tuple[str, ...] | None = None
    caveats: tuple[str, ...] = ()

    def releasability_text(self) -> str | None:
        if self.releasable_to is None:
            return None
        return LOCAL_ONLY if not self.releasable_to else "REL TO " + ", ".join(self.releasable_to)

    def text(self) -> str:
        """The banner line, e.g. 'SECRET REL TO UK' or 'OFFICIAL LOCAL ONLY ORCON'."""
        return " ".join([self.classification, *filter(None, [self.releasability_text()]), *self.caveats])


@dataclass(frozen=True)
class Scheme:
    """The case file's ordered levels (lowest first) and the marking a record without one gets."""

    levels: tuple[str, ...] = DEFAULT_LEVELS
    default: str = field(default="")

    def __post_init__(self):
        if not self.default:
            object.__setattr__(self, "default", self.levels[0])

    def rank(self, level: str) -> int:
        return self.levels.index(level)

    def order_text(self) -> str:
        return " < ".join(self.levels)

    def level(self, value: object) -> str:
        """A level of this scheme (case and spacing as the scheme writes it), or MarkingError."""
        text = " ".join(str(value).split()).upper() if isinstance(value, str) else None
        if text not in self.levels:
            raise MarkingError(f"{value!r} is not a classification level of this case file ({self.order_text()})",
                               f"write one of {', '.join(self.levels)}, or change the scheme: warrant markings scheme")
        return text

    def default_marking(self) -> Marking:
        return Marking(self.default)

    def marking(self, classification: object, releasability: object = None, caveats: object = None) -> Marking:
        """A checked marking; an absent classification is the scheme's default level."""
        level = self.default if classification is None else self.level(classification)
        return Marking(level, parse_releasability(releasability), parse_caveats(caveats))

    def to_json(self) -> dict:
        return {"levels": list(self.levels), "default": self.default}


def parse_releasability(value: object) -> tuple[str, ...] | None:
    """None (no restriction), () for LOCAL ONLY / NOFORN, or the sorted partners of `REL TO A, B`."""
    if value is None:
        return None
    text = " ".join(value.split()).upper() if isinstance(value, str) else ""
    if text in _LOCAL_WORDS:
        return ()
    if text.startswith("REL TO "):
        partners = [p.strip() for p in text[len("REL TO "):].split(",")]
        if partners and all(_PARTNER.fullmatch(p) for p in partners):
            return tuple(sorted(set(partners)))
    raise MarkingError(f"releasability {value!r} is neither REL TO a list of partners nor LOCAL ONLY",
                       "write REL TO UK, FR (nationality or agency codes, comma-separated), LOCAL ONLY or NOFORN, "
                       "or leave it out for no restriction")


def parse_caveats(value: object) -> tuple[str, ...]:
    """Handling caveats: a list of words (or one comma-separated string), upper case, sorted."""
    if value is None:
        return ()
    items = value.split(",") if isinstance(value, str) else value if isinstance(value, list) else None
    words = [" ".join(w.split()).upper() for w in items if isinstance(w, str)] if items is not None else []
    if items is None or len(words) != len(items) or not all(_PARTNER.fullmatch(w.replace(" ", "-")) for w in words):
        raise MarkingError(f"caveats {value!r} are not a list of handling words",
                           'write caveats as a list of words, e.g. ["ORCON", "LIMDIS"]')
    return tuple(sorted(set(words)))


def at_least(marking: Marking, other: Marking, scheme: Scheme) -> bool:
    """Whether `marking` is as strict as `other` or stricter: a level no lower, releasable to no partner
    `other` is not (no restriction < REL TO a list < REL TO fewer < LOCAL ONLY), and every caveat of `other`."""
    return (scheme.rank(marking.classification) >= scheme.rank(other.classification)
            and _rel_within(marking.releasable_to, other.releasable_to)
            and set(other.caveats) <= set(marking.caveats))


def _rel_within(mine: tuple[str, ...] | None, other: tuple[str, ...] | None) -> bool:
    if other is None:
        return True
    return mine is not None and (not mine or (bool(other) and set(mine) <= set(other)))


def strictest(a: Marking, b: Marking, scheme: Scheme) -> Marking:
    """The least strict marking that is at least as strict as both: the higher level, the partners both
    release to (LOCAL ONLY when they share none), every caveat of either."""
    level = max(a.classification, b.classification, key=scheme.rank)
    if a.releasable_to is None or b.releasable_to is None:
        rel = b.releasable_to if a.releasable_to is None else a.releasable_to
    else:
        rel = tuple(sorted(set(a.releasable_to) & set(b.releasable_to)))
    return Marking(level, rel, tuple(sorted(set(a.caveats) | set(b.caveats))))


def scheme_from(levels: list[str] | tuple[str, ...], default: str | None = None) -> Scheme:
    """A scheme from a preset name's levels or a list written lowest first; MarkingError when malformed."""
    cleaned = tuple(" ".join(str(x).split()).upper() for x in levels)
    if not cleaned or len(set(cleaned)) != len(cleaned) or not all(cleaned):
        raise MarkingError(f"levels {list(levels)!r} are not distinct names", "give the levels lowest first, e.g. "
                           "OFFICIAL,SECRET,TOP SECRET")
    scheme = Scheme(cleaned)
    return Scheme(cleaned, scheme.level(default) if default else cleaned[0])


def read_scheme(conn: sqlite3.Connection) -> Scheme:
    """The case file's scheme (the default scheme when it chose none)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", [_SCHEME_KEY]).fetchone()
    if row is None:
        return Scheme()
    data = json.loads(row[0])
    return Scheme(tuple(data["levels"]), data["default"])


def write_scheme(conn: sqlite3.Connection, scheme: Scheme) -> None:
    """Store the case file's scheme (inside the caller's transaction)."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                 [_SCHEME_KEY, json.dumps(scheme.to_json(), sort_keys=True)])
