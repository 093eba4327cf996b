"""Engine bugs found by the independent checker, kept fixed."""

import textwrap

from engine import api

RULES = textwrap.dedent('''\
    rulebook weakest "Weakest grade" version "1"
    evidence report(party: entity, grade: text) "a graded report"
    evidence grade_rank(grade: text, rank: number) "order of grades"
    conclusion weakest(party: entity, grade: text) "the weakest grade relied on"
    rule W1 "Weakest grade" cites "house rule":
      weakest(P, G) if report(P, _) and Rank = max(Rk for report(P, G2) and grade_rank(G2, Rk))
        and grade_rank(G, GRank) and GRank = Rank.
      because "{P}: weakest grade {G}".
    ''')


def test_aggregate_result_compared_with_a_bound_variable_is_a_filter(tmp_path):
    """`GRank = Rank` must filter; it once bound Rank first and the aggregate overwrote it."""
    (tmp_path / "w.rules").write_text(RULES)
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "report.csv").write_text("party,grade\nP,A\nP,C\n")
    (facts / "grade_rank.csv").write_text("grade,rank\nA,1\nB,2\nC,3\n")
    with api.Case.open(tmp_path / "case.db") as case:
        result = case.run(api.load_rulebook(tmp_path / "w.rules"), facts=facts)
    assert result.conclusions == {"weakest": [["P", "C"]]}


def test_max_over_reliability_letters_is_the_weakest_grade(tmp_path):
    (tmp_path / "g.rules").write_text(textwrap.dedent('''\
        rulebook grades "Grades" version "1"
        evidence report(party: entity, grade: text) "a graded report"
        conclusion weakest_grade(party: entity, grade: text) "the weakest grade relied on"
        rule G1 "Weakest grade" cites "house rule":
          weakest_grade(P, W) if report(P, _) and W = max(G for report(P, G)).
          because "{P}: weakest grade {W}".
        '''))
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "report.csv").write_text("party,grade\nP,A\nP,C\nQ,B\n")
    with api.Case.open(tmp_path / "case.db") as case:
        result = case.run(api.load_rulebook(tmp_path / "g.rules"), facts=facts)
    assert result.conclusions == {"weakest_grade": [["P", "C"], ["Q", "B"]]}


def test_two_aggregates_each_with_its_own_variable_of_one_name(tmp_path):
    """X is an owner in one count and a filing date in the other; the checker once refused it (E204)."""
    (tmp_path / "b.rules").write_text(textwrap.dedent('''\
        rulebook busy "Busy" version "1"
        evidence owns(owner: entity, owned: entity, share: percent) "holding"
        evidence filed(party: entity, on: date) "a filing"
        conclusion busy(party: entity, owners: number, filings: number) "busy"
        rule B1 "Busy" cites "house rule":
          busy(E, N, M) if owns(_, E, _) and N = count(X for owns(X, E, _)) and M = count(X for filed(E, X)) and M > 1.
          because "{E}: {N} owners, {M} filings".
        '''))
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "owns.csv").write_text("owner,owned,share\nA,E,10\nB,E,20\nC,E,30\nA,F,50\n")
    (facts / "filed.csv").write_text("party,on\nE,2024-01-01\nE,2024-02-01\nF,2024-01-01\n")
    with api.Case.open(tmp_path / "case.db") as case:
        result = case.run(api.load_rulebook(tmp_path / "b.rules"), facts=facts)
        proof = case.why('busy("E", 3, 2)', result.run_id)
        verdict = case.verify_proof(proof.model_dump(mode="json"))
    assert result.conclusions == {"busy": [["E", 3, 2]]}
    assert verdict.valid, str(verdict)


def test_a_recursive_aggregate_whose_group_variable_only_a_negation_inside_tests_runs(tmp_path):
    """Found by the differential tests: D is shared with the rule but inside the aggregate only `not e2(X, D, X)`
    uses it, so the rows of a round's delta cannot name D's groups; the run raised CompileError."""
    (tmp_path / "r.rules").write_text(textwrap.dedent('''\
        rulebook rec "Recursive count" version "1"
        evidence seed(who: entity)
        evidence seen(who: entity, on: date, by: entity)
        conclusion reached(who: entity)
        rule R1 "Seed" cites "c":
          reached(X) if seed(X).
          because "{X}".
        rule R2 "Unseen" cites "c":
          reached(X) if seen(X, D, _) and N = count distinct(Y for reached(Y) and not seen(Y, D, Y)) and N >= 2.
          because "{X}".
        '''))
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "seed.csv").write_text("who\na\nb\n")
    (facts / "seen.csv").write_text("who,on,by\nc,2024-01-01,c\nd,2024-01-02,d\na,2024-01-03,a\n")
    with api.Case.open(tmp_path / "case.db") as case:
        result = case.run(api.load_rulebook(tmp_path / "r.rules"), facts=facts)
    # on 2024-01-01: a, b (and later d) are reached and not seen by themselves that day: c and d follow
    assert sorted(result.conclusions["reached"]) == [["a"], ["b"], ["c"], ["d"]]
