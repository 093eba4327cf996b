"""Point questions without a current run (engine/point.py): `why`, `whynot` and `query` with the rulebooks
given answer from a partial evaluation that is never stored, with the full run's facts and proofs; a
current stored run of the same rulebooks is used instead; a stale one is not."""

from __future__ import annotations

import re
import textwrap

import pytest

from engine.store.facts import of_run
from engine import api
from engine.audit.replay import scratch
from engine.eval import evaluate
from engine.eval.demand import Demand
from engine.eval.in_force import program_on
from engine.eval.plan import make_plan
from engine.eval.slice import needed, read_in_place
from engine.point import PARTIAL, answer_partially
from engine.proof import api as proof_api
from engine.proof.terms import parse_atom

RULES = textwrap.dedent('''\
    rulebook point "Point questions" version "1"

    evidence listed(party: entity, list: text) "party appears on a sanctions list"
    evidence owns(owner: entity, owned: entity, percent: percent) "direct holding"
    evidence link(a: entity, b: entity) "a link"
    derived reach(a: entity, b: entity) "reachable"
    derived cleared(party: entity) "cleared"
    conclusion blocked(party: entity) "blocked"
    conclusion watched(party: entity) "watched"

    threshold ownership_threshold = 50

    rule L1 "Links reach" cites "test":
      reach(A, B) if link(A, B).
      because "{A} links to {B}".
    rule L2 "Links reach on" cites "test":
      reach(A, C) if reach(A, B) and link(B, C).
      because "{A} reaches {B}, which links to {C}".
    rule W1 "Reached from a blocked party and not cleared" cites "test":
      watched(B) if reach(A, B) and blocked(A) and not cleared(B).
      because "{B} is reached from {A}".
    rule C1 "Cleared when listed as cleared" cites "test":
      cleared(P) if listed(P, "CLEARED").
      because "{P} is cleared".
    rule R1 "Listed persons are blocked" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is on the SDN list".
    rule R2 "Owned 50% or more by blocked persons" cites "OFAC Revised Guidance (2014)":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= ownership_threshold.
      because "{E} is owned {Total}% by blocked persons".
    ''')
AS_OF = "2025-01-15"


@pytest.fixture
def case(tmp_path):
    (tmp_path / "point.rules").write_text(RULES)
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nX,SDN\nY,SDN\nQ,CLEARED\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,25\nY,A,25.5\nA,B,50\nX,D,49.9\n")
    (facts / "link.csv").write_text("a,b\nB,P\nP,Q\nQ,R\nZ,S\n")
    program = api.load_rulebook(tmp_path / "point.rules")
    with api.Case.open(tmp_path / "case.db") as opened:
        opened.load(program, facts)
        yield opened, program


def _partial_json(case, program, atom: str, run_id: str) -> str:
    """The proof of `atom` from a partial evaluation under run `run_id`'s clocks, naming that run."""
    clocks = case.clocks(run_id)
    provider = case._provider(clocks)
    ground = parse_atom(program, atom)
    return answer_partially(case.store.path, program, provider, clocks, Demand(ground.predicate, ground.args),
                            lambda conn, run: proof_api.render(
                                proof_api.why(conn, program, run, atom, provider, clocks.as_of), "json"),
                            run_id=run_id)


def _untimed(text: str) -> str:
    """`text` without the record-time clock (now, when the question was asked: later for the run)."""
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "<known at>", text)


def test_why_without_a_run_is_partial_and_stores_nothing(case):
    case, program = case
    proof = case.why('blocked("B")', program=program, as_of=AS_OF)
    assert proof.run.run_id == PARTIAL
    assert proof.nodes[proof.root].text == 'blocked("B")'
    assert case.runs() == []
    seen = [e for e in case.audit_entries() if e.action == "view.why"]
    assert seen[-1].details["partial"] is True and seen[-1].details["run_id"] is None


def test_partial_proofs_are_the_full_runs(case):
    case, program = case
    run = case.run(program, as_of=AS_OF)
    for atom in ('blocked("B")', 'blocked("A")', 'watched("P")', 'reach("B", "R")', 'cleared("Q")'):
        assert _partial_json(case, program, atom, run.run_id) == proof_api.render(case.why(atom, run.run_id), "json")


