"""Two aggregates of one rule may each use the same name for their own variables (docs/language.md,
"Aggregates", and docs/rulebooks.md, "Rules"): each is its own variable, even with different types; a name
that also appears outside the aggregates is one variable that groups both."""

from __future__ import annotations

import textwrap

from engine import api
from engine.check import check_files

RULES = textwrap.dedent('''\
    rulebook agg "Two aggregates" version "1"
    evidence owns(owner: entity, owned: entity, share: percent)
    evidence filed(company: entity, on: date)
    conclusion busy(company: entity, owners: number, filings: number)
    conclusion owner_filings(company: entity, owner: entity, stakes: number, filings: number)

    rule R1 "Owners and filings" cites "test":
      busy(Y, N, F) if owns(_, Y, _) and N = count(X for owns(X, Y, _)) and F = count(X for filed(Y, X)).
      because "{Y} has {N} owners and {F} filings".

    rule R2 "An owner's stakes and its own filings" cites "test":
      owner_filings(Y, X, N, F) if owns(X, Y, _) and N = count(P for owns(X, Y, P)) and F = count(D for filed(X, D)).
      because "{X} holds {N} stakes in {Y} and filed {F} times".

    example "the same name in two aggregates counts two different things":
      given owns("A", "C", 10), owns("B", "C", 20).
      given filed("C", 2024-01-01), filed("C", 2024-02-01), filed("C", 2024-03-01), filed("A", 2024-01-01).
      expect busy("C", 2, 3).
      expect owner_filings("C", "A", 1, 1).
      expect owner_filings("C", "B", 1, 0).
    ''')


def test_each_aggregate_has_its_own_variables(tmp_path):
    path = tmp_path / "agg.rules"
    path.write_text(RULES)
    diags, _ = check_files([path])
    assert not [d for d in diags if d.is_error]
    report = api.test_rulebooks([str(path)])
    assert report.total == 1 and not report.failed, [r.failures for r in report.failed]
