"""Both cores on one large plain CSV file: a forked process packs the second half while this one packs
the first; the rows come back in file order, exactly as `ColumnarChunks.read` would give them.

Splitting at a line break is safe only when no field can hold one, so a file with any double quote is
left to the one-process lane. Hashing dominates a load (SHA-256 of every record's canonical JSON), and
Python runs it on one core at a time; a fork shares the file's bytes without copying them."""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
from pathlib import Path
from queue import Empty
from typing import Iterator

from .columnar import ColumnarChunks, Doubt, chunked

MIN_BYTES = 4 << 20  # below about 130,000 rows a second process saves nothing (measured: none at 100,000)
WORKER_SHARE = 0.5  # this process also stages every row, so the worker takes a little more than half


def split_point(data: bytes) -> tuple[int, int] | None:
    """(where the body starts, where the second part starts): both just after a line break. None when the
    file should not be split: a double quote anywhere, no line break, or too small."""
    if len(data) < MIN_BYTES or b'"' in data:
        return None
    body = data.find(b"\n") + 1
    cut = data.find(b"\n", body + int((len(data) - body) * (1 - WORKER_SHARE))) + 1
    if body <= 0 or cut <= body:
        return None
    return body, cut


def can_fork() -> bool:
    """Whether this machine has a second core and processes can be forked."""
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


def read_split(chunks: ColumnarChunks, path: Path, chunk_rows: int) -> Iterator[tuple[list[tuple], int]] | None:
    """(staged rows, bytes read so far) per chunk, the second half packed by a forked process; None when the
    file is not worth splitting (the caller reads it in one process). Raises Doubt like `read`."""
    if not can_fork():
        return None
    data = path.read_bytes()
    split = split_point(data)
    if split is None:
        return None
    return _read_parts(chunks, data, *split, chunk_rows)


def _read_parts(chunks: ColumnarChunks, data: bytes, body: int, cut: int,
                chunk_rows: int) -> Iterator[tuple[list[tuple], int]]:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()  # a feeder thread sends: the worker never waits for this process to read
    worker = context.Process(target=_pack_part, args=(chunks, data, cut, len(data), chunk_rows, queue), daemon=True)
    worker.start()
    finished = False
    try:
        yield from _pack_text(chunks, data, body, cut, chunk_rows)
        while (message := _receive(chunks, queue, worker)) is not None:
            yield message
        finished = True
    finally:
        if not finished:
            worker.kill()
        worker.join()
        queue.close()


def _receive(chunks: ColumnarChunks, queue, worker) -> tuple[list[tuple], int] | None:
    while True:
        try:
            message = queue.get(timeout=1)
            break
        except Empty:
            if not worker.is_alive() and queue.empty():  # it died without a word
                raise Doubt("the second process stopped") from None
    if message is None:
        return None
    if isinstance(message, str):
        raise Doubt(message)
    args, hashes, consumed = message
    return chunks.rows(args, _split_hashes(hashes)), consumed


def _split_hashes(joined: str) -> Iterator[str]:
    """The 64-character hex digests of one joined string (sent so: one string pickles far faster than many)."""
    return map(joined.__getitem__, map(slice, range(0, len(joined), 64), range(64, len(joined) + 64, 64)))


def _pack_text(chunks: ColumnarChunks, data: bytes, start: int, end: int,
               chunk_rows: int) -> Iterator[tuple[list[tuple], int]]:
    """Pack data[start:end] (whole lines): (rows, about how many bytes of the file are read) per chunk."""
    for (args, hashes), consumed in _columns_of_text(chunks, data, start, end, chunk_rows):
        yield chunks.rows(args, hashes), consumed


def _columns_of_text(chunks: ColumnarChunks, data: bytes, start: int, end: int,
                     chunk_rows: int) -> Iterator[tuple[tuple, int]]:
    """((argument columns, record hashes), about how many bytes of the file are read) per chunk of data[start:end]."""
    try:
        text = data[start:end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Doubt(f"not UTF-8: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    per_line = (end - start) / max(1, data.count(b"\n", start, end))
    for records in chunked(reader, chunk_rows):
        yield chunks.columns(records), min(end, start + int(reader.line_num * per_line))


def _pack_part(chunks: ColumnarChunks, data: bytes, start: int, end: int, chunk_rows: int, queue) -> None:
    """In the forked process: put each packed chunk, then None; or the reason for a doubt."""
    try:
        for (args, hashes), consumed in _columns_of_text(chunks, data, start, end, chunk_rows):
            queue.put((args, "".join(hashes), consumed))
        message = None
    except Doubt as exc:
        message = str(exc) or "doubt"
    except Exception as exc:  # noqa: BLE001 - any failure only sends the file back to the one-process lane
        message = f"{type(exc).__name__}: {exc}"
    queue.put(message)
    queue.close()
    queue.join_thread()