def test_query_and_whynot_without_a_run(case):
    case, program = case
    names, rows = case.query('watched(X)', program=program, as_of=AS_OF)
    missing = case.whynot('watched("Q")', program=program, as_of=AS_OF)
    assert case.runs() == []
    assert not missing.holds
    run = case.run(program, as_of=AS_OF)
    assert (names, rows) == case.query('watched(X)', run.run_id) == (["party"], [["P"], ["R"]])
    assert _untimed(proof_api.render(missing, "text").replace(PARTIAL, run.run_id)) == \
        _untimed(proof_api.render(case.whynot('watched("Q")', run.run_id), "text"))


def test_a_current_run_is_used_and_a_stale_one_is_not(case, tmp_path):
    case, program = case
    run = case.run(program, as_of=AS_OF)
    assert case.current_run(program, AS_OF) == run.run_id
    assert case.why('blocked("B")', program=program, as_of=AS_OF).run.run_id == run.run_id
    assert case.current_run(program, "2025-02-01") is None
    later = tmp_path / "later"
    later.mkdir()
    (later / "listed.csv").write_text("party,list\nR,CLEARED\n")
    case.load(program, later)
    assert case.current_run(program, AS_OF) is None
    assert case.query('watched(X)', program=program, as_of=AS_OF)[1] == [["P"]]
    assert case.query('watched(X)')[1] == [["P"], ["R"]]  # the stored run, as before


def test_an_unknown_predicate_is_told_before_evaluating(case):
    case, program = case
    with pytest.raises(api.WarrantError, match="unknown predicate"):
        case.query('blockd(X)', program=program, as_of=AS_OF)


MARKED = textwrap.dedent('''\
    rulebook marked "Marked evidence, asked without a run" version "1"
    evidence listed(party: entity, list: text) "listed on a list"
    derived screened(party: entity) "appears on some list"
    conclusion blocked(party: entity) "blocked"
    rule S1 "Screened" cites "s.0":
      screened(P) if listed(P, _).
      because "{P} appears on a list".
    rule R1 "Listed on the SDN list" cites "s.1":
      blocked(P) if listed(P, "SDN").
      because "{P} is on the SDN list".
    ''')


def test_a_reader_is_shown_a_partial_answer_as_a_runs(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list,_classification,_releasability,_document\n"
                                      "co:hidden-holding,SDN,SECRET,REL TO UK,fiu-note-9\nco:plain,SDN,,,press-1\n")
    (facts / "manifest.json").write_text('{"sources": [{"id": "fiu", "name": "Partner FIU", "classification": '
                                         '"OFFICIAL", "releasability": "REL TO UK, FR"}], '
                                         '"files": {"listed.csv": {"source": "fiu"}}}')
    (tmp_path / "m.rules").write_text(MARKED)
    program = api.load_rulebook(tmp_path / "m.rules")
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(program, facts)
        case.add_principal("paris", "user", "SECRET", "FR")
    with api.Case.open(tmp_path / "case.db", as_principal="paris") as case:
        withheld = proof_api.render(case.why('blocked("co:hidden-holding")', program=program), "text")
        _, rows = case.query("blocked(P)", program=program)
        asked = [case.query(f'blocked("{p}")', program=program)[1] for p in ("co:hidden-holding", "co:plain")]
        missing = proof_api.render(case.whynot('blocked("co:other")', program=program), "text")
        assert case.runs() == []
    assert withheld.splitlines()[0].endswith("(1 withheld part: SECRET REL TO UK)")
    assert "fiu-note-9" not in withheld
    assert rows == [["co:plain"]]
    assert asked == [[], [["co:plain"]]]  # with a constant: the demand, its evidence read in place
    assert "fiu-note-9" not in missing and "co:hidden-holding" not in missing


def _batch(case, program, folder, files: dict[str, str], recorded_at: str) -> None:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    case.load(program, folder, recorded_at=recorded_at)


@pytest.fixture
def history(tmp_path):
    """A case file whose evidence changes over time: a listing retracted, a holding valid only until a date,
    holdings recorded twice (two filings: 30% twice is
    still 30%), one recorded late. Its stratum's evidence is read in place."""
    (tmp_path / "point.rules").write_text(RULES)
    program = api.load_rulebook(tmp_path / "point.rules")
    with api.Case.open(tmp_path / "case.db") as case:
        _batch(case, program, tmp_path / "b1", {
            "listed.csv": "party,list\nX,SDN\nY,SDN\nW,SDN\n",
            "owns.csv": "owner,owned,percent,_valid_to\nX,A,30,\nY,A,30,\nA,B,50,\nW,C,60,2025-01-10\nB,D,25,\n"
                         "X,F,30,\n"},
            "2025-01-01T09:00:00Z")
        _batch(case, program, tmp_path / "b2", {
            "listed.csv": "party,list,_action\nY,SDN,retract\n",
            "owns.csv": "owner,owned,percent,_document\nA,B,50,f-2\nX,D,25,f-2\nX,F,30,f-2\n"},
            "2025-01-05T09:00:00Z")
        _batch(case, program, tmp_path / "b3", {"owns.csv": "owner,owned,percent\nX,E,75\n"}, "2025-01-20T09:00:00Z")
        yield case, program


