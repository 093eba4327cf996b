"""Per-record markings (issue 16): a fact file's rows may carry `_classification`, `_releasability` and
`_caveats`, checked at load against the case file's scheme (L017 located at the value, all or nothing); a row
without them gets its file's or source's marking; a row may be stricter than its file, never less; a record
loaded again keeps the strictest marking; the marking never enters the record hash; and a reader is shown the
sibling rows of a withheld one."""

from __future__ import annotations

import json
import textwrap

import pytest

from engine import api
from engine.access.markings import Marking, Scheme, at_least, strictest
from engine.proof import api as proof_api
from engine.store import LoadError
from engine.store.backend import POSTGRES, dialect
from engine.store.markings import record_marking
from engine.store.schema import table_names

RULES = textwrap.dedent('''\
    rulebook m "Markings" version "1"
    evidence listed(party: entity, list: text) "listed"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "s.1":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    ''')
SOURCES = [{"id": "fiu", "name": "Partner FIU", "classification": "OFFICIAL", "releasability": "REL TO UK, FR"}]


def _folder(root, name: str, file_name: str, text: str, files: dict | None = None):
    facts = root / name
    facts.mkdir()
    (facts / file_name).write_text(text)
    entries = files if files is not None else {file_name: {"source": "fiu"}}
    (facts / "manifest.json").write_text(json.dumps({"sources": SOURCES, "files": entries}, indent=2))
    return facts


def _program(root):
    (root / "m.rules").write_text(RULES)
    return api.load_rulebook(root / "m.rules")


def _markings(case) -> dict[str, str]:
    rows = case.conn.execute("SELECT party, _hash, _source FROM ev_listed ORDER BY party").fetchall()
    return {party: record_marking(case.conn, case.scheme, h, src).text() for party, h, src in rows}


def test_csv_rows_carry_their_own_marking_and_the_others_get_the_files(tmp_path):
    facts = _folder(tmp_path, "facts", "listed.csv",
                    "party,list,_classification,_releasability,_caveats\n"
                    'X,SDN,secret,"rel to uk",orcon\nY,SDN,,,\nZ,SDN,TOP SECRET,,\n')
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(_program(tmp_path), facts)
        assert _markings(case) == {"X": "SECRET REL TO UK ORCON", "Y": "OFFICIAL REL TO FR, UK",
                                   "Z": "TOP SECRET REL TO FR, UK"}


def test_json_records_carry_their_own_marking(tmp_path):
    rows = [{"party": "X", "list": "SDN", "_classification": "SECRET", "_caveats": ["ORCON", "limdis"]},
            {"party": "Y", "list": "SDN", "_releasability": None}]
    facts = _folder(tmp_path, "facts", "listed.json", json.dumps(rows))
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(_program(tmp_path), facts)
        assert _markings(case) == {"X": "SECRET REL TO FR, UK LIMDIS ORCON", "Y": "OFFICIAL REL TO FR, UK"}


def test_a_marking_is_not_part_of_the_record_hash(tmp_path):
    program = _program(tmp_path)
    plain = _folder(tmp_path, "plain", "listed.csv", "party,list\nX,SDN\n")
    marked = _folder(tmp_path, "marked", "listed.csv", "party,list,_classification\nX,SDN,SECRET\n")
    with api.Case.open(tmp_path / "a.db", create=True) as case:
        case.load(program, plain)
        first = case.conn.execute("SELECT _hash FROM ev_listed").fetchall()
    with api.Case.open(tmp_path / "b.db", create=True) as case:
        report = case.load(program, marked)
        assert case.conn.execute("SELECT _hash FROM ev_listed").fetchall() == first
        assert report.added == 1


@pytest.mark.parametrize("cell, column, col, said", [
    ("CONFIDENTIAL,", "_classification", 7, "'CONFIDENTIAL' is not a classification level of this case file"),
    ('SECRET,"REL TO uk;fr"', "_releasability", 14, "is neither REL TO a list of partners nor LOCAL ONLY"),
    (",REL TO", "_releasability", 8, "is neither REL TO a list of partners nor LOCAL ONLY"),
])
def test_a_bad_row_marking_is_located_and_nothing_is_loaded(tmp_path, cell, column, col, said):
    facts = _folder(tmp_path, "facts", "listed.csv",
                    f"party,list,_classification,_releasability\nY,SDN,,\nX,SDN,{cell}\n")
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        with pytest.raises(LoadError) as info:
            case.load(_program(tmp_path), facts)
        assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone()[0] == 0
        tables = set(table_names(case.conn))
        assert "ev_listed" not in tables
        if dialect(case.conn) == POSTGRES:  # a case there has the table from the start
            assert case.conn.execute("SELECT COUNT(*) FROM record_markings").fetchone()[0] == 0
        else:
            assert "record_markings" not in tables
    [problem] = info.value.problems
    assert (problem.code, problem.line, problem.col, problem.column) == ("L017", 3, col, column)
    text = str(info.value)
    assert f"listed.csv:3:{col}: error: " in text and said in text and "[L017]" in text and "hint:" in text


