"""Large plain CSV files are packed on both cores: the rows, their order and their hashes are those of the
one-process lane; a doubt or a failure on either side hands the file to the row path, which reports it."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st

from engine.store import load_facts, open_store
from engine.store import lines, loading, parallel
from engine.store.lines import survey
from engine.syntax.program import load_program

from .conftest import calls, load_files

NOW = "2024-06-01T12:00:00Z"
RULES = '''rulebook lanes "parallel lane tests" version "1"
evidence holding(holder: entity, held: entity, percent: percent, note: text) "a holding"
conclusion big(held: entity) "held is big"
rule B "big" cites "none":
  big(H) if holding(_, H, P, _) and P >= 50.
  because "{H} is big".
'''

pytestmark = pytest.mark.skipif(not parallel.can_fork(), reason="needs two cores and fork()")


@pytest.fixture(autouse=True)
def second_process_whatever_the_load(monkeypatch):
    """These tests are about the second process: it is used even when the machine's other cores are busy."""
    monkeypatch.setenv("WARRANT_LOAD_PROCESSES", "2")


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "lanes.rules"
    path.write_text(RULES, encoding="utf-8")
    prog, diags, _ = load_program(path)
    assert prog is not None and not diags
    return prog


def _csv(rows: list[list[str]], header=("holder", "held", "percent", "note"), end="\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=end, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _load(program, text: str, split: bool, chunk_rows: int = 3, block_bytes: int = 1 << 23, plain: bool = True):
    """(case file content, its evidence rows in the order stored, problems or None, how many files were split).
    With `plain` false a file that is not split is read by the csv module."""
    read_plain = loading.read_plain if plain else (lambda *args: None)
    with mock.patch.object(parallel, "MIN_BYTES", 0 if split else 1 << 60), \
            mock.patch.object(lines, "BLOCK_BYTES", block_bytes), mock.patch.object(loading, "CHUNK_ROWS", chunk_rows), \
            mock.patch.object(loading, "read_plain", read_plain), calls(parallel, "_read_parts") as splits:
        loaded = load_files(program, {"holding.csv": text}, now=NOW)
    problems = None if loaded.problems is None else [(p.line, p.col, p.code, p.value) for p in loaded.problems]
    in_order = [(row[0], row[1], row[2], row[4]) for row in loaded.in_order]  # holder, held, percent, _hash
    return loaded.content, in_order, problems, len(splits)


NAMES = st.text(alphabet="ABCxyzÜ株 ;{}%\\", min_size=1, max_size=5).filter(str.strip)
ROW = st.tuples(NAMES, NAMES, st.sampled_from(["50", "12.5", "0", "100", " 7", "-0", "33.3"]),
                st.text(alphabet="abc {}", max_size=4))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(ROW, min_size=1, max_size=30), chunk_rows=st.integers(1, 7), crlf=st.booleans(),
       block_bytes=st.integers(1, 200), last_newline=st.booleans())
def test_a_split_file_stores_what_one_process_stores_in_file_order(program, rows, chunk_rows, crlf, block_bytes,
                                                                    last_newline):
    text = _csv([list(r) for r in rows], end="\r\n" if crlf else "\n")
    text = text if last_newline else text.rstrip("\r\n")
    split = _load(program, text, split=True, chunk_rows=chunk_rows, block_bytes=block_bytes)
    whole = _load(program, text, split=False, chunk_rows=chunk_rows)
    by_csv = _load(program, text, split=False, chunk_rows=chunk_rows, plain=False)
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(parallel, "MIN_BYTES", 0):
        (Path(tmp) / "f.csv").write_text(text, encoding="utf-8")
        splittable = parallel.split_point(Path(tmp) / "f.csv", survey(Path(tmp) / "f.csv")) is not None
    assert split[3] == splittable and whole[3] == 0
    assert split[:3] == whole[:3] == by_csv[:3]


