"""Both cores on one large plain CSV file: a forked process packs the second half while this one packs
the first; the rows come back in file order, exactly as `ColumnarChunks.read` would give them.

Splitting at a line feed is safe only when every line feed ends a record: `lines.survey` says which files
are so (no double quote, no bare carriage return, ...); any other file is left to the one-process lane.
Hashing dominates a load (SHA-256 of every record's canonical JSON), and Python runs it on one core at a
time. Each process reads its own part of the file in blocks, so memory stays bounded whatever the file's
size."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from pathlib import Path
from queue import Empty
from typing import Iterator

from .columnar import ColumnarChunks, Doubt
from .cores import spare_core
from .lines import Survey, body_start
from .plaincsv import checked_part, packed_part

MIN_BYTES = 4 << 20  # below about 130,000 rows a second process saves nothing (measured: none at 100,000)
WORKER_SHARE = 0.65  # of the rows after the header: this process also stages them all (0.5 to 0.7 measured at 1M)
PROCESSES_VARIABLE = "WARRANT_LOAD_PROCESSES"  # 1: every file in one process; 2: split even when no core is idle


def can_fork() -> bool:
    """Whether a second process may help: a second core, fork() available, no other thread running in this
    process (a forked child gets only the calling thread, and locks other threads hold stay held there),
    and not turned off by WARRANT_LOAD_PROCESSES=1."""
    import multiprocessing  # here: a load of small files never needs it

    return ((os.cpu_count() or 1) > 1 and os.environ.get(PROCESSES_VARIABLE, "").strip() != "1"
            and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1)


def _second_core() -> bool:
    """Whether a second process may have a core of its own: one is idle (cores.spare_core), or
    WARRANT_LOAD_PROCESSES=2 asks for the second process anyway."""
    return os.environ.get(PROCESSES_VARIABLE, "").strip() == "2" or spare_core()


def split_point(path: Path, shape: Survey) -> tuple[int, int, int] | None:
    """(where the body starts, where the second part starts, the file's size), both offsets just after a
    line feed. None when the file should not be split: too small, not plain (see `lines.Survey.plain`: only
    then is every line feed a record's end), or no line feed after the middle."""
    size = shape.size
    if size < MIN_BYTES or not shape.plain:
        return None
    body = body_start(path)
    with open(path, "rb") as handle:
        middle = body + int((size - body) * (1 - WORKER_SHARE))
        handle.seek(middle)
        rest = handle.readline()
    cut = middle + len(rest)
    if not rest.endswith(b"\n") or cut >= size:
        return None
    return body, cut, size


def read_split(chunks: ColumnarChunks, path: Path, shape: Survey,
               chunk_rows: int) -> Iterator[tuple[list[tuple], int]] | None:
    """(staged rows, bytes read so far) per chunk, the second half packed by a forked process; None when the
    file is not worth splitting or no core is idle (the caller reads it in one process). Raises Doubt like
    `read`."""
    split = split_point(path, shape)
    if split is None or not can_fork() or not _second_core():
        return None
    return _read_parts(chunks, path, *split, chunk_rows)


def _read_parts(chunks: ColumnarChunks, path: Path, body: int, cut: int, size: int,
                chunk_rows: int) -> Iterator[tuple[list[tuple], int]]:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    queue = context.Queue()  # a feeder thread sends: the worker never waits for this process to read
    lifeline = os.pipe()  # only this process holds the write end: the worker sees its end of file when it ends
    worker = context.Process(target=_worker, args=(os.getpid(), lifeline, chunks, path, cut, size, chunk_rows, queue),
                             daemon=True)
    try:
        worker.start()
    except BaseException:
        os.close(lifeline[1])
        raise
    finally:
        os.close(lifeline[0])
    finished = False
    try:
        yield from packed_part(chunks, path, body, cut, chunk_rows)
        while (message := _receive(chunks, queue, worker)) is not None:
            yield message
        finished = True
    finally:
        if not finished:
            worker.kill()
        worker.join()
        queue.close()
        os.close(lifeline[1])


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
    return chunks.rows(args, list(_split_hashes(hashes))), consumed


def _split_hashes(joined: str) -> Iterator[str]:
    """The 64-character hex digests of one joined string (sent so: one string pickles far faster than many)."""
    return map(joined.__getitem__, map(slice, range(0, len(joined), 64), range(64, len(joined) + 64, 64)))


def _pack_part(chunks: ColumnarChunks, path: Path, start: int, end: int, chunk_rows: int, queue) -> None:
    """In the forked process: put each packed chunk, then None; or the reason for a doubt."""
    try:
        for args, hashes, consumed in checked_part(chunks, path, start, end, chunk_rows):
            queue.put((args, "".join(hashes), consumed))
        message = None
    except Doubt as exc:
        message = str(exc) or "doubt"
    except Exception as exc:  # noqa: BLE001 - any failure only sends the file back to the one-process lane
        message = f"{type(exc).__name__}: {exc}"
    queue.put(message)
    queue.close()
    queue.join_thread()


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _worker(parent: int, lifeline: tuple[int, int], *args) -> None:
    """The forked process: `_pack_part(*args)`, dying with `parent` whatever signal ends it."""
    _die_with_parent(parent, lifeline)
    _pack_part(*args)


def _die_with_parent(parent: int, lifeline: tuple[int, int]) -> None:
    """End this forked process as soon as `parent` ends, even by SIGKILL, rather than block forever on a
    pipe no one reads while holding the case file open. On Linux the kernel sends SIGKILL when the parent
    dies (a parent gone before that was asked is seen by its pid); everywhere, a thread waits for the end of
    file of the pipe whose write end only the parent holds, and exits there."""
    read_end, write_end = lifeline
    os.close(write_end)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_exit_at_end_of_file, args=(read_end,), daemon=True).start()


def _exit_at_end_of_file(fd: int) -> None:
    with contextlib.suppress(OSError):
        while os.read(fd, 1):
            pass
    os._exit(1)
