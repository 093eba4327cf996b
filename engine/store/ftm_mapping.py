"""The mapping file of an FtM import (TOML): which datasets and authorities are which lists, how each
dataset is described as a source, and how Ownership, Control and other schemata become evidence.

The shipped default is `rulebooks/ftm_mapping.toml`; docs/analyst-guide.md documents every key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import LoadError, Problem
from .manifest import RELIABILITY

DEFAULT_MAPPING = Path(__file__).resolve().parents[2] / "rulebooks" / "ftm_mapping.toml"
SOURCE_KEYS = ("name", "kind", "jurisdiction", "reliability", "classification", "releasability")


@dataclass(frozen=True)
class Edge:
    """One schema mapped property by property: `columns` are ("prop", name), ("id", "") or ("value", text)."""

    schema: str
    evidence: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Mapping:
    """A parsed mapping file. `authorities` are (lower-case text, list) in file order."""

    path: str
    rulebook: Path
    datasets: dict[str, str]
    authorities: tuple[tuple[str, str], ...]
    sources: dict[str, dict[str, str]]
    holding_id: str | None
    control_basis: dict[str, str]
    edges: tuple[Edge, ...]

    def source_id(self, dataset: str) -> str:
        """The case-file source id of a dataset."""
        return f"ftm:{dataset}"

    def source_row(self, dataset: str) -> dict[str, str | None]:
        """The `sources` row describing `dataset` (its own entry, else `default`)."""
        info = self.sources.get(dataset) or self.sources.get("default") or {}
        row = {key: info.get(key) for key in SOURCE_KEYS}
        row["name"] = row["name"] or f"FtM dataset {dataset}"
        return {"id": self.source_id(dataset), **row}

    def list_of_authority(self, authority: str) -> str | None:
        """The list a Sanction's authority text names, or None."""
        low = authority.lower()
        return next((lst for text, lst in self.authorities if text in low), None)


def _problem(path: str, reason: str) -> LoadError:
    return LoadError([Problem("F005", path, 1, 1, None, None, reason)])


def _column(spec: object, path: str) -> tuple[str, str]:
    if not isinstance(spec, str) or not spec:
        raise _problem(path, f"edges: a column is a property name, \"@id\" or \"=TEXT\", not {spec!r}")
    if spec == "@id":
        return ("id", "")
    return ("value", spec[1:]) if spec.startswith("=") else ("prop", spec)


def _edge(item: object, path: str) -> Edge:
    if not isinstance(item, dict) or not {"schema", "evidence", "columns"} <= set(item):
        raise _problem(path, "each [[edges]] entry needs schema, evidence and columns")
    if not isinstance(item["columns"], list):
        raise _problem(path, f"edges: columns of {item['schema']} must be a list")
    return Edge(str(item["schema"]), str(item["evidence"]), tuple(_column(c, path) for c in item["columns"]))


def _texts(table: object, key: str, path: str) -> dict[str, str]:
    if table is None:
        return {}
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise _problem(path, f"[{key}] maps names to texts")
    return dict(table)


def read_mapping(path: str | Path | None = None) -> Mapping:
    """Parse a mapping file (default: the shipped one); a malformed one raises LoadError (F005)."""
    file = Path(path) if path is not None else DEFAULT_MAPPING
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _problem(str(file), f"cannot read the mapping file: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _problem(str(file), f"not TOML: {exc}") from None
    where = str(file)
    sources = data.get("sources", {})
    if not isinstance(sources, dict) or not all(isinstance(v, dict) for v in sources.values()):
        raise _problem(where, "[sources.DATASET] tables describe datasets")
    for name, info in sources.items():
        if info.get("reliability") not in (None, *RELIABILITY):
            raise _problem(where, f"sources.{name}: reliability is one of {', '.join(RELIABILITY)}")
    edges = data.get("edges", [])
    if not isinstance(edges, list):
        raise _problem(where, "[[edges]] is a list of tables")
    return Mapping(
        path=where,
        rulebook=(file.parent / str(data.get("rulebook", "common.rules"))).resolve(),
        datasets=_texts(data.get("datasets"), "datasets", where),
        authorities=tuple((k.lower(), v) for k, v in _texts(data.get("authorities"), "authorities", where).items()),
        sources={k: {f: str(v) for f, v in info.items()} for k, info in sources.items()},
        holding_id=data.get("ownership", {}).get("holding_id"),
        control_basis=_texts(data.get("control_basis"), "control_basis", where),
        edges=tuple(_edge(e, where) for e in edges),
    )