@pytest.mark.parametrize("cell, column, said", [
    ("SECRET,", None, None),
    (",", None, None),
    ("SECRET,REL TO US", "_releasability", "SECRET REL TO US is less strict than its file's OFFICIAL REL TO FR, UK"),
    ("OFFICIAL,", None, None),
])
def test_a_row_may_be_stricter_than_its_source_never_less(tmp_path, cell, column, said):
    files = {"listed.csv": {"source": "fiu", "caveats": ["ORCON"]}} if cell == "OFFICIAL," else None
    text = "party,list,_classification,_releasability" + (",_caveats" if files else "") + f"\nX,SDN,{cell}"
    facts = _folder(tmp_path, "facts", "listed.csv", text + ("," if files else "") + "\n", files)
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        if said is None:
            case.load(_program(tmp_path), facts)
            return
        with pytest.raises(LoadError) as info:
            case.load(_program(tmp_path), facts)
    [problem] = info.value.problems
    assert (problem.code, problem.column) == ("L017", column) and said in str(info.value)


def test_a_row_that_drops_its_files_caveat_is_refused(tmp_path):
    files = {"listed.csv": {"source": "fiu", "caveats": ["ORCON"]}}
    facts = _folder(tmp_path, "facts", "listed.csv", "party,list,_caveats\nX,SDN,LIMDIS\n", files)
    with api.Case.open(tmp_path / "case.db", create=True) as case, pytest.raises(LoadError) as info:
        case.load(_program(tmp_path), facts)
    assert "listed.csv:2:7: error: _caveats = 'LIMDIS'" in str(info.value)
    assert "less strict than its file's OFFICIAL REL TO FR, UK ORCON" in str(info.value)


def test_a_file_less_strict_than_its_source_is_refused_in_the_manifest(tmp_path):
    files = {"listed.csv": {"source": "fiu", "releasability": "REL TO UK, FR, US"}}
    facts = _folder(tmp_path, "facts", "listed.csv", "party,list\nX,SDN\n", files)
    with api.Case.open(tmp_path / "case.db", create=True) as case, pytest.raises(LoadError) as info:
        case.load(_program(tmp_path), facts)
    line = next(i for i, t in enumerate((facts / "manifest.json").read_text().splitlines(), 1) if "US" in t)
    assert f"manifest.json:{line}:" in str(info.value) and "[L017]" in str(info.value)
    assert "less strict than its source 'fiu''s OFFICIAL REL TO FR, UK" in str(info.value)


def test_a_record_loaded_again_keeps_the_strictest_marking(tmp_path):
    """The reported gap: a record the case file held before a marked file brought it again kept its source's
    marking. Now it takes the stricter, and an unmarked or laxer file later never lowers it."""
    program = _program(tmp_path)
    plain = _folder(tmp_path, "plain", "listed.csv", "party,list\nX,SDN\nY,SDN\n")
    secret = _folder(tmp_path, "secret", "listed.csv", "party,list\nX,SDN\n",
                     {"listed.csv": {"source": "fiu", "classification": "SECRET", "releasability": "REL TO UK"}})
    rows = _folder(tmp_path, "rows", "listed.csv", "party,list,_classification,_caveats\nX,SDN,,ORCON\nY,SDN,TOP SECRET,\n")
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(program, plain)
        assert _markings(case) == {"X": "OFFICIAL REL TO FR, UK", "Y": "OFFICIAL REL TO FR, UK"}
        assert case.load(program, secret).added == 0
        assert _markings(case) == {"X": "SECRET REL TO UK", "Y": "OFFICIAL REL TO FR, UK"}
        case.load(program, rows)
        assert _markings(case) == {"X": "SECRET REL TO UK ORCON", "Y": "TOP SECRET REL TO FR, UK"}
        case.load(program, plain)
        assert _markings(case) == {"X": "SECRET REL TO UK ORCON", "Y": "TOP SECRET REL TO FR, UK"}


def test_the_same_record_twice_in_a_file_gets_the_stricter_of_its_rows(tmp_path):
    facts = _folder(tmp_path, "facts", "listed.csv",
                    'party,list,_classification,_releasability\nX,SDN,SECRET,"REL TO UK, FR"\nX,SDN,,REL TO UK\n')
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(_program(tmp_path), facts)
        assert _markings(case) == {"X": "SECRET REL TO UK"}


