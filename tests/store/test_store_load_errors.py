"""Bad input: every bad row reported with file:line, column, value and reason; nothing stored."""

import pytest

from engine.store import CODES, LoadError, load_facts
from engine.store.names import CODES as NAME_CODES

from .conftest import dump, reported

GOOD = "party,list\nACME,SDN\n"


@pytest.fixture
def loaded(store, program, tmp_path):
    """A case file that already holds one batch, and a function that asserts a bad load changes nothing."""
    good = tmp_path / "good"
    good.mkdir()
    (good / "listed.csv").write_text(GOOD, encoding="utf-8")
    load_facts(store, program, good, now="2024-01-01T00:00:00Z")
    before = dump(store)

    def refuse(folder) -> LoadError:
        with pytest.raises(LoadError) as info:
            load_facts(store, program, folder, now="2024-02-01T00:00:00Z")
        assert dump(store) == before
        return info.value

    return refuse


def test_unknown_predicate_suggests_the_nearest(loaded, facts):
    err = loaded(facts("lsted.csv", GOOD))
    assert reported(err) == [("lsted.csv", 1, None, "lsted", "unknown predicate 'lsted'; did you mean 'listed'?")]
    assert err.problems[0].code == "L001"


def test_a_conclusion_is_not_evidence(loaded, facts):
    err = loaded(facts("blocked.jsonl", '{"party": "ACME"}\n'))
    assert [p.code for p in err.problems] == ["L001"]
    assert "declared conclusion, not evidence" in err.problems[0].reason


def test_missing_column_csv_and_json(loaded, facts):
    facts("listed.csv", "party\nACME\n")
    err = loaded(facts("owns.jsonl", '{"owner": "A", "owned": "B"}\n{"owner": "A", "owned": "C", "percent": 5}\n'))
    assert reported(err) == [
        ("listed.csv", 1, "list", None, "missing column"),
        ("owns.jsonl", 1, "percent", None, "missing column"),
    ]
    assert {p.code for p in err.problems} == {"L002"}


def test_extra_column_csv_and_json(loaded, facts):
    facts("listed.csv", "party,list,colour\nACME,SDN,red\n")
    err = loaded(facts("owns.json", '[\n {"owner": "A", "owned": "B", "percent": 5, "_colour": "red"}\n]\n'))
    assert reported(err) == [
        ("listed.csv", 1, "colour", None, "extra column: not declared for this predicate"),
        ("owns.json", 2, "_colour", "red", "extra column: not declared for this predicate"),
    ]
    assert err.problems[0].col == 12 and err.problems[1].col == 45
    assert {p.code for p in err.problems} == {"L003"}


def test_wrong_types(loaded, facts):
    err = loaded(facts("incorporated.jsonl",
                       '{"party": 7, "on": "2020-01-01", "public": "maybe"}\n'
                       '{"party": "A", "on": "2020-01-01", "public": true}\n'
                       '{"party": "B", "on": "2020-01-01", "public": "no"}\n'))
    assert reported(err) == [
        ("incorporated.jsonl", 1, "party", 7, "expected an entity identifier (a string)"),
        ("incorporated.jsonl", 1, "public", "maybe", "expected a bool: true/false, 1/0 or yes/no"),
    ]
    assert {p.code for p in err.problems} == {"L004"}


def test_number_that_is_not_a_number(loaded, facts):
    err = loaded(facts("owns.csv", "owner,owned,percent\nA,B,half\nA,C,50\n"))
    assert reported(err) == [("owns.csv", 2, "percent", "half", "expected a number written with the digits 0-9, such as 12, -3 or 0.5")]


def test_bad_dates(loaded, facts):
    err = loaded(facts("incorporated.csv",
                       "party,on,public\nA,2023-02-30,yes\nB,01/02/2023,no\nC,2023-02-28,1\n"))
    assert reported(err) == [
        ("incorporated.csv", 2, "on", "2023-02-30", "no such day"),
        ("incorporated.csv", 3, "on", "01/02/2023", "expected a date YYYY-MM-DD"),
    ]
    assert err.problems[0].col == 3
    assert {p.code for p in err.problems} == {"L005"}


