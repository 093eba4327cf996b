"""Stream FtM entity files (JSON lines, as OpenSanctions ships them): one entity per line, each with the
file and line it came from, in bounded memory; a line that is no entity is a located problem (F001)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import orjson

from .errors import Problem


@dataclass(frozen=True)
class Located:
    """An entity as read (the JSON object), with where it is."""

    file: str
    line: int
    data: dict


def read_entities(paths: list[Path], problems: list[Problem], update: Callable[[int], None]) -> Iterator[Located]:
    """Every entity of `paths` in order. Bad lines are appended to `problems` and skipped; `update(bytes)`
    is called with the bytes read so far over all files (for a progress bar)."""
    done = 0
    for path in paths:
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, 1):
                done += len(raw)
                if number % 4096 == 0:
                    update(done)
                if not raw.strip():
                    continue
                data = _parse(raw, str(path), number, problems)
                if data is not None:
                    yield Located(str(path), number, data)
    update(done)


def _parse(raw: bytes, file: str, line: int, problems: list[Problem]) -> dict | None:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        problems.append(Problem("F001", file, line, 1, None, None, f"not a JSON entity: {exc}"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem("F001", file, line, 1, None, None, "not a JSON object: an FtM entity is {\"id\", \"schema\", \"properties\"}"))
        return None
    for key in ("id", "schema"):
        if not isinstance(data.get(key), str) or not data[key]:
            problems.append(Problem("F001", file, line, 1, key, data.get(key),
                                    f"an FtM entity needs a non-empty {key!r}"))
            return None
    if not isinstance(data.get("properties", {}), dict):
        problems.append(Problem("F001", file, line, 1, "properties", None,
                                f"entity {data['id']}: properties must map names to lists of strings"))
        return None
    return data


def file_sizes(paths: list[Path]) -> int:
    """Total bytes of `paths` (the progress bar's length)."""
    return sum(p.stat().st_size for p in paths)