@pytest.mark.parametrize("a, b, stricter", [
    (Marking("SECRET", ("UK",)), Marking("SECRET", ("FR", "UK")), True),
    (Marking("SECRET", ()), Marking("SECRET", ("UK",)), True),
    (Marking("SECRET", ("UK",)), Marking("SECRET", ()), False),
    (Marking("SECRET"), Marking("SECRET", ("UK",)), False),
    (Marking("OFFICIAL", ("UK",)), Marking("SECRET", ("UK",)), False),
    (Marking("SECRET", None, ("ORCON",)), Marking("OFFICIAL"), True),
    (Marking("SECRET"), Marking("OFFICIAL", None, ("ORCON",)), False),
])
def test_the_order_of_markings(a, b, stricter):
    assert at_least(a, b, Scheme()) is stricter
    joined = strictest(a, b, Scheme())
    assert at_least(joined, a, Scheme()) and at_least(joined, b, Scheme())
    assert (joined == a) is stricter


def test_disjoint_partners_join_to_local_only():
    assert strictest(Marking("SECRET", ("UK",)), Marking("OFFICIAL", ("FR",)), Scheme()) == Marking("SECRET", ())


def test_a_reader_sees_the_siblings_of_a_withheld_row(tmp_path):
    facts = _folder(tmp_path, "facts", "listed.csv",
                    "party,list,_classification,_releasability,_document\n"
                    "co:hidden-holding,SDN,SECRET,REL TO UK,fiu-note-9\nco:plain,SDN,,,press-1\n")
    program = _program(tmp_path)
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(program, facts)
        case.run(program)
        case.add_principal("paris", "user", "SECRET", "FR")
        case.add_principal("london", "user", "SECRET", "UK")
        hidden, plain = (case.conn.execute("SELECT _hash FROM ev_listed WHERE party = ?", [p]).fetchone()[0]
                         for p in ("co:hidden-holding", "co:plain"))
    with api.Case.open(tmp_path / "case.db", as_principal="paris") as case:
        visible = proof_api.render(case.why('blocked("co:plain")'), "text")
        withheld = case.why('blocked("co:hidden-holding")')
        _, rows = case.query("listed(P, L)")
        looked_up = {h: case.record(h) for h in (hidden, plain)}
    assert "withheld" not in visible and "press-1" in visible
    text = proof_api.render(withheld, "text")
    assert text.splitlines()[0].endswith("(1 withheld part: SECRET REL TO UK)")
    assert "fiu-note-9" not in text and "fiu-note-9" not in proof_api.render(withheld, "json")
    assert "co:hidden-holding" not in json.dumps(rows) and "co:plain" in json.dumps(rows) and len(rows) == 1
    assert looked_up[hidden]["withheld"] == "SECRET REL TO UK" and "fiu-note-9" not in json.dumps(looked_up[hidden])
    assert not looked_up[plain]["withheld"] and looked_up[plain]["document"] == "press-1"
    with api.Case.open(tmp_path / "case.db", as_principal="london") as case:
        assert "fiu-note-9" in proof_api.render(case.why('blocked("co:hidden-holding")'), "text")


def test_a_bad_json_marking_is_located_and_a_failed_load_changes_no_marking(tmp_path):
    program = _program(tmp_path)
    good = _folder(tmp_path, "good", "listed.csv", "party,list,_classification\nX,SDN,SECRET\n")
    rows = '[{"party": "X", "list": "SDN", "_classification": "TOP SECRET"},\n' \
           ' {"party": "Y", "list": "SDN", "_caveats": 7}]\n'
    bad = _folder(tmp_path, "bad", "listed.json", rows)
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(program, good)
        before = _markings(case), case.conn.execute("SELECT * FROM record_markings").fetchall()
        with pytest.raises(LoadError) as info:
            case.load(program, bad)
        assert (_markings(case), case.conn.execute("SELECT * FROM record_markings").fetchall()) == before
    [problem] = info.value.problems
    assert (problem.code, problem.line, problem.column) == ("L017", 2, "_caveats")
    assert f"listed.json:2:{problem.col}: error: _caveats = 7: caveats 7 are not a list of handling words" in str(info.value)
    assert problem.col == rows.splitlines()[1].index('"_caveats"') + 1  # where the reader places a JSON field


def test_a_files_marking_stays_with_its_own_records_when_a_sibling_file_holds_the_same_predicate(tmp_path):
    """listed.csv and listed.json load in one batch: the JSON file's marking is its records' alone (it was
    given to every record of the batch's table), and a record both files bring takes the stricter."""
    facts = _folder(tmp_path, "facts", "listed.csv", "party,list\nX,SDN\nY,SDN\n",
                    {"listed.csv": {"source": "fiu"},
                     "listed.json": {"source": "fiu", "classification": "SECRET", "releasability": "REL TO UK"}})
    (facts / "listed.json").write_text(json.dumps([{"party": "X", "list": "SDN"}, {"party": "Z", "list": "SDN"}]))
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(_program(tmp_path), facts)
        assert _markings(case) == {"X": "SECRET REL TO UK", "Y": "OFFICIAL REL TO FR, UK", "Z": "SECRET REL TO UK"}
