"""Issue 19's reproductions on fact files: rows lost to bare carriage returns, JSON with trailing content,
tracebacks on deep nesting, huge numbers and long header lines, lenient numbers, byte-order marks inside a
file, duplicate JSON keys, and names that only look alike."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner

from engine import cli
from engine.store import LoadError, lines, load_facts, loading, open_store, parallel

from .conftest import FIXTURES, dump, stored

NOW = "2024-06-01T12:00:00Z"
DEMO = str(FIXTURES / "demo.rules")


def _refused(program, tmp_path, name: str, data: bytes) -> list[tuple]:
    """Load a file that must be refused: its problems (line, col, code, reason); the case file unchanged."""
    folder = tmp_path / "facts"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    store = open_store(tmp_path / "case.db")
    before = dump(store)
    with pytest.raises(LoadError) as err:
        load_facts(store, program, folder, now=NOW)
    assert dump(store) == before
    store.close()
    return [(p.line, p.col, p.code, p.reason) for p in err.value.problems]


def _loaded(program, tmp_path, files: dict[str, bytes], db: str = "case.db", folder: str = "facts"):
    where = tmp_path / folder
    where.mkdir()
    for name, data in files.items():
        (where / name).write_bytes(data)
    store = open_store(tmp_path / db)
    try:
        report = load_facts(store, program, where, now=NOW)
        owns = stored(store.conn, "ev_owns", "owner, owned, percent")
    finally:
        store.close()
    return report, owns


def _csv_records(data: bytes) -> list[list[str]]:
    return [r for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) if r][1:]


@pytest.mark.parametrize("data", [
    b"owner,owned,percent\rco:1,co:x,10\rco:2,co:x,20\nco:3,co:x,30\nco:4,co:x,40\n",  # the file
    b"owner,owned,percent\rco:1,co:x,10\rco:2,co:x,20\rco:3,co:x,30\r",  # CR only
    b"owner,owned,percent\r\nco:1,co:x,10\rco:2,co:x,20\r\nco:3,co:x,30\n",  # mixed
    b"owner,owned,percent\nco:1,co:x,10\nco:2,co:x,20\rco:3,co:x,30\n",  # a CR in the body only
])
def test_bare_carriage_returns_lose_no_row(program, tmp_path, data):
    report, owns = _loaded(program, tmp_path, {"owns.csv": data})
    assert report.rows_read == len(_csv_records(data)) == len(owns)
    assert [o for o, _, _ in owns] == [r[0] for r in _csv_records(data)]


def test_a_large_cr_only_file_loads_every_row_on_the_split_lane_too(program, tmp_path):
    data = ("owner,owned,percent\r" + "".join(f"co:{i},co:x,{i % 100}\r" for i in range(3000))).encode()
    with mock.patch.object(parallel, "MIN_BYTES", 0), mock.patch.object(loading, "CHUNK_ROWS", 700):
        report, owns = _loaded(program, tmp_path, {"owns.csv": data})
    assert report.rows_read == len(owns) == 3000


def test_the_survey_keeps_plain_files_plain_and_sends_others_to_the_csv_module(tmp_path):
    def shape(data: bytes) -> lines.Survey:
        (tmp_path / "f.csv").write_bytes(data)
        return lines.survey(tmp_path / "f.csv")

    assert shape(b"a,b\n1,2\n").plain and shape(b"a,b\r\n1,2\r\n").plain and shape(b"\xef\xbb\xbfa,b\n1,2\n").plain
    assert shape(b"a,b\r1,2\n").bare_cr and shape(b"a,b\n1,2\r").bare_cr
    assert shape(b'a,b\n"1",2\n').quote and shape(b"a,b\n1\x00,2\n").nul
    assert shape(b"a,b\n\xef\xbb\xbf1,2\n").inner_bom == 4
    with mock.patch.object(lines, "SURVEY_BYTES", 4):  # a CR LF and a BOM across blocks
        assert shape(b"a,b\r\n1,2\r\n").plain and shape(b"abc\r1,2\n").bare_cr
        assert shape(b"a,b\n\xef\xbb\xbf1,2\n").inner_bom == 4 and shape(b"a,\xef\xbb\xbfb\n").inner_bom == 2


def test_a_plain_file_keeps_its_fast_lane(program, tmp_path):
    data = b"owner,owned,percent\n" + b"".join(b"co:%d,co:x,%d\n" % (i, i % 100) for i in range(50))
    with mock.patch.object(loading, "_by_rows", side_effect=AssertionError("row path")):
        report, owns = _loaded(program, tmp_path, {"owns.csv": data})
    assert report.rows_read == len(owns) == 50


@pytest.mark.parametrize("data, where", [
    (b'[{"owner": "a", "owned": "b", "percent": 1}] [{"owner": "c", "owned": "b", "percent": 1}]', (1, 46)),
    (b'[{"owner": "a", "owned": "b", "percent": 1}]\n]', (2, 1)),
    (b'[]x', (1, 3)),
])
def test_content_after_a_json_list_is_a_located_error(program, tmp_path, data, where):
    problems = _refused(program, tmp_path, "owns.json", data)
    assert [p[:3] for p in problems] == [(*where, "L009")] and "after the list" in problems[0][3]


BAD_INPUT = {
    "json nested 1,000 deep": ("owns.json", b"[" + b"[" * 1000 + b"]" * 1000 + b"]", (1, 2), "nested too deeply"),
    "jsonl nested 1,000 deep": ("owns.jsonl", b'{"owner": ' + b"[" * 1000 + b"]" * 1000 + b"}\n", (1, 1),
                                "nested too deeply"),
    "integer of 5,000 digits": ("owns.json", b'[{"owner": "a", "owned": "b", "percent": ' + b"7" * 5000 + b"}]",
                                (1, 2), "4,300 digits"),
    "integer of 400 digits": ("owns.jsonl", b'{"owner": "a", "owned": "b", "percent": ' + b"7" * 400 + b"}\n",
                              (1, 30), "a number of 400 digits is too large"),
    "header over 128 KiB": ("owns.csv", b"owner,owned,percent" + b"x" * (130 * 1024) + b"\na,b,1\n", (1, 1),
                            "field limit"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_input_is_a_located_error_not_a_traceback(program, tmp_path, case):
    name, data, where, reason = BAD_INPUT[case]
    problems = _refused(program, tmp_path, name, data)
    assert problems[0][:2] == where and reason in problems[0][3]


@pytest.mark.parametrize("case", ["json nested 1,000 deep", "integer of 400 digits", "header over 128 KiB"])
def test_warrant_load_exits_2_with_a_located_error(tmp_path, case):
    name, data, where, _ = BAD_INPUT[case]
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / name).write_bytes(data)
    result = CliRunner().invoke(cli.main, ["load", DEMO, str(tmp_path / "facts"), "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2 and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == 2 and f"{name}:{where[0]}:{where[1]}: error:" in result.output


@pytest.mark.parametrize("number", ["5_0", "٥٠", "５０", "𝟓𝟎", "50\u00a0", "nan", "1e999"])
@pytest.mark.parametrize("lane", ["csv", "quoted csv", "json"])
def test_numbers_take_ascii_digits_only(program, tmp_path, number, lane):
    name, data = {
        "csv": ("owns.csv", f"owner,owned,percent\nA,B,{number}\n"),
        "quoted csv": ("owns.csv", f'owner,owned,percent\n"A",B,{number}\n'),
        "json": ("owns.json", json.dumps([{"owner": "A", "owned": "B", "percent": number}])),
    }[lane]
    problems = _refused(program, tmp_path, name, data.encode())
    code = "L016" if number == "1e999" else "L004"  # written with ASCII digits, but beyond any whole number
    assert [(p[0], p[2]) for p in problems] == [(2 if lane != "json" else 1, code)]


def test_ascii_numbers_still_load(program, tmp_path):
    report, owns = _loaded(program, tmp_path, {"owns.csv": b"owner,owned,percent\nA,B, 5\nA,C,.5\nA,D,1e1\nA,E,+7.\n"})
    assert [p for _, _, p in owns] == [5, 0.5, 10, 7]


def test_a_credibility_in_other_digits_is_refused(program, tmp_path):
    problems = _refused(program, tmp_path, "owns.csv", "owner,owned,percent,_credibility\nA,B,5,٣\n".encode())
    assert [(p[0], p[2]) for p in problems] == [(2, "L008")]


@pytest.mark.parametrize("name, data, where", [
    ("owns.csv", "\ufeffowner,owned,percent\nA,B,5\n\ufeffowner,owned,percent\n", (3, 1)),  # two files joined
    ("owns.csv", "owner,owned,percent\nA,B\ufeff,5\n", (2, 4)),
    ("owns.csv", 'owner,owned,percent\n"A\ufeff",B,5\n', (2, 3)),
    ("owns.jsonl", '{"owner": "A", "owned": "B", "percent": 5}\n\ufeff{"owner": "C", "owned": "B", "percent": 5}\n',
     (2, 1)),
    ("owns.json", '[{"owner": "A\ufeff", "owned": "B", "percent": 5}]', (1, 14)),
])
def test_a_byte_order_mark_inside_a_file_is_a_located_error(program, tmp_path, name, data, where):
    problems = _refused(program, tmp_path, name, data.encode())
    assert (*where, "L009") in [p[:3] for p in problems]
    assert any("byte-order mark" in p[3] for p in problems)


def test_a_byte_order_mark_at_the_start_is_fine(program, tmp_path):
    report, owns = _loaded(program, tmp_path, {"owns.csv": "\ufeffowner,owned,percent\nA,B,5\n".encode()})
    assert owns == [("A", "B", 5)]


@pytest.mark.parametrize("name, data, where", [
    ("owns.jsonl", '{"owner": "A", "owned": "B", "percent": 5, "owner": "Z"}\n', (1, 1)),
    ("owns.json", '[{"owner": "A", "owned": "B", "percent": 5},\n {"owned": "B", "owned": "C", "owner": "X", '
                  '"percent": 1}]', (2, 2)),
])
def test_a_duplicate_json_key_is_a_located_error(program, tmp_path, name, data, where):
    problems = _refused(program, tmp_path, name, data.encode())
    assert [p[:3] for p in problems] == [(*where, "L009")] and "appears twice" in problems[0][3]


@pytest.mark.parametrize("name, data", [
    ("owns.jsonl", '{"owner": "a\\ud800", "owned": "b", "percent": 1}\n'),
    ("owns.json", '[{"owner": "a", "owned": "b", "percent": 1, "_source": "\\udfff"}]'),
])
def test_a_lone_surrogate_in_json_is_a_located_error(program, tmp_path, name, data):
    problems = _refused(program, tmp_path, name, data.encode())
    assert [p[:3] for p in problems] == [(1, 1 if name.endswith("l") else 2, "L009")] and "surrogate" in problems[0][3]


LOOKALIKES = "owner,owned,percent\nAcme,X,50\n\u0410cme,X,10\nAc\u200bme,X,5\nAcme\u202e,X,5\nBeta,X,1\n"


def test_names_with_invisible_or_lookalike_characters_are_warned_about_with_their_line(program, tmp_path):
    report, owns = _loaded(program, tmp_path, {"owns.csv": LOOKALIKES.encode()})
    assert len(owns) == 5  # loaded: a warning, not an error
    got = [(w.code, w.line, w.col, w.name) for w in report.warnings]
    assert got == [("L014", 3, 1, "\u0410cme"), ("L015", 3, 1, "\u0410cme"), ("L014", 4, 1, "Ac\u200bme"),
                   ("L015", 4, 1, "Ac\u200bme"), ("L014", 5, 1, "Acme\u202e"), ("L015", 5, 1, "Acme\u202e")]
    assert all("'Acme'" in w.message for w in report.warnings if w.code == "L015")
    assert "CYRILLIC CAPITAL LETTER A" in report.warnings[0].message
    assert "\u202e" not in report.warnings[4].message  # shown escaped, never raw


def test_a_name_that_looks_like_one_already_in_the_case_file_is_warned_about(program, tmp_path):
    first, _ = _loaded(program, tmp_path, {"owns.csv": b"owner,owned,percent\nAcme,X,50\n"}, folder="one")
    assert not first.warnings
    store = open_store(tmp_path / "case.db")
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "owns.jsonl").write_text('{"owner": "Y", "owned": "\u0410cme", "percent": 5}\n')
    second = load_facts(store, program, tmp_path / "two", now=NOW)
    assert [(w.code, w.line, w.column) for w in second.warnings] == [("L014", 1, "owned"), ("L015", 1, "owned")]
    assert "'Acme'" in second.warnings[1].message
    (tmp_path / "three").mkdir()  # and the other way round: a plain name like a flagged one loaded before
    (tmp_path / "three" / "listed.csv").write_text("party,list\nZ,SDN\nAcme,SDN\n")
    third = load_facts(store, program, tmp_path / "three", now=NOW)
    store.close()
    assert [(w.code, w.line, w.name) for w in third.warnings] == [("L015", 3, "Acme")]
    assert "'\u0410cme'" in third.warnings[0].message


def test_warrant_load_prints_the_warnings_and_its_json_holds_them(tmp_path):
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "owns.csv").write_text(LOOKALIKES, encoding="utf-8")
    args = ["load", DEMO, str(tmp_path / "facts")]
    text = CliRunner().invoke(cli.main, [*args, "--db", str(tmp_path / "a.db")])
    assert text.exit_code == 0 and "owns.csv:3:1: warning:" in text.output and "[L015]" in text.output
    out = CliRunner().invoke(cli.main, [*args, "--db", str(tmp_path / "b.db"), "--json"])
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert [(w["code"], w["line"]) for w in data["warnings"]] == [("L014", 3), ("L015", 3), ("L014", 4), ("L015", 4),
                                                                   ("L014", 5), ("L015", 5)]


def test_names_in_other_scripts_are_not_warned_about(program, tmp_path):
    data = "owner,owned,percent\nMüller GmbH,株式会社,5\nООО Ромашка,X,1\n".encode()
    report, owns = _loaded(program, tmp_path, {"owns.csv": data})
    assert len(owns) == 2 and not report.warnings
