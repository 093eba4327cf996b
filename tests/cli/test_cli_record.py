"""`warrant record HASH`: every record hash a proof or bundle shows can be looked up, in the case file or in
the bundle, with its source, grade in words, document, dates and marking; a record withheld from the reader
says only what a redacted proof says; bad, unknown and ambiguous hashes are errors that say what to do."""

from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from engine import api
from engine.audit.record_lookup import pick
from engine.cli import main
from engine.diagnostics import WarrantError
from engine.proof.court import grade_words


RULES = textwrap.dedent('''\
    rulebook records "Records" version "1"
    evidence listed(party: entity, list: text) "on a list"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    rule L "Listed" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    rule H "Held" cites "OFAC 2014":
      blocked(E) if T = sum(P for owns(O, E, P) and blocked(O)) and T >= 50.
      because "{E} is held {T}% by blocked owners".
    ''')
MANIFEST = {"sources": [{"id": "registry", "name": "Companies registry", "kind": "registry", "reliability": "A",
                         "classification": "OFFICIAL"},
                        {"id": "fiu", "name": "Partner FIU Zeta", "kind": "partner-state", "reliability": "B",
                         "classification": "SECRET", "releasability": "REL TO UK"}],
            "files": {"listed.csv": {"source": "registry", "credibility": 1},
                      "owns.csv": {"source": "registry", "credibility": 2, "document": "filing 2024/17"}}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """case.db where blocked("A") rests on X's 30% (registry, A2) and a secret partner's 25% (fiu, B2),
    a principal `liaison` cleared OFFICIAL, and the bundle of blocked("A") in bundle/."""
    root = tmp_path_factory.mktemp("record")
    (root / "mini.rules").write_text(RULES)
    facts = root / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nX,SDN\nco:yarrow,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent,_source\nX,A,30,registry\nco:yarrow,A,25,fiu\n")
    (facts / "manifest.json").write_text(json.dumps(MANIFEST))
    with api.Case.open(root / "case.db") as case:
        case.run(api.load_rulebook(root / "mini.rules"), facts=facts)
        case.add_principal("liaison", "user", "OFFICIAL", "UK")
        case.export('blocked("A")', root / "bundle")
    return root


def _hash(folder, args: list) -> str:
    with api.Case.open(folder / "case.db", create=False) as case:
        proof = case.why('blocked("A")')
    return next(n.record for n in proof.nodes.values() if n.kind == "evidence" and n.args[:2] == args)


def _record(folder, *args, principal=None):
    root = ["--as", principal] if principal else []
    return CliRunner().invoke(main, [*root, "record", *args])


def test_a_record_of_the_case_file_in_words(folder):
    h = _hash(folder, ["X", "A"])
    result = _record(folder, h, "--db", str(folder / "case.db"))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"record {h}"
    said = {line.split()[0]: line.split(None, 1)[1].strip() for line in lines[1:]}
    assert said["fact"] == 'owns("X", "A", 30)'
    assert said["source"] == "Companies registry (registry)"
    assert said["grade"] == "A2 (completely reliable; probably true)"
    assert said["document"] == "filing 2024/17"
    assert said["marking"] == "OFFICIAL"
    assert "recorded" in said


def test_a_prefix_and_sha256_name_the_same_record(folder):
    h = _hash(folder, ["X", "A"])
    db = str(folder / "case.db")
    full = json.loads(_record(folder, h, "--db", db, "--json").output)
    for typed in (h[:12], "sha256:" + h[:20], "SHA256:" + h.upper()):
        result = _record(folder, typed, "--db", db, "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.output) == full
    assert full["hash"] == h and full["args"] == ["X", "A", 30] and full["source_kind"] == "registry"


def test_the_bundle_names_the_record_as_the_case_file_does(folder):
    h = _hash(folder, ["X", "A"])
    in_case = json.loads(_record(folder, h, "--db", str(folder / "case.db"), "--json").output)
    result = _record(folder, h[:16], "--bundle", str(folder / "bundle"), "--json")
    assert result.exit_code == 0, result.output
    in_bundle = json.loads(result.output)
    same = ("hash", "predicate", "args", "statement", "source_name", "grade", "document", "recorded_at")
    assert {k: in_bundle[k] for k in same} == {k: in_case[k] for k in same}
    text = _record(folder, h, "--bundle", str(folder / "bundle")).output
    assert 'owns("X", "A", 30)' in text and "A2 (completely reliable; probably true)" in text


def test_a_record_withheld_from_the_reader_says_only_what_it_may_know(folder):
    secret = _hash(folder, ["co:yarrow", "A"])
    result = _record(folder, secret, "--db", str(folder / "case.db"), principal="liaison")
    assert result.exit_code == 0, result.output
    assert "a record of owns, graded B2 (usually reliable; probably true), withheld from you: SECRET REL TO UK" \
        in result.output
    assert "yarrow" not in result.output and "Partner FIU" not in result.output and "25" not in result.output
    seen = _record(folder, _hash(folder, ["X", "A"]), "--db", str(folder / "case.db"), principal="liaison")
    assert 'owns("X", "A", 30)' in seen.output
    owner = _record(folder, secret, "--db", str(folder / "case.db"))
    assert 'owns("co:yarrow", "A", 25)' in owner.output and "SECRET REL TO UK" in owner.output


@pytest.mark.parametrize("typed, code, hint", [
    ("0123456789a", "H001", "at least the first 12"),
    ("not-a-hash-at-all", "H001", "64 hex digits"),
    ("0" * 64, "H002", "copy the hash from the proof"),
])
def test_bad_and_unknown_hashes_are_located_errors(folder, typed, code, hint):
    for where in (["--db", str(folder / "case.db")], ["--bundle", str(folder / "bundle")]):
        result = _record(folder, typed, *where)
        assert result.exit_code == 2, result.output
        assert f"[{code}]" in result.output and hint in result.output and where[1] in result.output


def test_missing_case_file_or_bundle_and_both_at_once(folder):
    h = _hash(folder, ["X", "A"])
    missing = _record(folder, h, "--db", str(folder / "nothing.db"))
    assert missing.exit_code == 2 and "S004" in missing.output and not (folder / "nothing.db").exists()
    with pytest.raises(WarrantError, match="S004"):  # nor a database for it on PostgreSQL
        api.Case.open(folder / "nothing.db", create=False)
    no_bundle = _record(folder, h, "--bundle", str(folder / "nothing"))
    assert no_bundle.exit_code == 2 and "B006" in no_bundle.output
    both = _record(folder, h, "--db", str(folder / "case.db"), "--bundle", str(folder / "bundle"))
    assert both.exit_code == 2 and "not both" in both.output


def test_an_ambiguous_prefix_asks_for_more_digits():
    with pytest.raises(WarrantError) as caught:
        pick(["abcdef0123456789" + "0" * 48, "abcdef0123456789" + "1" * 48, "ffff" * 16], "abcdef012345", "case.db")
    message = str(caught.value.diagnostics[0].message) + caught.value.diagnostics[0].hint
    assert caught.value.diagnostics[0].code == "H003" and "2 records" in message and "more digits" in message


def test_grades_in_words():
    assert grade_words("B", 2) == "B2 (usually reliable; probably true)"
    assert grade_words("F", 6) == "F6 (reliability cannot be judged; truth cannot be judged)"
    assert grade_words(None, None) == "not graded"
    assert grade_words("C", None) == "C? (fairly reliable)"
