"""FtM entity files into a facts folder: one CSV per evidence predicate (with `_source`, `_document` and the
validity window per record) and a manifest describing each dataset as a source, plus a names file; then
the ordinary validated load takes the folder, all or nothing (see `engine.api.Case.import_ftm`).

Streamed: the entities are read line by line and written out as they come, so memory stays bounded
whatever the file's size (only company capitals and the Ownerships waiting for one are kept)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from ..syntax.program import Program
from .entity_names import Name
from .errors import LoadError, Problem
from .evidence import evidence_declarations
from .ftm_convert import Converter, Outcome, Row
from .ftm_mapping import Mapping
from .ftm_read import file_sizes, read_entities
from .manifest import MANIFEST
from .progress import progress_bar

META = ("_source", "_document", "_valid_from", "_valid_to")
EXAMPLES = 5  # entity ids shown per skip reason


@dataclass
class ImportSummary:
    """Every entity accounted for: loaded (gave evidence or a name) or skipped, with the reasons."""

    entities: int = 0
    loaded: int = 0
    skipped: int = 0
    names: int = 0
    records: Counter = field(default_factory=Counter)       # predicate -> records written
    by_schema: dict[str, Counter] = field(default_factory=dict)  # schema -> {"loaded": n, "skipped": n}
    reasons: Counter = field(default_factory=Counter)       # why an entity, or part of one, was not loaded
    examples: dict[str, list[str]] = field(default_factory=dict)

    def count(self, schema: str, entity_id: str, outcome: Outcome) -> None:
        """Account for one entity."""
        self.entities += 1
        status = "loaded" if outcome.rows or outcome.name or outcome.deferred else "skipped"
        setattr(self, status, getattr(self, status) + 1)
        self.by_schema.setdefault(schema, Counter())[status] += 1
        for reason in dict.fromkeys(outcome.skipped):
            self.reasons[reason] += 1
            shown = self.examples.setdefault(reason, [])
            if len(shown) < EXAMPLES:
                shown.append(entity_id)

    def to_json(self) -> dict:
        """This summary as JSON data, sorted."""
        return {"entities": self.entities, "loaded": self.loaded, "skipped": self.skipped, "names": self.names,
                "records": dict(sorted(self.records.items())),
                "schemata": {s: dict(sorted(c.items())) for s, c in sorted(self.by_schema.items())},
                "not_loaded": [{"reason": r, "count": n, "examples": self.examples[r]}
                               for r, n in sorted(self.reasons.items(), key=lambda x: (-x[1], x[0]))]}


class _Writers:
    """One CSV writer per predicate, opened on its first record."""

    def __init__(self, folder: Path, program: Program, stack: ExitStack):
        self.folder, self.stack = folder, stack
        self.decls = {d.name: d for d in evidence_declarations(program)}
        self.open: dict[str, csv.writer] = {}

    def write(self, row: Row) -> None:
        writer = self.open.get(row.predicate)
        if writer is None:
            handle = self.stack.enter_context(open(self.folder / f"{row.predicate}.csv", "w", newline="", encoding="utf-8"))
            writer = self.open[row.predicate] = csv.writer(handle)
            writer.writerow([c.name for c in self.decls[row.predicate].columns] + list(META))
        writer.writerow([*row.values, row.source, row.document, row.valid_from or "", row.valid_to or ""])


def convert_files(paths: list[Path], mapping: Mapping, program: Program, work: Path,
                  progress: bool | None = None) -> tuple[ImportSummary, Path, Path]:
    """Write the facts folder (work/facts) and the names file (work/names.jsonl) for `paths`.
    Returns the summary, the folder and the names file; any bad entity raises LoadError with them all."""
    facts, names_path = work / "facts", work / "names.jsonl"
    facts.mkdir(parents=True, exist_ok=True)
    converter = Converter(mapping, {d.name: d for d in evidence_declarations(program)}, Path(program.root.path).name)
    summary, problems = ImportSummary(), []
    with ExitStack() as stack, progress_bar(progress, file_sizes(paths), "reading FtM entities") as update:
        writers = _Writers(facts, program, stack)
        names = stack.enter_context(open(names_path, "w", encoding="utf-8"))
        for item in read_entities(paths, problems, update):
            outcome = converter.convert(item, problems)
            if outcome is None:
                continue
            summary.count(item.data["schema"], item.data["id"], outcome)
            if problems:
                continue  # keep reading to report every bad entity, writing nothing more
            for row in outcome.rows:
                writers.write(row)
                summary.records[row.predicate] += 1
            if outcome.name is not None:
                names.write(json.dumps(_name_json(outcome.name), ensure_ascii=False) + "\n")
                summary.names += 1
        if problems:
            raise LoadError(problems)
        for row in converter.resolve():
            writers.write(row)
            summary.records[row.predicate] += 1
    _manifest(facts, mapping, converter.datasets, set(writers.open))
    return summary, facts, names_path


def _name_json(name: Name) -> dict:
    return {"id": name.id, "schema": name.schema, "name": name.name, "aliases": list(name.aliases),
            "country": name.country, "registration_number": name.registration}


def _manifest(facts: Path, mapping: Mapping, datasets: set[str], predicates: set[str]) -> None:
    sources = [mapping.source_row(d) for d in sorted(datasets)]
    default = sources[0]["id"] if sources else None
    manifest = {"sources": [{k: v for k, v in s.items() if v is not None} for s in sources],
                "files": {f"{p}.csv": {"source": default, "document": "FtM import"} for p in sorted(predicates)}}
    (facts / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")


def no_files(paths: list[Path]) -> list[Problem]:
    """A problem for each path that is not a readable file."""
    return [Problem("F001", str(p), 1, 1, None, None, "no such FtM file") for p in paths if not p.is_file()]
