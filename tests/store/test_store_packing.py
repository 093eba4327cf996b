"""The fast load path: template hashes equal records.record_hash, and the fast checker agrees with pydantic."""

import pytest
from hypothesis import given, settings, strategies as st

from engine.store.packing import Packer
from engine.store.records import record_hash
from engine.store.validation import NO_META, Checked, fast_checker, validate_row

TEXTS = ["A", "Beta, Ltd", "Ünïcødé — 株式会社", 'quote " and \\ backslash', "tab\there\nnewline", "\x00\x1f\x7f",
         "emoji 😀", "", " spaced "]
METAS = [
    {"source": "owns.csv", "document": None, "credibility": None, "observed": None, "valid_from": None,
     "valid_to": None, "action": "assert"},
    {"source": "ofac-sdn", "document": "SDN list 2024-05-01 «é»", "credibility": 2, "observed": "2024-05-01",
     "valid_from": "2023-01-01", "valid_to": "2025-01-01", "action": "retract"},
    {"source": 'so"urce\\', "document": "", "credibility": 6, "observed": None, "valid_from": None,
     "valid_to": "2030-12-31", "action": "assert"},
]


def _same(packer, args, meta):
    row = packer.pack(args, packer.meta_id(meta))
    assert row[:-2] == args
    assert row[-2] == record_hash(packer.predicate, list(args), meta)


@pytest.mark.parametrize("meta", METAS)
def test_template_hashes_equal_record_hash_on_varied_rows(program, meta):
    owns, listed, inc = Packer(program.declaration("owns")), Packer(program.declaration("listed")), \
        Packer(program.declaration("incorporated"))
    for text in TEXTS:
        _same(listed, (text, text[::-1]), meta)
        for percent in (0, 50, 100, 12.5, 33.333333333333336, 1e-7, 99.99999999999999, 5e-324):
            _same(owns, (text, "B", percent), meta)
        for public in (True, False):
            _same(inc, (text, "2001-02-03", public), meta)


@settings(max_examples=300, deadline=None)
@given(owner=st.text(min_size=1), number=st.one_of(st.integers(0, 100), st.floats(0, 100)),
       document=st.one_of(st.none(), st.text()), credibility=st.one_of(st.none(), st.integers(1, 6)))
def test_template_hashes_equal_record_hash_property(program, owner, number, document, credibility):
    meta = dict(METAS[0], document=document, credibility=credibility)
    _same(Packer(program.declaration("owns")), (owner, "x", number), meta)


def test_the_same_fact_with_other_metadata_is_another_record(program):
    packer = Packer(program.declaration("owns"))
    a, b = packer.pack(("A", "B", 50), packer.meta_id(METAS[0])), packer.pack(("A", "B", 50), packer.meta_id(METAS[1]))
    assert a[:-2] == b[:-2] and a[-2] != b[-2] and (a[-1], b[-1]) == (0, 1)


ROWS = [
    {"owner": "A", "owned": "B", "percent": "50"},
    {"owner": "A", "owned": "B", "percent": "50.0"},
    {"owner": "A", "owned": "B", "percent": 12.5},
    {"owner": "A", "owned": "B", "percent": "101"},
    {"owner": "", "owned": "B", "percent": "5"},
    {"owner": "A", "owned": "B"},
    {"owner": "A", "owned": "B", "percent": "5", "colour": "red"},
    {"owner": "A", "owned": "B", "percent": "5", "_credibility": "3", "_valid_from": "2024-01-01"},
    {"owner": "A", "owned": "B", "percent": "5", "_credibility": "9"},
    {"owner": "A", "owned": "B", "percent": "5", "_valid_from": "2024-05-01", "_valid_to": "2024-04-01"},
    {"owner": "A", "owned": "B", "percent": "5", "_action": "", "_source": " s1 "},
    {"owner": "A", "owned": "B", "percent": True},
    {"owner": "A", "owned": "B", "percent": "nan"},
]


@pytest.mark.parametrize("values", ROWS)
def test_the_fast_checker_agrees_with_pydantic(program, values):
    decl = program.declaration("owns")
    fast, slow = fast_checker(decl)(values), validate_row(decl, values)
    if fast is None:
        assert not isinstance(slow, Checked)
        return
    args, meta = fast
    assert isinstance(slow, Checked) and args == slow.args and dict(meta) == slow.meta
    assert [type(a) for a in args] == [type(a) for a in slow.args]
    assert (meta is NO_META) == (len(values) == 3)


def test_no_meta_is_the_pydantic_default(program):
    assert dict(NO_META) == validate_row(program.declaration("listed"), {"party": "A", "list": "SDN"}).meta


def test_a_file_whose_records_each_bring_their_own_metadata_is_staged_in_bounded_memory(tmp_path, monkeypatch):
    """Distinct metadata are drained to the staging database between chunks (Packer.drain), and every record
    still gets its own metadata and the hash it would have had without draining."""
    from engine.api import Case, load_rulebook
    from engine.store import loading, staging

    rulebook = tmp_path / "r.rules"
    rulebook.write_text('rulebook r "r" version "1"\nevidence owns(owner: entity, owned: entity, percent: percent)\n',
                        encoding="utf-8")
    facts = tmp_path / "facts"
    facts.mkdir()
    rows = "".join(f"o{i},c{i % 7},{i % 100},doc-{i}\n" for i in range(2500))
    (facts / "owns.csv").write_text("owner,owned,percent,_document\n" + rows, encoding="utf-8")

    def load(db: str) -> list:
        with Case.open(tmp_path / db) as case:
            case.load(load_rulebook(rulebook), facts, progress=False, recorded_at="2024-01-01")
            return case.conn.execute("SELECT owner, _document, _hash FROM ev_owns ORDER BY owner").fetchall()

    whole = load("whole.db")
    monkeypatch.setattr(staging, "SPILL_METAS", 100)
    monkeypatch.setattr(loading, "CHUNK_ROWS", 300)
    drained = load("drained.db")
    assert drained == whole and len(whole) == 2500 and {d for _, d, _ in whole} == {f"doc-{i}" for i in range(2500)}