@pytest.mark.parametrize("as_of, known_at", [("2025-01-03", "2025-01-03"), ("2025-01-08", "2025-01-08"),
                                             ("2025-01-15", "2025-01-15"), ("2025-01-25", None),
                                             ("2025-01-03", None)])
def test_the_evidence_read_in_place_keeps_the_clocks_retractions_and_duplicates(history, as_of, known_at):
    case, program = history
    plan = make_plan(program_on(program, as_of))
    assert read_in_place(plan, needed(program, plan, "blocked"), Demand("blocked", ("B",)),
                         {d.name: d for d in program.declarations}) == {"listed", "owns"}
    run = case.run(program, as_of=as_of, known_at=known_at, full=True)
    held = [f'blocked("{p}")' for (p,) in case.query("blocked(P)", run.run_id)[1]]
    assert held, "each date has a blocked party"
    for atom in held:
        assert _partial_json(case, program, atom, run.run_id) == proof_api.render(case.why(atom, run.run_id), "json")
    for party in "ABCDEFWXYZ":
        clocks = case.clocks(run.run_id)
        got = answer_partially(case.store.path, program, case._provider(clocks), clocks, Demand("blocked", (party,)),
                               lambda conn, run_id: conn.execute(
                                   f"SELECT party, _round, _rule FROM fact_blocked WHERE {of_run()} AND party = :p",
                                   {"run_id": run_id, "p": party}).fetchall(), run_id=run.run_id)
        assert got == case.conn.execute(f"SELECT party, _round, _rule FROM fact_blocked WHERE {of_run()} AND party = :p",
                                        {"run_id": run.run_id, "p": party}).fetchall(), (party, as_of, known_at)


@pytest.mark.sqlite_only(reason="reads SQLite's query plans (EXPLAIN QUERY PLAN); PostgreSQL plans by cost, "
                                "and on a case this small a scan is its cheapest plan")
@pytest.mark.parametrize("fixture", ["case", "history"])  # every record in force; then each tested (retractions)
def test_a_point_question_looks_the_case_files_evidence_up_by_index(request, fixture):
    """Each statement of the demanded stratum reads the case file's records through the index on the column
    the demand gives it (owned, party), never by scanning an evidence table or all of a list: its cost grows
    with the demand, not with the file."""
    case, program = request.getfixturevalue(fixture)
    plans: dict[str, list[str]] = {}

    def explain(sql, params):
        plans.setdefault(params["rule"].split(":")[-1], []).extend(
            row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))

    clocks = case._asked_clocks(AS_OF, None)
    with scratch(case.store.path) as conn:
        evaluate(conn, program, case._provider(clocks), as_of=AS_OF, run_id=PARTIAL, collect=False,
                 ask=Demand("blocked", ("B",)), trace=explain)
    assert sorted(plans) == ["R1", "R2"]
    assert any(step.startswith("SEARCH e USING COVERING INDEX ev_listed_args (party=?") or
               step.startswith("SEARCH e USING INDEX ev_listed_args (party=?") for step in plans["R1"]), plans
    assert any(step.startswith("SEARCH e USING INDEX ev_owns__owned (owned=?)") for step in plans["R2"]), plans
    assert not [step for steps in plans.values() for step in steps if step.startswith(("SCAN e", "SCAN r "))], plans



