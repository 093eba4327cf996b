"""Quote-free CSV split by `str.split` gives exactly the csv module's records, or a Doubt."""

from __future__ import annotations

import csv
import io
from unittest import mock

import pytest
from hypothesis import given, strategies as st

from engine.store import lines, plaincsv
from engine.store.columnar import Doubt


def _csv_columns(text: str, width: int) -> list[list[str]]:
    records = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
    assert all(len(r) == width for r in records)
    return [[r[k] for r in records] for k in range(width)]


def _split(text: str, width: int, chunk_rows: int = 3) -> list[list[str]]:
    chunks = list(plaincsv.split_columns(text, width, chunk_rows))
    return [sum((c[k] for c in chunks), []) for k in range(width)] if chunks else [[] for _ in range(width)]


@given(st.text(alphabet="ab,\n\r é\x00", max_size=40), st.integers(1, 4))
def test_split_columns_read_what_the_csv_module_reads_or_doubt(text, width):
    try:
        expected = _csv_columns(text, width)
    except (csv.Error, AssertionError):  # the csv module refuses it, or a record has another width
        with pytest.raises(Doubt):
            _split(text, width)
        return
    try:
        got = _split(text, width)
    except Doubt:  # allowed: the caller then reads the file with the csv module
        assert "\r" in text.replace("\r\n", "") or "\x00" in text
        return
    assert got == expected


def test_blank_lines_and_windows_line_breaks():
    assert _split("a,b\r\n\r\nc,d\r\n\n", 2) == [["a", "c"], ["b", "d"]]
    with pytest.raises(Doubt, match="wrong number"):
        _split("a,b\nc\n", 2)
    with pytest.raises(Doubt, match="wrong number"):  # three fields then one: right in total, wrong per line
        _split("a,b,c\nd\n", 2)
    with pytest.raises(Doubt, match="carriage return"):
        _split("a,b\rc,d\n", 2)


def test_a_line_over_the_csv_field_limit_is_doubted(monkeypatch):
    monkeypatch.setattr(csv, "field_size_limit", lambda: 5)
    with pytest.raises(Doubt, match="longer"):
        _split("abc,def\n", 2)


@pytest.mark.parametrize("data", [b"a,b\nc,d\ne,f", b"a,b\nc,d\n", "\u00fc,b\n".encode() * 7])
def test_blocks_hold_whole_lines_whatever_their_size(tmp_path, data):
    (tmp_path / "f.csv").write_bytes(data)
    for size in (1, 2, 3, 5, 64):
        with mock.patch.object(lines, "BLOCK_BYTES", size):
            blocks = list(lines.text_blocks(tmp_path / "f.csv", 0, len(data)))
        assert "".join(text for text, _ in blocks).encode() == data
        assert all(text.endswith("\n") for text, _ in blocks[:-1]) and blocks[-1][1] == len(data)


def test_files_with_a_double_quote_are_left_to_the_csv_module(tmp_path):
    (tmp_path / "q.csv").write_text('owner,owned,percent\n"A",B,5\n')
    (tmp_path / "p.csv").write_text("owner,owned,percent\nA,B,5\n")
    assert not lines.survey(tmp_path / "q.csv").plain and lines.survey(tmp_path / "p.csv").plain
