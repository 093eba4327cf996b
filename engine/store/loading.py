"""Load a facts folder into the case file: validated, all-or-nothing, streamed in chunks, idempotent."""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Iterator

from ..access.markings import read_scheme
from ..syntax.program import Program
from .columnar import ColumnarChunks, Doubt, header_positions
from .discovery import fact_files
from .entity_names import entity_files, read_names, store_names
from .errors import LoadError, Problem
from .evidence import analyze, create_indexes, ensure_evidence_tables, evidence_declarations
from .lines import survey
from .lookalikes import lookalike_warnings
from .manifest import file_defaults, read_manifest
from .markings import check_manifest_markings
from .metacolumns import MetadataColumns
from .names import NameWarning
from .packing import Packer
from .parallel import read_split
from .plaincsv import read_plain
from .progress import progress_bar
from .readers import read_facts
from .recordmarks import RecordMarks
from .records import normalize_timestamp, utc_now
from .rows import Stamp, table_rows
from .schema import Store, write_transaction
from .sources import register_sources, source_ids
from .staging import Stage, stage

CHUNK_ROWS = 20000


@dataclass(frozen=True)
class FileReport:
    """What one fact file contributed, and the warnings about its entity names."""

    predicate: str
    path: str
    rows_read: int
    added: int
    duplicates: int
    warnings: tuple[NameWarning, ...] = ()

    def to_json(self) -> dict:
        """This report as JSON data (the warnings only when there are some)."""
        out = asdict(self)
        if not self.warnings:
            del out["warnings"]
        return out


@dataclass(frozen=True)
class LoadReport:
    """What a load batch did: per file, and in total."""

    batch: int
    files: tuple[FileReport, ...]

    @property
    def rows_read(self) -> int:
        """Records read, valid or not."""
        return sum(f.rows_read for f in self.files)

    @property
    def added(self) -> int:
        """Records new to the case file."""
        return sum(f.added for f in self.files)

    @property
    def duplicates(self) -> int:
        """Records the case file already held (or that repeated within the batch)."""
        return sum(f.duplicates for f in self.files)

    @property
    def warnings(self) -> list[NameWarning]:
        """Every file's warnings, by file and position."""
        return sorted((w for f in self.files for w in f.warnings), key=lambda w: (w.file, w.line, w.col, w.code))


def load_facts(store: Store, program: Program, facts_dir: str | Path, *,
               progress: bool | None = None, now: str | None = None) -> LoadReport:
    """Load every fact file of `facts_dir` in one transaction. Any bad row: LoadError listing all, nothing stored."""
    folder = Path(facts_dir)
    if not folder.is_dir():
        raise LoadError([Problem("L013", str(folder), 1, 1, None, None, "no such facts folder")])
    recorded_at = normalize_timestamp(now)
    files, problems = fact_files(folder, program)
    with write_transaction(store) as db:  # a Store: its `conn` is all the load uses
        manifest, manifest_problems = read_manifest(folder, source_ids(db))
        scheme = read_scheme(db.conn)
        manifest, marking_problems = check_manifest_markings(manifest, scheme)
        problems += manifest_problems + marking_problems
        ensure_evidence_tables(store, program, indexes=False)  # a new table is indexed once it is filled
        problems += register_sources(db, manifest, [path for path, _ in files])
        marks = RecordMarks(db.conn, scheme)
        problems += marks.check_files(manifest)
        batch = db.conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM loads").fetchone()[0]
        known = frozenset(source_ids(db))
        stamps = [Stamp(decl, path, file_defaults(manifest, path.name),
                        known, recorded_at, batch, marks) for path, decl in files]
        reports, flagged = _load_files(store, stamps, problems, progress)
        evidence = {d.name for d in evidence_declarations(program)}
        for path in entity_files(folder):
            if path.stem not in evidence:
                store_names(store.conn, read_names(path, problems))
        if problems:
            raise LoadError(problems)
        for decl in evidence_declarations(program):
            create_indexes(store, decl)  # only those still missing: tables this load made and left empty
        analyze(store, {r.predicate for r in reports if r.added})
        marks.store()
        lookalikes = lookalike_warnings(store, evidence_declarations(program), batch, flagged)
        files = [_with_warnings(r, names, lookalikes) for r, (_, names) in zip(reports, flagged)]
        report = LoadReport(batch, tuple(files))
        _record_load(store, report, folder, recorded_at)
    return report


