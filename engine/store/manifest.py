"""The optional manifest.json of a facts folder: the sources, and per-file defaults for metadata."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Mapping

from .errors import Problem
from .readers import not_utf8
from .values import META_CHECKERS, Bad

MANIFEST = "manifest.json"
RELIABILITY = ("A", "B", "C", "D", "E", "F")


@dataclass(frozen=True)
class SourceInfo:
    """A row of the `sources` table."""

    id: str
    name: str | None = None
    kind: str | None = None
    jurisdiction: str | None = None
    reliability: str | None = None
    classification: str | None = None
    releasability: str | None = None
    caveats: str | None = None

    def row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class FileDefaults:
    """Metadata given to every row of one file unless the row says otherwise."""

    source: str
    credibility: int | None = None
    document: str | None = None
    classification: str | None = None  # a marking for every record of the file, over its source's
    releasability: str | None = None
    caveats: str | None = None


@dataclass(frozen=True)
class Manifest:
    path: str
    sources: tuple[SourceInfo, ...] = ()
    files: Mapping[str, FileDefaults] = field(default_factory=lambda: MappingProxyType({}))



def file_defaults(manifest: Manifest | None, file_name: str) -> FileDefaults:
    """The defaults for `file_name`: its manifest entry, else the file itself as the source."""
    entry = manifest.files.get(file_name) if manifest else None
    return entry or FileDefaults(source=file_name)


def file_source(file_name: str) -> SourceInfo:
    """The source standing for a fact file no manifest entry describes."""
    return SourceInfo(id=file_name, name=file_name, kind="file")


def _reliability(value: object) -> str | None:
    if value is None:
        return None
    if value not in RELIABILITY:
        raise Bad("L010", "reliability must be a letter A-F (Admiralty grading), or absent when unknown")
    return value


def _required_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Bad("L010", "expected a non-empty string")
    return value


@functools.lru_cache(maxsize=None)
def _manifest_model() -> type:
    """The pydantic model of manifest.json, made when a folder first has one: pydantic is not imported for
    folders without a manifest."""
    import pydantic
    from pydantic import BeforeValidator, ConfigDict

    text = Annotated[Any, BeforeValidator(lambda v: v if v is None or isinstance(v, str) else _required_text(v))]
    strict = ConfigDict(extra="forbid")

    class _SourceEntry(pydantic.BaseModel):
        model_config = strict
        id: Annotated[Any, BeforeValidator(_required_text)]
        name: text = None
        kind: text = None
        jurisdiction: text = None
        reliability: Annotated[Any, BeforeValidator(_reliability)] = None
        classification: text = None
        releasability: text = None
        caveats: Any = None

    class _FileEntry(pydantic.BaseModel):
        model_config = strict
        source: Annotated[Any, BeforeValidator(_required_text)]
        credibility: Annotated[Any, BeforeValidator(META_CHECKERS["_credibility"])] = None
        document: text = None
        classification: text = None
        releasability: text = None
        caveats: Any = None

    class _ManifestModel(pydantic.BaseModel):
        model_config = strict
        sources: list[_SourceEntry] = []
        files: dict[str, _FileEntry] = {}

    return _ManifestModel


def read_manifest(folder: Path, known_sources: set[str]) -> tuple[Manifest | None, list[Problem]]:
    """Read and check `folder/manifest.json`. No manifest: (None, []). Problems are located in the file."""
    path = folder / MANIFEST
    if not path.is_file():
        return None, []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        bad = not_utf8(path.read_bytes())
        return None, [Problem("L010", str(path), bad.line, bad.col, None, None, bad.reason)]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [Problem("L010", str(path), exc.lineno, exc.colno, None, None, f"not valid JSON: {exc.msg}")]
    import pydantic

    try:
        model = _manifest_model().model_validate(data)
    except pydantic.ValidationError as exc:
        return None, [_problem(str(path), text, data, err) for err in exc.errors()]
    manifest = Manifest(str(path), tuple(SourceInfo(**entry.model_dump()) for entry in model.sources),
                        MappingProxyType({name: FileDefaults(**entry.model_dump())
                                          for name, entry in model.files.items()}))
    return manifest, _cross_check(manifest, text, known_sources)


def _cross_check(manifest: Manifest, text: str, known_sources: set[str]) -> list[Problem]:
    problems, seen = [], set()
    for source in manifest.sources:
        if source.id in seen:
            line, col = locate(text, ["sources", source.id, source.id])
            problems.append(Problem("L010", manifest.path, line, col, "id", source.id, "source id given twice"))
        seen.add(source.id)
    for name, entry in manifest.files.items():
        if entry.source not in seen | known_sources:
            line, col = locate(text, ["files", name, "source", entry.source])
            problems.append(Problem("L010", manifest.path, line, col, "source", entry.source,
                                    "unknown source: not in the manifest's sources nor in the case file"))
    return problems


def _problem(path: str, text: str, data: object, err: dict) -> Problem:
    loc = err["loc"]
    needles, node = [], data
    for part in loc:  # walk the data so list positions become the entries' texts
        node = node[part] if isinstance(node, (list, dict)) and _has(node, part) else None
        needles.append(part if isinstance(part, str) else _label(node))
    line, col = locate(text, [n for n in needles if n])
    column = next((p for p in reversed(loc) if isinstance(p, str)), None)
    bad = err.get("ctx", {}).get("error")
    if err["type"] == "extra_forbidden":
        reason = "unknown key"
    elif err["type"] == "missing":
        reason = "missing key"
    else:
        reason = bad.reason if isinstance(bad, Bad) else err["msg"]
    return Problem("L010", path, line, col, column, err.get("input") if err["type"] != "missing" else None, reason)


def _has(node, part) -> bool:
    return part in node if isinstance(node, dict) else isinstance(part, int) and 0 <= part < len(node)


def _label(node) -> str | None:
    return node.get("id") if isinstance(node, dict) and isinstance(node.get("id"), str) else None


def locate(text: str, needles: list[str]) -> tuple[int, int]:
    """(line, col) of the last of `needles` found in order in `text` (each as a JSON string); (1, 1) if none."""
    at = -1
    for needle in needles:
        found = text.find(json.dumps(needle, ensure_ascii=False), at + 1)
        if found >= 0:
            at = found
    if at < 0:
        return 1, 1
    return text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