def test_percent_outside_0_to_100(loaded, facts):
    err = loaded(facts("owns.csv", "owner,owned,percent\nA,B,100\nA,C,100.5\nA,D,-1\nA,E,0\n"))
    assert reported(err) == [
        ("owns.csv", 3, "percent", "100.5", "percent must be between 0 and 100"),
        ("owns.csv", 4, "percent", "-1", "percent must be between 0 and 100"),
    ]
    assert {p.code for p in err.problems} == {"L006"}


def test_empty_key(loaded, facts):
    err = loaded(facts("owns.csv", 'owner,owned,percent\nA,B,10\n,B,10\n"  ",C,10\n'))
    assert reported(err) == [
        ("owns.csv", 3, "owner", "", "empty key: an entity needs an identifier"),
        ("owns.csv", 4, "owner", "  ", "empty key: an entity needs an identifier"),
    ]
    assert {p.code for p in err.problems} == {"L007"}


def test_bad_metadata(loaded, facts):
    err = loaded(facts("listed.csv",
                       "party,list,_credibility,_valid_from,_valid_to,_action\n"
                       "A,SDN,9,,,\n"
                       "B,SDN,,2024-13-01,,\n"
                       "C,SDN,,2024-05-01,2024-04-01,\n"
                       "D,SDN,,,,delete\n"))
    assert reported(err) == [
        ("listed.csv", 2, "_credibility", "9", "credibility must be a whole number from 1 to 6"),
        ("listed.csv", 3, "_valid_from", "2024-13-01", "no such day"),
        ("listed.csv", 4, "_valid_to", "2024-04-01", "valid_to must be after valid_from (2024-05-01)"),
        ("listed.csv", 5, "_action", "delete", "action must be 'assert' or 'retract'"),
    ]
    assert {p.code for p in err.problems} == {"L008"}


def test_unknown_source_on_a_row(loaded, facts):
    err = loaded(facts("listed.csv", "party,list,_source\nA,SDN,nobody\n"))
    assert reported(err) == [("listed.csv", 2, "_source", "nobody",
                              "unknown source: not in the manifest nor the case file")]


def test_bad_manifest(loaded, facts):
    facts("listed.csv", GOOD)
    err = loaded(facts("manifest.json", (
        '{"sources": [\n'
        '  {"id": "ofac", "name": "OFAC SDN", "kind": "sanctions-list", "reliability": "G"},\n'
        '  {"id": "reg", "colour": "red"}\n'
        ' ],\n'
        ' "files": {"listed.csv": {"source": "ofac", "credibility": 7}}\n'
        '}\n')))
    assert reported(err) == [
        ("manifest.json", 2, "reliability", "G",
         "reliability must be a letter A-F (Admiralty grading), or absent when unknown"),
        ("manifest.json", 3, "colour", "red", "unknown key"),
        ("manifest.json", 5, "credibility", 7, "credibility must be a whole number from 1 to 6"),
    ]
    assert [(p.line, p.col) for p in err.problems] == [(2, 64), (3, 17), (5, 45)]
    assert {p.code for p in err.problems} == {"L010"}


def test_manifest_file_entry_naming_an_unknown_source(loaded, facts):
    facts("listed.csv", GOOD)
    err = loaded(facts("manifest.json", '{"files": {"listed.csv": {"source": "ofac"}}}'))
    assert reported(err) == [("manifest.json", 1, "source", "ofac",
                              "unknown source: not in the manifest's sources nor in the case file")]


def test_malformed_files(loaded, facts):
    facts("listed.csv", "party,list\nA,SDN\nB\n")
    facts("owns.json", '[{"owner": "A", "owned": "B", "percent": 5} {"owner": "A"}]')
    err = loaded(facts("incorporated.jsonl", '{"party": "A",\n'))
    assert reported(err) == [
        ("incorporated.jsonl", 1, None, None, "not valid JSON: Expecting property name enclosed in double quotes"),
        ("listed.csv", 3, None, None, "expected 2 fields, found 1"),
        ("owns.json", 1, None, None, "expected ',' or ']' after an object"),
    ]
    assert {p.code for p in err.problems} == {"L009"}


