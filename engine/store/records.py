"""Record identity: canonical JSON, the record hash, and UTC timestamps."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

HASHED_META = ("source", "document", "credibility", "observed", "valid_from", "valid_to", "action")
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no spaces: the same data always gives the same text."""
    return _ENCODER.encode(value)


def _sha256(value: object) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def record_hash(predicate: str, args: list, meta: dict) -> str:
    """The identity of a record (used in proofs): predicate, args and metadata, not recorded_at."""
    body = {"predicate": predicate, "args": args}
    body.update({name: meta.get(name) for name in HASHED_META})
    return _sha256(body)


def format_timestamp(moment: datetime) -> str:
    """UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`; a naive datetime is taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: str) -> datetime:
    """An ISO date or timestamp (with `Z` or an offset, or naive = UTC) as a UTC datetime; ValueError if not."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def utc_now() -> str:
    """The current time in the stored timestamp format."""
    return format_timestamp(datetime.now(timezone.utc))


def normalize_timestamp(text: str | None) -> str:
    """`text` (or now, when None) in the stored timestamp format."""
    return utc_now() if text is None else format_timestamp(parse_timestamp(text))
