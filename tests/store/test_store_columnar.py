"""The columnar lane for plain CSV files stores exactly what the row path stores, and hands every file it
doubts to the row path, which reports the same problems as before."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st

from engine.diagnostics import WarrantError
from engine.store import loading, plaincsv
from engine.store.columnar import COLUMN_LANES, header_positions
from engine.store.names import misleading
from engine.store.values import TYPE_CHECKERS
from engine.syntax.program import load_program

from .conftest import calls, load_files

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


MANIFEST = ('{"sources": [{"id": "ofac", "name": "OFAC"}, {"id": "reg", "name": "Registry"}], '
            '"files": {"holding.csv": {"source": "reg", "credibility": 3, "document": "Extract 7"}}}')


def _load(program, text: str, columnar: bool, manifest: str | None = None):
    """(case file content, problems or None, whether the columnar lane took the file); `_load.fell_back`
    tells whether the row path then read it."""
    files = {"holding.csv": text} | ({"manifest.json": manifest} if manifest else {})
    lane = mock.patch.object(loading, "header_positions", header_positions if columnar else (lambda *a: None))
    with lane, calls(loading.ColumnarChunks, "pack") as packed, calls(plaincsv, "split_columns") as split, \
            calls(loading, "_by_rows") as by_rows:
        try:
            loaded = load_files(program, files, now=NOW)
        except WarrantError as err:  # a NUL, which a case on PostgreSQL cannot hold: the load refused whole
            if [d.code for d in err.diagnostics] != ["S011"]:
                raise
            _load.fell_back = bool(by_rows)
            return None, ["S011"], bool(packed or split)
    _load.fell_back = bool(by_rows)
    problems = None if loaded.problems is None else [
        (Path(p.file).name, p.line, p.col, p.code, p.column, p.value, p.reason) for p in loaded.problems]
    return loaded.content, problems, bool(packed or split)


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


META = {
    "_source": st.sampled_from(["", "ofac", "reg", " ofac ", "holding.csv", "nope"]),
    "_document": st.sampled_from(["", "Doc 1", " spaced ", "{x}"]),
    "_credibility": st.sampled_from(["", "1", "6", "2.0", "7", "x", " 3 "]),
    "_observed": DATES,
    "_valid_from": st.sampled_from(["", "2024-01-01", "2024-06-01", "bad"]),
    "_valid_to": st.sampled_from(["", "2024-01-01", "2025-01-01"]),
    "_action": st.sampled_from(["", "assert", "retract", "Assert", "drop"]),
}


@st.composite
def files(draw):
    """A CSV text with the declared columns and some metadata columns, in any order, and a manifest or none."""
    meta = draw(st.lists(st.sampled_from(sorted(META)), unique=True, max_size=4))
    order = draw(st.permutations(COLUMNS + meta))
    rows = draw(ROWS)
    lines = []
    for row in rows:
        values = dict(zip(COLUMNS, row)) | {name: draw(META[name]) for name in meta}
        lines.append([values[name] for name in order])
    text = _csv(list(order), lines) + ("\n" if draw(st.booleans()) else "")
    return text, draw(st.sampled_from([None, MANIFEST]))


@settings(max_examples=200, deadline=None)
@given(file=files())
def test_the_columnar_lane_stores_what_the_row_path_stores(program, file):
    text, manifest = file
    fast, fast_problems, _ = _load(program, text, columnar=True, manifest=manifest)
    slow, slow_problems, used = _load(program, text, columnar=False, manifest=manifest)
    assert not used
    assert fast_problems == slow_problems
    assert fast == slow


VALID = {  # a lone \r is a line break to the csv reader, which the writer does not quote after \n lines;
    # a misleading name goes by the row path, which says where it is; a NUL is refused on PostgreSQL (S011)
    "holder": st.text(min_size=1, max_size=6).filter(lambda x: x.strip() and not {"\r", "\x00"} & set(x) and not misleading(x)), "held": st.sampled_from(["A", "Beta, Ltd", "株", "{x}"]),
    "percent": st.one_of(st.integers(0, 100).map(str), st.floats(0, 100).map(lambda x: repr(round(x, 6))),
                         st.sampled_from(["-0", " 5 ", "50.85", "5.0"])),
    "shares": st.one_of(st.integers(-2**63, 2**63 - 1).map(str), st.floats(-1e9, 1e9).map(lambda x: repr(round(x, 4))),
                        st.sampled_from(["9007199254740993", "1e3", "0.1", "-0.0"])),
    "note": st.text(max_size=4).filter(lambda x: not {"\r", "\x00"} & set(x)), "on": st.dates().map(str), "public": st.sampled_from(["true", "No", "1", " yes "]),
    "_source": st.sampled_from(["", "ofac", " reg "]), "_document": st.sampled_from(["", "Doc 1"]),
    "_credibility": st.sampled_from(["", "1", "6.0"]), "_observed": st.sampled_from(["", "2024-05-01"]),
    "_valid_from": st.sampled_from(["", "2024-01-01"]), "_valid_to": st.sampled_from(["", "2030-01-01"]),
    "_action": st.sampled_from(["", "assert", "retract"]),
}


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_valid_files_stay_in_the_columnar_lane_and_store_what_the_row_path_stores(program, data):
    meta = data.draw(st.lists(st.sampled_from(sorted(META)), unique=True, max_size=7))
    order = data.draw(st.permutations(COLUMNS + meta))
    rows = data.draw(st.lists(st.fixed_dictionaries({name: VALID[name] for name in order}), max_size=6))
    text = _csv(list(order), [[row[name] for name in order] for row in rows])
    fast, fast_problems, _ = _load(program, text, columnar=True, manifest=MANIFEST)
    assert not _load.fell_back and fast_problems is None
    slow, slow_problems, _ = _load(program, text, columnar=False, manifest=MANIFEST)
    assert slow_problems is None and fast == slow


def test_a_plain_file_goes_by_the_columnar_lane(program):
    text = _csv(COLUMNS, [["A", "B", "50", "1000", "x", "2024-02-29", "yes"], ["A", "C", "12.5", "1e3", "", " 2024-01-05", "0"]])
    content, problems, used = _load(program, text, columnar=True)
    assert used and not _load.fell_back and problems is None
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
    assert used and _load.fell_back  # the lane tried, doubted, and left the file to the row path
    assert [p[1:3] for p in problems] == [where] and problems[0][0] == "holding.csv"
    assert not content.get("ev_holding")  # all or nothing: no table, no rows


def test_headers_the_columnar_lane_takes(program, tmp_path):
    decl = program.declaration("holding")
    cases = {"meta.csv": "holder,held,percent,shares,note,on,public,_source\n", "short.csv": "holder,held\n",
             "twice.csv": "holder,held,percent,shares,shares,on,public\n",
             "extra.csv": "holder,held,percent,shares,note,on,public,colour\n",
             "plain.csv": "note,held,holder,shares,percent,public,on\n", "holding.json": "[]"}
    found = {}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        found[name] = header_positions(tmp_path / name, decl)
    assert found == {"meta.csv": ((0, 1, 2, 3, 4, 5, 6), {"_source": 7}), "short.csv": None, "twice.csv": None,
                     "extra.csv": None, "plain.csv": ((2, 1, 4, 3, 0, 6, 5), {}), "holding.json": None}


def test_a_file_with_metadata_columns_goes_by_the_columnar_lane(program):
    header = COLUMNS + ["_source", "_credibility", "_valid_to"]
    text = _csv(header, [["A", "B", "50", "1", "x", "2024-02-29", "yes", "ofac", "2", ""],
                         ["A", "C", "10", "1", "", "2024-01-05", "0", "", "", "2030-01-01"]])
    content, problems, used = _load(program, text, columnar=True, manifest=MANIFEST)
    assert used and not _load.fell_back and problems is None
    rows = {r[1]: r for r in content["ev_holding"]}
    names = ["holder", "held", "percent", "shares", "note", "on", "public", "_hash", "_source", "_document",
             "_credibility", "_observed", "_valid_from", "_valid_to"]
    b, c = dict(zip(names, rows["B"])), dict(zip(names, rows["C"]))
    assert (b["_source"], b["_credibility"], b["_document"], b["_valid_to"]) == ("ofac", 2, "Extract 7", None)
    assert (c["_source"], c["_credibility"], c["_document"], c["_valid_to"]) == ("reg", 3, "Extract 7", "2030-01-01")


def test_every_column_type_has_a_lane():
    assert set(COLUMN_LANES) == set(TYPE_CHECKERS)