def test_a_quote_anywhere_keeps_the_file_in_one_process(program):
    text = _csv([["A", "B", "50", "said \"x\""], ["A", "C", "10", "line\nbreak"]] * 5)
    content, in_order, problems, splits = _load(program, text, split=True)
    assert splits == 0 and problems is None and len(in_order) == 2


@pytest.mark.parametrize("half", ["first", "second"])
def test_a_bad_row_in_either_half_is_reported_by_the_row_path(program, half):
    rows = [["A", f"E{i}", "10", ""] for i in range(20)]
    bad = 2 if half == "first" else 18
    rows[bad][2] = "150"
    content, in_order, problems, splits = _load(program, _csv(rows), split=True)
    assert splits == 1
    assert problems == [(bad + 2, len(f"A,E{bad},") + 1, "L006", "150")]
    assert in_order == [] and not content.get("ev_holding")


def test_a_worker_that_dies_sends_the_file_to_the_one_process_lane(program):
    rows = [["A", f"E{i}", "10", ""] for i in range(20)]

    def die(*args):
        import os
        os._exit(3)

    with mock.patch.object(parallel, "_pack_part", die):
        content, in_order, problems, splits = _load(program, _csv(rows), split=True)
    assert splits == 1 and problems is None
    assert [r[1] for r in in_order] == [f"E{i}" for i in range(20)]


def test_split_points_fall_after_line_breaks(tmp_path):
    def split(data: bytes):
        (tmp_path / "f.csv").write_bytes(data)
        return parallel.split_point(tmp_path / "f.csv", survey(tmp_path / "f.csv"))

    data = b"h1,h2\n" + b"".join(b"a%d,b\n" % i for i in range(100))
    with mock.patch.object(parallel, "MIN_BYTES", 0):
        body, cut, size = split(data)
        assert data[:body] == b"h1,h2\n" and data[cut - 1:cut] == b"\n" and body < cut < size == len(data)
        assert split(b'h\n"a"\n' * 10) is None
        assert split(b"no line break") is None
    assert split(data) is None  # too small to be worth a process


def test_no_second_process_when_turned_off_or_when_threads_run(monkeypatch):
    import threading

    assert parallel.can_fork()
    monkeypatch.setenv("WARRANT_LOAD_PROCESSES", "1")
    assert not parallel.can_fork()
    monkeypatch.delenv("WARRANT_LOAD_PROCESSES")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not parallel.can_fork()
    finally:
        stop.set()
        thread.join()
    assert parallel.can_fork()


def _splits(program, tmp_path, progress: bool = False) -> list[int]:
    """Load a small plain file (split however small) and say whether it went to a second process."""
    folder = tmp_path / "facts"
    folder.mkdir()
    (folder / "holding.csv").write_text(_csv([["A", f"E{i}", "10", ""] for i in range(50)]), encoding="utf-8")
    splits = []
    real = parallel._read_parts

    def spy(*args):
        splits.append(1)
        return real(*args)

    store = open_store(tmp_path / "case.db")
    with mock.patch.object(parallel, "MIN_BYTES", 0), mock.patch.object(parallel, "_read_parts", spy):
        report = load_facts(store, program, folder, now=NOW, progress=progress)
    store.close()
    assert report.added == 50
    return splits


def test_a_progress_bar_runs_no_thread_so_a_large_file_still_splits(program, tmp_path):
    assert _splits(program, tmp_path, progress=True) == [1]


@pytest.mark.parametrize("setting, idle, splits", [("", True, [1]), ("", False, []), ("2", False, [1]),
                                                   ("1", True, [])])
def test_a_second_process_only_when_a_core_is_idle_or_when_asked(program, tmp_path, monkeypatch, setting, idle,
                                                                 splits):
    monkeypatch.setenv("WARRANT_LOAD_PROCESSES", setting)
    monkeypatch.setattr(parallel, "spare_core", lambda: idle)
    assert _splits(program, tmp_path) == splits
