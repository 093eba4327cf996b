"""Pack checked rows for the staging table, hashing them with precomputed canonical-JSON templates.

`record_hash` (records.py) hashes `canonical_json` of a dict; json.dumps of a dict per row
is most of a load's time. Here the canonical text is built as template prefix + the args' JSON + suffix,
the templates made once per distinct metadata by `canonical_json` itself, so the bytes are the same."""

from __future__ import annotations

import hashlib
import secrets
from json.encoder import encode_basestring

from ..syntax.ast import Declaration
from .records import HASHED_META, canonical_json

META_FIELDS = HASHED_META  # the metadata a staged row refers to, by id: source ... action
_BOOL = {True: "true", False: "false"}.__getitem__
# The JSON of one checked value, by declared type: strings as json.dumps(ensure_ascii=False) writes them,
# numbers (int when integral, else float) by repr, as json does; bools as true/false.
ENCODERS = {"entity": encode_basestring, "text": encode_basestring, "date": encode_basestring,
            "timestamp": encode_basestring,
            "number": repr, "percent": repr, "bool": _BOOL}


def _template(body: dict) -> tuple[str, str]:
    """`canonical_json(body)` split around its "args" value: (prefix, suffix)."""
    marker = f"@args-{secrets.token_hex(16)}@"
    prefix, suffix = canonical_json(dict(body, args=marker)).split(canonical_json(marker))
    return prefix, suffix


class Packer:
    """Turns checked rows of one predicate into staged tuples: (args..., _hash, meta id).

    `metas` maps each distinct metadata tuple (in META_FIELDS order) to its id, in order of first use, since
    the last `drain`: a file whose records each bring their own metadata (an FtM import gives each record its
    entity id as its document) is staged in bounded memory by draining them between chunks."""

    def __init__(self, decl: Declaration):
        self.predicate = decl.name
        self.encoders = tuple(ENCODERS[c.type] for c in decl.columns)
        self.metas: dict[tuple, int] = {}
        self._templates: list[tuple[str, str]] = []
        self._base = 0  # the id of the first metadata in `metas` (those before were drained)

    def meta_id(self, meta: dict) -> int:
        """The id of this metadata (a dict with every META_FIELDS name), made on first use."""
        return self.values_id(tuple(meta[name] for name in META_FIELDS))

    def values_id(self, values: tuple) -> int:
        """The id of this metadata given as a tuple in META_FIELDS order, made on first use."""
        found = self.metas.get(values)
        if found is None:
            found = self.metas[values] = self._base + len(self.metas)
            self._templates.append(_template({"predicate": self.predicate, **dict(zip(META_FIELDS, values))}))
        return found

    def record_template(self, meta_id: int) -> tuple[str, str]:
        """(prefix, suffix) of the record hash's canonical JSON around the args, for this metadata id."""
        return self._templates[meta_id - self._base]

    @property
    def drained(self) -> bool:
        """Whether any metadata was drained (then the file has more than the metadata in `metas`)."""
        return self._base > 0

    def drain(self) -> list[tuple]:
        """The metadata made since the last drain, as (id, values...) rows, forgotten here: a later record with
        the same metadata gets a new id with the same values."""
        rows = [(number, *values) for values, number in self.metas.items()]
        self._base += len(self.metas)
        self.metas, self._templates = {}, []
        return rows

    def args_json(self, args: tuple) -> str:
        """The canonical JSON of the argument list."""
        return "[" + ",".join([encode(value) for encode, value in zip(self.encoders, args)]) + "]"

    def pack(self, args: tuple, meta_id: int) -> tuple:
        """The staged row: the args, the record hash and the metadata id."""
        text = self.args_json(args)
        prefix, suffix = self._templates[meta_id]
        record = hashlib.sha256((prefix + text + suffix).encode()).hexdigest()
        return (*args, record, meta_id)
