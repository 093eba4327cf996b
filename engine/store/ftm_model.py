"""The followthemoney model, imported without its side effect: followthemoney raises the csv module's
field size limit for the whole process on import, and Warrant's CSV loading keeps the standard limit
(128 KiB a field), so it is put back."""

from __future__ import annotations

import csv

_LIMIT = csv.field_size_limit()

from followthemoney import model  # noqa: E402
from followthemoney.exc import InvalidData  # noqa: E402

csv.field_size_limit(_LIMIT)

__all__ = ["InvalidData", "model"]
