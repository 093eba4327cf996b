"""The fact readers: lazy, and exact about where each record and value starts."""

import json
from pathlib import Path

from engine.store.items import Header, Malformed, RawRow
from engine.store.readers import read_facts


def test_json_list_streams_across_chunks_with_exact_lines(tmp_path):
    path = tmp_path / "owns.json"
    objects = [{"owner": f"E{i}", "owned": "x" * 40, "percent": i % 100} for i in range(4000)]
    body = ",\n".join(json.dumps(o) for o in objects)
    path.write_text("[\n" + body + ',\n  {"owner":\n   "last"}\n]\n', encoding="utf-8")
    assert path.stat().st_size > 3 * 65536  # several reads of the streaming reader
    items = list(read_facts(path))
    assert all(isinstance(i, RawRow) for i in items)
    assert [i.line for i in items[:3]] == [2, 3, 4]
    assert items[3999].values == objects[3999] and items[3999].line == 4001
    last = items[4000]
    assert (last.line, last.values, last.where("owner")) == (4002, {"owner": "last"}, (4002, 4))


def test_json_that_is_not_a_list_of_objects(tmp_path):
    path = tmp_path / "owns.json"
    path.write_text('{"owner": "A"}', encoding="utf-8")
    assert list(read_facts(path)) == [Malformed(1, 1, "expected a JSON list of objects")]
    path.write_text('[\n  {"owner": "A"},\n  [1, 2]\n]', encoding="utf-8")
    items = list(read_facts(path))
    assert isinstance(items[0], RawRow) and items[1] == Malformed(3, 3, "expected a JSON object")
    path.write_text("[]", encoding="utf-8")
    assert list(read_facts(path)) == []


def test_csv_positions_with_quotes_and_multiline_fields(tmp_path):
    path = tmp_path / "listed.csv"
    path.write_text('party,list\n"Beta, Ltd",SDN\n"Line\nbreak",EU\n\nD,UN\n', encoding="utf-8")
    header, *rows = list(read_facts(path))
    assert header == Header(("party", "list"), {})
    assert [(r.line, r.values["party"]) for r in rows] == [(2, "Beta, Ltd"), (3, "Line\nbreak"), (6, "D")]
    assert rows[0].where("list") == (2, 13)
    assert rows[1].where("list") == (4, 8)


def test_jsonl_reports_bad_lines_and_keeps_going(tmp_path):
    path = tmp_path / "listed.jsonl"
    path.write_text('{"party": "A", "list": "SDN"}\nnot json\n\n{"party": "B", "list": "EU"}\n', encoding="utf-8")
    items = list(read_facts(path))
    assert [type(i).__name__ for i in items] == ["RawRow", "Malformed", "RawRow"]
    assert (items[1].line, items[2].line) == (2, 4)
    assert items[2].where("list") == (4, 16)


def test_readers_are_lazy(tmp_path):
    path = Path(tmp_path / "owns.jsonl")
    path.write_text('{"owner": "A"}\n' * 100_000, encoding="utf-8")
    items = read_facts(path)
    first = next(items)
    assert first.line == 1 and first.consumed < 1000
