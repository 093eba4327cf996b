"""The columnar lane for plain CSV files stores exactly what the row path stores, and hands every file it
doubts to the row path, which reports the same problems as before."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st

from engine.store import LoadError, load_facts, open_store
from engine.store import loading
from engine.store.columnar import COLUMN_LANES, plain_header
from engine.store.values import TYPE_CHECKERS
from engine.syntax.program import load_program

from .conftest import dump

NOW = "2024-06-01T12:00:00Z"
RULES = '''rulebook lanes "columnar lane tests" version "1"
evidence holding(holder: entity, held: entity, percent: percent, shares: number, note: text, on: date, public: bool) "a holding"
conclusion big(held: entity) "held is big"
rule B "big" cites "none":
  big(H) if holding(_, H, P, _, _) and P >= 50.
  because "{H} is big".
'''
COLUMNS = ["holder", "held", "percent", "shares", "note", "on", "public"]


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules") / "lanes.rules"
    path.write_text(RULES, encoding="utf-8")
    prog, diags, _ = load_program(path)
    assert prog is not None and not diags
    return prog


def _csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _load(program, text: str, columnar: bool):
    """(case file content, problems or None, whether the columnar lane took the file)."""
    used = []
    real = loading.ColumnarChunks.pack

    def spy(self, records):
        used.append(len(records))
        return real(self, records)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "facts"
        folder.mkdir()
        (folder / "holding.csv").write_text(text, encoding="utf-8")
        store = open_store(Path(tmp) / "case.db")
        lane = mock.patch.object(loading, "plain_header", plain_header if columnar else (lambda *a: None))
        try:
            with lane, mock.patch.object(loading.ColumnarChunks, "pack", spy):
                load_facts(store, program, folder, now=NOW)
            problems = None
        except LoadError as err:
            problems = [(Path(p.file).name, p.line, p.col, p.code, p.column, p.value, p.reason) for p in err.problems]
        content = {name: rows for name, rows in dump(store).items() if name != "loads"}
        store.close()
    return content, problems, bool(used)


ENTITIES = st.one_of(st.sampled_from(["A", "Beta, Ltd", 'q"uote', "new\nline", " spaced ", "Ünï 株式会社", "", " ",
                                      "{brace}", "%s", "\\back"]),
                     st.text(min_size=0, max_size=6))
NUMBERS = st.one_of(
    st.sampled_from(["50", "50.0", "12.5", " 7 ", "-0", "-0.0", "0", "100", "100.0", "1e1", "1_0", "nan", "inf",
                     "-5", "101", "abc", "", "1e17", "12345678901234567", "0.1", "33.333333333333336", "1e20", "-9.3e18"]),
    st.integers(0, 100).map(str), st.floats(0, 100, allow_nan=False).map(repr))
DATES = st.one_of(st.sampled_from(["2024-01-31", " 2024-02-29", "2023-02-29", "2024-13-01", "24-01-01", "", "x"]),
                  st.dates().map(str))
BOOLS = st.sampled_from(["true", "False", "YES", "no", "1", "0", " yes ", "maybe", ""])
ROWS = st.lists(st.tuples(ENTITIES, ENTITIES, NUMBERS, NUMBERS, st.text(max_size=5), DATES, BOOLS),
                min_size=0, max_size=8)


@settings(max_examples=150, deadline=None)
@given(rows=ROWS, order=st.permutations(COLUMNS), blank_line=st.booleans())
def test_the_columnar_lane_stores_what_the_row_path_stores(program, rows, order, blank_line):
    lines = [[dict(zip(COLUMNS, row))[name] for name in order] for row in rows]
    text = _csv(list(order), lines) + ("\n" if blank_line else "")
    fast, fast_problems, _ = _load(program, text, columnar=True)
    slow, slow_problems, used = _load(program, text, columnar=False)
    assert not used
    assert fast_problems == slow_problems
    assert fast == slow


def test_a_plain_file_goes_by_the_columnar_lane(program):
    text = _csv(COLUMNS, [["A", "B", "50", "1000", "x", "2024-02-29", "yes"], ["A", "C", "12.5", "1e3", "", " 2024-01-05", "0"]])
    content, problems, used = _load(program, text, columnar=True)
    assert used and problems is None
    assert sorted(r[:7] for r in content["ev_holding"]) == [
        ("A", "B", 50.0, 1000.0, "x", "2024-02-29", 1), ("A", "C", 12.5, 1000.0, "", "2024-01-05", 0)]


@pytest.mark.parametrize("bad, where", [
    (["", "B", "50", "1", "x", "2024-01-01", "true"], (3, 1)),       # an empty entity
    (["A", "B", "150", "1", "x", "2024-01-01", "true"], (3, 5)),     # a percent out of range
    (["A", "B", "fifty", "1", "x", "2024-01-01", "true"], (3, 5)),   # not a number
    (["A", "B", "50", "inf", "x", "2024-01-01", "true"], (3, 8)),    # not finite
    (["A", "B", "50", "1", "x", "2023-02-29", "true"], (3, 12)),     # no such day
    (["A", "B", "50", "1", "x", "2024-01-01", "maybe"], (3, 23)),    # not a bool
    (["A", "B", "50", "1", "x", "2024-01-01"], (3, 1)),              # a field short
])
def test_a_doubted_file_is_reported_by_the_row_path_with_positions(program, bad, where):
    text = _csv(COLUMNS, [["A", "C", "10", "1", "ok", "2024-01-01", "no"], bad])
    content, problems, used = _load(program, text, columnar=True)
    assert used  # the lane tried, doubted, and left the file to the row path
    assert [p[1:3] for p in problems] == [where] and problems[0][0] == "holding.csv"
    assert not content.get("ev_holding")  # all or nothing: no table, no rows


def test_files_with_metadata_columns_or_other_headers_are_not_plain(program, tmp_path):
    decl = program.declaration("holding")
    cases = {"meta.csv": "holder,held,percent,shares,note,on,public,_source\n", "short.csv": "holder,held\n",
             "twice.csv": "holder,held,percent,shares,shares,on,public\n",
             "plain.csv": "note,held,holder,shares,percent,public,on\n", "holding.json": "[]"}
    found = {}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        found[name] = plain_header(tmp_path / name, decl)
    assert found == {"meta.csv": None, "short.csv": None, "twice.csv": None, "plain.csv": (2, 1, 4, 3, 0, 6, 5),
                     "holding.json": None}


def test_every_column_type_has_a_lane():
    assert set(COLUMN_LANES) == set(TYPE_CHECKERS)