def _load_files(store: Store, stamps: list[Stamp], problems: list[Problem],
                progress: bool | None) -> tuple[list[FileReport], list[tuple[Stamp, dict[str, NameWarning]]]]:
    """Each file's report, and each file's misleading entity names (see `names.misleading`)."""
    total = sum(stamp.path.stat().st_size for stamp in stamps)
    reports, flagged, done = [], [], 0
    with progress_bar(progress, total, "loading facts") as update:
        for stamp in stamps:
            names: dict[str, NameWarning] = {}
            report, consumed = _load_file(store, stamp, problems, names, lambda n: update(done + n))
            reports.append(report)
            flagged.append((stamp, names))
            done += consumed
    return reports, flagged


def _load_file(store: Store, stamp: Stamp, problems: list[Problem], names: dict[str, NameWarning],
               update) -> tuple[FileReport, int]:
    """Stream one file into a staging table in chunks, then move the new rows into its evidence table
    (all inside the batch transaction). A plain CSV file goes by the columnar lane; any other file, or one
    the lane doubts (a misleading name among them), by the row path, which stops staging at the first
    problem but reads on to report all."""
    packer = Packer(stamp.decl)
    with stage(store, stamp.decl) as staged, _gc_paused():
        read, consumed = _columnar(staged, stamp, packer, update)
        if read is None:
            read, consumed = _by_rows(staged, stamp, packer, problems, names, update)
        if not problems and stamp.marks is not None:
            stamp.marks.staged(str(stamp.path), stamp.decl.name, stamp.defaults)
        added = 0 if problems else staged.move(packer, stamp.recorded_at, stamp.batch)
    report = FileReport(stamp.decl.name, str(stamp.path), read, added, read - added)
    return report, consumed


def _with_warnings(report: FileReport, names: dict[str, NameWarning], lookalikes: list[NameWarning]) -> FileReport:
    mine = [*names.values(), *(w for w in lookalikes if w.file == report.path)]
    return replace(report, warnings=tuple(sorted(mine, key=lambda w: (w.line, w.col, w.code))))


def _columnar(staged: Stage, stamp: Stamp, packer: Packer, update) -> tuple[int | None, int]:
    """Stage a CSV file chunk by chunk: (records read, bytes read), or (None, 0) when the row path must take
    the file (then nothing stays staged). A plain file (see `lines.Survey.plain`) without metadata columns
    is split by `str.split` instead of the csv module, and a large one is read on two processes."""
    positions = header_positions(stamp.path, stamp.decl)
    if positions is None:
        return None, 0
    shape = survey(stamp.path)
    if shape.inner_bom is not None:
        return None, 0
    order, meta = positions
    read = consumed = 0
    try:
        metadata = MetadataColumns(meta, packer, stamp) if meta else None
        chunks = ColumnarChunks(stamp.decl, packer, packer.meta_id(stamp.default_meta()), order, metadata)
        fast = (read_split(chunks, stamp.path, shape, CHUNK_ROWS) or read_plain(chunks, stamp.path, shape, CHUNK_ROWS)
                if metadata is None else None)
        for rows, consumed in fast or chunks.read(stamp.path, CHUNK_ROWS):
            staged.add(rows, packer if metadata is not None else None)  # rows' own metadata: drained as they grow
            read += len(rows)
            update(consumed)
    except Doubt:
        staged.clear()
        return None, 0
    return read, consumed


def _by_rows(staged: Stage, stamp: Stamp, packer: Packer, problems: list[Problem], names: dict[str, NameWarning],
             update) -> tuple[int, int]:
    pairs = table_rows(stamp, read_facts(stamp.path), problems, packer, names)
    read = consumed = 0
    while chunk := list(itertools.islice(pairs, CHUNK_ROWS)):
        read += len(chunk)
        consumed = chunk[-1][0].consumed
        if not problems:  # then every row of the chunk is valid
            staged.add([row for _, row in chunk])
        update(consumed)
    return read, consumed


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a file streams: it makes no cycles, and the collector's passes
    over millions of short-lived rows cost about a fifth of a large load."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _record_load(store: Store, report: LoadReport, folder: Path, started_at: str) -> None:
    store.conn.execute(
        "INSERT INTO loads (id, started_at, finished_at, facts_dir, files, rows_added, rows_duplicate) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [report.batch, started_at, utc_now(), str(folder), json.dumps([f.to_json() for f in report.files]),
         report.added, report.duplicates])