@pytest.mark.parametrize("name, data, where", [
    ("listed.csv", b"party,list\nA,SDN\nB\xc3\xa9\xff,EU\n", (3, 3)),       # in a row, after an accented letter
    ("listed.csv", b"\xef\xbb\xbfpar\xfety,list\nA,SDN\n", (1, 4)),          # in the header, after a byte-order mark
    ("listed.jsonl", b'{"party": "A", "list": "SDN"}\n{"party": "\x80"}\n', (2, 12)),
    ("owns.json", b'[{"owner": "A", "owned": "B\xe9", "percent": 5}]', (1, 28)),
])
def test_bytes_that_are_not_utf8_are_located(loaded, facts, name, data, where):
    (facts.folder / name).write_bytes(data)
    err = loaded(facts.folder)
    assert [(p.code, p.line, p.col) for p in err.problems] == [("L009", *where)]
    assert err.problems[0].reason.startswith("not UTF-8 text") and "save the file with UTF-8" in err.problems[0].reason


def test_a_manifest_that_is_not_utf8_is_located(loaded, facts):
    facts("listed.csv", GOOD)
    (facts.folder / "manifest.json").write_bytes(b'{"sources": [{"id": "x", "name": "\xff"}]}')
    err = loaded(facts.folder)
    assert [(p.code, p.line, p.col) for p in err.problems] == [("L010", 1, 35)]


def test_several_bad_rows_across_two_files_are_all_reported(loaded, facts):
    facts("owns.csv", "owner,owned,percent\nA,B,10\n,B,10\nA,C,200\nA,D,x\n")
    err = loaded(facts("incorporated.jsonl",
                       '{"party": "A", "on": "2020-01-01", "public": true}\n'
                       '\n'
                       '{"party": "", "on": "2020-02-31", "public": true}\n'
                       '{"party": "C", "on": "2020-01-01", "public": "yes", "_credibility": 0}\n'))
    assert reported(err) == [
        ("incorporated.jsonl", 3, "party", "", "empty key: an entity needs an identifier"),
        ("incorporated.jsonl", 3, "on", "2020-02-31", "no such day"),
        ("incorporated.jsonl", 4, "_credibility", 0, "credibility must be a whole number from 1 to 6"),
        ("owns.csv", 3, "owner", "", "empty key: an entity needs an identifier"),
        ("owns.csv", 4, "percent", "200", "percent must be between 0 and 100"),
        ("owns.csv", 5, "percent", "x", "expected a number written with the digits 0-9, such as 12, -3 or 0.5"),
    ]


def test_diagnostics_are_located_with_code_and_hint(loaded, facts):
    err = loaded(facts("owns.csv", "owner,owned,percent\nA,B,150\n"))
    path = str(facts.folder / "owns.csv")
    text = str(err)
    assert text.startswith(f"{path}:2:5: error: percent = '150': percent must be between 0 and 100 [L006]")
    assert "hint: give a percentage between 0 and 100" in text


def test_missing_folder(store, program, tmp_path):
    with pytest.raises(LoadError) as info:
        load_facts(store, program, tmp_path / "nowhere")
    assert [p.code for p in info.value.problems] == ["L013"]


def test_error_codes_are_documented():
    every = sorted({**CODES, **NAME_CODES})  # the name warnings (L014, L015) have their own table
    assert every == [f"L{n:03d}" for n in range(1, len(every) + 1)] and list(CODES) == sorted(CODES)
    assert all(title and hint for title, hint in CODES.values())


def test_a_quote_inside_a_header_name_is_an_ordinary_character(loaded, facts):
    err = loaded(facts("owns.csv", 'owner",\n'))  # the csv module reads two names: 'owner"' and ''
    extra = [(p.line, p.col, p.column) for p in err.problems if p.code == "L003"]
    assert extra == [(1, 1, 'owner"'), (1, 8, "")]
    assert {p.column for p in err.problems if p.code == "L002"} == {"owner", "owned", "percent"}