def test_a_point_question_looks_the_evidence_up_by_index_on_postgresql(tmp_path, postgres_url):
    """On PostgreSQL, which plans by cost: with a thousand listings and holdings more, each statement of the
    demanded stratum still reads the evidence through an index, looked up by the demanded column (party,
    owned) or by the round's new facts, never by scanning an evidence table."""
    from engine.store.backend_pg import statement

    facts = tmp_path / "facts"
    facts.mkdir()
    others = range(3000)
    (facts / "listed.csv").write_text("party,list\nX,SDN\nY,SDN\nQ,CLEARED\n" +
                                      "".join(f"L{i},{('SDN', 'OTHER')[i % 2]}\n" for i in others))
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,25\nY,A,25.5\nA,B,50\nX,D,49.9\n" +
                                    "".join(f"L{i},M{i % 1000},{i % 60}\n" for i in others))
    (tmp_path / "point.rules").write_text(RULES)
    program = api.load_rulebook(tmp_path / "point.rules")
    plans: dict[str, list[str]] = {}

    def explain(sql, params):
        plans.setdefault(params["rule"].split(":")[-1], []).extend(
            row[0].strip() for row in conn.execute("EXPLAIN (COSTS OFF) " + statement(sql), params))

    with api.Case.open(postgres_url) as case:
        case.load(program, facts)
        with scratch(case.store.path) as conn:
            evaluate(conn, program, case._provider(case._asked_clocks(AS_OF, None)), as_of=AS_OF, run_id=PARTIAL,
                     collect=False, ask=Demand("blocked", ("B",)), trace=explain)
    assert sorted(plans) == ["R1", "R2"]
    assert "Index Cond: ((party = d_blocked.c0) AND (list = 'SDN'::text))" in plans["R1"], plans
    assert any(step.startswith("Index Cond: (owned = ") for step in plans["R2"]), plans
    reads = [(steps[i], steps[i + 1]) for steps in plans.values() for i in range(len(steps) - 1)
             if re.search(r" on ev_\w+ e", steps[i]) and "Scan" in steps[i]]
    assert reads and all(re.match(r"(Recheck|Index) Cond: ", then) for _, then in reads), plans
    assert not [step for steps in plans.values() for step in steps if "Seq Scan on ev_" in step], plans

META = textwrap.dedent('''\
    rulebook meta "Metadata and a nullary fact, read in place" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    evidence active() "the regime is active"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed by a good source, while the regime is active" cites "t":
      blocked(P) if listed(P, "SDN") with reliability = R and R <= "B" and active().
      because "{P} is listed".
    rule R2 "Owned, counted per filing" cites "t":
      blocked(E) if Total = sum(Pct for owns(O, E, Pct) with document = D and blocked(O)) and Total >= 50.
      because "{E} is owned {Total}%".
    ''')


def test_metadata_and_nullary_evidence_read_in_place_are_the_full_runs(tmp_path):
    """Atoms with metadata (a source's grade: W's listing comes from a poorer source; holdings counted per
    filing: X's 30% filed twice is 60%) and a nullary fact, in the demanded stratum, read in place and
    restricted by demand (through the atom with metadata too): the same facts and proofs as a full run."""
    manifest = '{"sources": [{"id": "%s", "name": "%s", "reliability": "%s"}], "files": {"listed.csv": {"source": "%s"}}}'
    files = {"official": {"listed.csv": "party,list\nX,SDN\nY,SDN\n", "active.csv": "_document\ng1\n",
                          "owns.csv": "owner,owned,percent,_document\nX,A,30,f1\nX,A,30,f2\nW,C,60,f3\nA,B,60,f4\n",
                          "manifest.json": manifest % ("ofac", "OFAC", "A", "ofac")},
             "press": {"listed.csv": "party,list\nW,SDN\n", "manifest.json": manifest % ("press", "Press", "E", "press")}}
    for folder, texts in files.items():
        (tmp_path / folder).mkdir()
        for name, text in texts.items():
            (tmp_path / folder / name).write_text(text)
    (tmp_path / "m.rules").write_text(META)
    program = api.load_rulebook(tmp_path / "m.rules")
    plan = make_plan(program_on(program, AS_OF))
    assert read_in_place(plan, needed(program, plan, "blocked"), Demand("blocked", ("B",)),
                         {d.name: d for d in program.declarations}) == {"active", "listed", "owns"}
    with api.Case.open(tmp_path / "case.db", create=True) as case:
        case.load(program, tmp_path / "official")
        case.load(program, tmp_path / "press")
        run = case.run(program, as_of=AS_OF)
        assert run.conclusions["blocked"] == [["A"], ["B"], ["X"], ["Y"]]
        for atom in ('blocked("A")', 'blocked("B")', 'blocked("X")'):
            assert _partial_json(case, program, atom, run.run_id) == proof_api.render(case.why(atom, run.run_id), "json")
        assert [case.query(f'blocked("{p}")', program=program, as_of="2030-01-01")[1] for p in "BCW"] == [[["B"]], [], []]
