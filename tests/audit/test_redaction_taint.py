"""Values computed from withheld values are withheld too (issue 16): a sum with a withheld stake bound into a
derived fact's argument, a value calculated from a withheld record, and the tests and explanations over them
show neither the value nor anything it could be computed back from, and the redacted proof still checks."""

from __future__ import annotations

import json

import pytest

from engine import api
from engine.audit.checker import check_proof
from engine.proof import api as proof_api

from redaction_case import BLOCKED_STAKE, RULES, exported, make_case, shown_numbers

EXTRA = BLOCKED_STAKE + '''
evidence benchmark(party: entity, value: number) "a benchmark"
derived limit(party: entity, value: number) "a limit"
conclusion exposed(party: entity) "exposed"
conclusion breached(party: entity) "breached"
rule S2 "Exposed" cites "house policy":
  exposed(E) if blocked_stake(E, T) and Scaled = T * 3 and Scaled > 100.
  because "{E} is exposed at {Scaled} from {T}%".
conclusion alarm(party: entity) "alarm"
rule AL "Alarm" cites "house policy":
  alarm(E) if blocked_stake(E, T) and T > 90.
  because "{E} is held {T}% by blocked owners".
rule L1 "Limit" cites "house policy":
  limit(E, L) if benchmark(E, B) and L = B * 1.5.
  because "the limit of {E} is {L}".
rule B1 "Breached" cites "house policy":
  breached(E) if limit(E, L) and owns(_, E, P) and P < L.
  because "{E} has a holding under its limit {L}".
'''
# X's 30% is visible, co:yarrow-holdings' 25% is SECRET: the total 55, 165 (55 * 3); the benchmark 41 is SECRET: 61.5
COMPUTED = ["55", "165", "41", "61.5", "25"]
FORMATS = ("text", "json", "dot", "svg", "md", "html")


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("taint")
    make_case(root)
    (root / "screen.rules").write_text(RULES + EXTRA)
    bench = root / "bench"
    bench.mkdir()
    (bench / "benchmark.csv").write_text("party,value,_source\nA,41,fiu\n")
    manifest = json.loads((root / "facts" / "manifest.json").read_text())
    (bench / "manifest.json").write_text(json.dumps({"sources": manifest["sources"],
                                                     "files": {"benchmark.csv": {"source": "fiu", "credibility": 2}}}))
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db") as case:
        case.load(program, bench)
        case.run(program)
    return root


def _read(case_dir, who, atom):
    with api.Case.open(case_dir / "case.db", as_principal=who) as case:
        return case.why(atom)


@pytest.mark.parametrize("atom", ['exposed("A")', 'breached("A")'])
def test_no_value_computed_from_a_withheld_value_reaches_the_reader(case_dir, atom):
    owner = proof_api.render(_read(case_dir, None, atom), "text")
    assert {"55", "165"} <= shown_numbers(owner) or {"61.5"} <= shown_numbers(owner)  # the owner sees them
    proof = _read(case_dir, "liaison", atom)
    for fmt in FORMATS:
        shown = proof_api.render(proof, fmt)
        assert not shown_numbers(shown) & set(COMPUTED), (fmt, sorted(shown_numbers(shown) & set(COMPUTED)))


def test_a_derived_argument_computed_from_a_withheld_stake_is_withheld(case_dir):
    proof = _read(case_dir, "liaison", 'exposed("A")')
    text = proof_api.render(proof, "text")
    assert 'blocked_stake("A", <withheld>)' in text
    assert "Scaled > 100: holds" in text
    assert "A is exposed at [withheld] from [withheld]%" in text
    facts = [n for n in proof.nodes.values() if n.kind == "fact" and n.predicate == "blocked_stake"]
    assert [(f.args, f.withheld_args) for f in facts] == [(["A", None], [1])]


def test_a_limit_calculated_from_a_withheld_benchmark_is_withheld(case_dir):
    text = proof_api.render(_read(case_dir, "liaison", 'breached("A")'), "text")
    assert 'limit("A", <withheld>)' in text and "P < L: holds" in text


@pytest.mark.parametrize("atom", ['exposed("A")', 'breached("A")'])
def test_the_redacted_proof_checks_naming_the_withheld_tests(case_dir, tmp_path, atom):
    with api.Case.open(case_dir / "case.db", as_principal="liaison") as case:
        case.export(atom, tmp_path / "bundle")
    verdict = api.verify_bundle(tmp_path / "bundle")
    assert verdict.valid, verdict
    assert any("rests on withheld values: accepted as issued" in n for n in verdict.unverified)
    for path in (tmp_path / "bundle").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".txt", ".md", ".svg", ".dot", ".html"):
            assert not shown_numbers(path.read_text(errors="replace")) & {"55", "165", "61.5"}, path.name
    with api.Case.open(case_dir / "case.db") as case:
        opened = case.verify_proof(json.loads((tmp_path / "bundle" / "proof.json").read_text()))
    assert opened.valid, opened


def test_a_forged_withheld_argument_is_refused(case_dir, tmp_path):
    data, books, records = exported(case_dir, "liaison", 'exposed("A")', tmp_path / "b")
    assert check_proof(data, books, records).valid
    fid, fact = next((k, n) for k, n in data["nodes"].items() if n.get("withheld_args"))
    data["nodes"][fid] = {**fact, "args": ["A", 99], "withheld_args": [], "text": 'blocked_stake("A", 99)'}
    verdict = check_proof(data, books, records)
    assert not verdict.valid and verdict.reason == 'no premise establishes blocked_stake("A", <withheld>)'


def test_a_why_not_sums_the_visible_stakes_only(case_dir):
    """The run's blocked_stake("A", 55) carries the withheld 25: a reader's why-not evaluates the rules again
    over the records it may see (30), and says that withheld records may add to it; so does a why-not
    without a run (a partial evaluation, here on another assessment date)."""
    answers = {}
    program = api.load_rulebook(case_dir / "screen.rules")
    for who in (None, "liaison"):
        with api.Case.open(case_dir / "case.db", as_principal=who) as case:
            for asked in (case.whynot('alarm("A")'), case.whynot('alarm("A")', program=program, as_of="2025-06-30")):
                answers[who] = answers.get(who, "") + proof_api.render(asked, "text") + proof_api.render(asked, "json")
    assert "55 > 90 is false" in answers[None]
    assert "55 > 90" not in answers["liaison"] and "30 > 90 is false" in answers["liaison"] and "withheld records may add to it" in answers["liaison"]
    assert not shown_numbers(answers["liaison"]) & set(COMPUTED)
