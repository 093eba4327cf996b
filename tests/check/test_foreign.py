"""The catalogue of constructs from other languages (engine/syntax/foreign.py): each entry's example is refused
by the grammar and gets that entry's diagnostic, and has a golden test. An entry whose example parses names a
construct the language has learnt: remove the entry (or reword it) and its golden."""

from __future__ import annotations

from pathlib import Path

import pytest
from lark.exceptions import UnexpectedInput

from engine.check import check_files
from engine.syntax.foreign import CATALOGUE, Failure, recognise
from engine.syntax.grammar import parser
from engine.syntax.syntax_errors import _accepted, _failure
from engine.source import SourceFile

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "diagnostics"
HEADER = '''rulebook golden "Golden test" version "1"

evidence listed(who: entity, list: text)
evidence owns(owner: entity, owned: entity, share: percent)
conclusion blocked(who: entity)

'''


def _failure_of(text: str) -> Failure:
    source = SourceFile("t.rules", text)
    try:
        parser().parse(text)
    except UnexpectedInput as exc:
        return _failure(exc, source, _accepted(exc))
    pytest.fail("the grammar accepts this example: the language has the construct now; remove the entry")


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_each_entry_recognises_its_example(entry):
    found = recognise(_failure_of(HEADER + entry.example))
    assert found is not None, "no entry recognises the example"
    got, diag = found
    assert got.name == entry.name, f"an earlier entry ({got.name}) takes this example"
    assert diag.code == entry.code and diag.message and diag.hint
    assert "$" not in diag.message + diag.hint, "a template placeholder was left unfilled"


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_each_entry_has_a_golden(entry):
    name = "syntax_missing_because" if entry.name == "missing_because" else entry.name
    rules = GOLDEN / f"{name}.rules"
    assert rules.exists(), f"add {rules.name} (and --update-goldens)"
    assert f"[{entry.code}]" in (GOLDEN / f"{name}.expected").read_text(encoding="utf-8")


def test_names_are_unique():
    names = [e.name for e in CATALOGUE]
    assert len(names) == len(set(names))


def _codes(body: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "t.rules"
    path.write_text(HEADER + 'rule R1 "t" cites "c":\n  ' + body + '\n  because "{X}".\n', encoding="utf-8")
    diags, _ = check_files([path])
    return [d.code for d in diags if d.is_error]


@pytest.mark.parametrize("body, code", [
    ('blocked(X) if listed(X, L) and P >= 50%.', "E033"),  # a percent sign after a number is not a remainder
    ('blocked(X) if owns(X, _, P) and P % 2 = 1.', None),  # but between two values it is
    ('blocked(X) if listed(X, L) and not (L = "a").', None),  # not with a bracket is not (...), no function call
    ('blocked(X) if owns(X, _, P) and 3 <- P.', None),  # 3 < -P: a comparison, not an arrow
    ('blocked(X) if listed(X, L) and X != l.', "E108"),  # a name compared, not used as an argument
    ('blocked(X) if listed(X, sdn).', "E032"),
    ('blocked(X) if owns(X, _, P) and P > 24h.', "E034"),  # a unit abbreviated
    ('blocked(X), owned(X) if listed(X, _).', "E035"),  # several heads
    ('blocked(X) if listed(X, _),\n    owns(X, _, _).', "E001"),  # a comma in a body is not a second head
    ('blocked(X) if owns(X, _, P) and P > 24 and P < 60.', None),  # a number followed by a word that is no unit
    ('blocked(X) if listed(X, _) and lower(X).', "E170"),  # a function, but not a true/false one
    ('blocked(X) if listed(X, _) and lowr(X) = "a".', "E028"),
    ('blocked(X) if listed(X, _) and listd(X).', "E101"),
])
def test_neighbours_keep_their_diagnostics(body, code, tmp_path):
    codes = _codes(body, tmp_path)
    assert code in codes if code else codes == []


def test_a_bracket_that_closes_nothing_is_not_a_trailing_comma(tmp_path):
    codes = _codes('blocked(X) if listed(X, "SDN")) and owns(X, _, _).', tmp_path)
    assert codes == ["E029"]
