"""The `_` metadata columns of a CSV file, checked a chunk at a time: each row's metadata id, with the
file's defaults filled in, exactly as the row path (`rows.table_rows`) gives it.

Any value the row path would refuse (a bad grade or date, an unknown source, a validity window that ends
before it starts) raises `Doubt`, and the row path then reports it with its line and column."""

from __future__ import annotations

from operator import itemgetter

from .columnar import Doubt, each_distinct
from .packing import META_FIELDS, Packer
from .rows import Stamp
from .values import META_CHECKERS, Bad


class MetadataColumns:
    """The metadata columns of one file: `positions` maps each `_` column name to its place in a record."""

    def __init__(self, positions: dict[str, int], packer: Packer, stamp: Stamp):
        self.positions, self.packer = positions, packer
        self.defaults, self.sources = stamp.defaults, stamp.sources

    def ids(self, records: list[list[str]]) -> list[int]:
        """The metadata id of every record (each checked row's metadata, made on first use)."""
        own = self._checked(records)
        none = [None] * len(records)
        source, document, credibility = own.get("source", none), own.get("document", none), own.get("credibility", none)
        starts, ends = own.get("valid_from", none), own.get("valid_to", none)
        if any(s is not None and s not in self.sources for s in source):
            raise Doubt("an unknown source")
        if any(a is not None and b is not None and b <= a for a, b in zip(starts, ends)):
            raise Doubt("a validity window that ends before it starts")
        d = self.defaults
        values = {
            "source": [s or d.source for s in source],
            "document": [x if x is not None else d.document for x in document],
            "credibility": [x if x is not None else d.credibility for x in credibility],
            "observed": own.get("observed", none), "valid_from": starts, "valid_to": ends,
            "action": [a or "assert" for a in own.get("action", none)],
        }
        return list(map(self.packer.values_id, zip(*[values[name] for name in META_FIELDS])))

    def _checked(self, records: list[list[str]]) -> dict[str, list]:
        own = {}
        for name, at in self.positions.items():
            try:
                own[name[1:]] = each_distinct(META_CHECKERS[name], list(map(itemgetter(at), records)))
            except (Bad, ValueError, TypeError) as exc:
                raise Doubt(f"{name}: {exc}") from None
        return own
