"""warrant run takes over the previous run of the same rulebook when it can, says so, and stores the
same facts with the same rounds and rules as a full run (--full), also after a retraction."""

import json

from engine import api
from engine.audit.runs import facts_digest

from test_cli import warrant


def _run(*extra, db="c.db", rules="mini.rules", as_of="2024-06-30"):
    code, out, err = warrant("run", rules, "--db", db, "--as-of", as_of, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def _digest(run_id, db="c.db", rules="mini.rules"):
    program = api.load_rulebook(rules)
    with api.Case.open(db) as case:
        return facts_digest(case.conn, program, run_id)


def _load(case, name, text, db="c.db", rules="mini.rules", file="owns.csv"):
    folder = case / name
    folder.mkdir(exist_ok=True)
    (folder / file).write_text(text)
    code, _, err = warrant("load", rules, str(folder), "--db", db)
    assert code == 0, err


def test_runs_after_loads_and_retractions_are_incremental_and_equal_to_full_runs(case):
    first = _run("--facts", "facts")
    assert first["evaluation"]["mode"] == "full"
    same = _run()
    assert same["evaluation"] == {"mode": "incremental", "previous": first["run_id"], "strata": 1,
                                  "strata_reused": 1, "strata_resumed": 0, "strata_propagated": 0,
                                  "facts_reused": 4, "not_updated": []}
    _load(case, "more", "owner,owned,percent\nB,E,75\n")
    grown = _run()
    # B (blocked in the stratum's third round) now owns E: the stratum's facts are taken over and the new
    # holding propagated (E blocked in round 4)
    assert grown["evaluation"] == {"mode": "incremental", "previous": same["run_id"], "strata": 1,
                                   "strata_reused": 0, "strata_resumed": 0, "strata_propagated": 1,
                                   "facts_reused": 4, "not_updated": []}
    assert ["E"] in grown["conclusions"]["blocked"]
    forced = _run("--full")
    assert forced["evaluation"] == {"mode": "full", "reason": "--full asked for"}
    assert forced["conclusions"] == grown["conclusions"] and _digest(forced["run_id"]) == _digest(grown["run_id"])
    _load(case, "fix", "owner,owned,percent,_action,_valid_from\nA,B,50,retract,2024-01-01\n")
    shrunk = _run()
    # A (blocked in round 2) no longer owns B: a lost row is not propagated; round 1 and 2 are taken over
    assert shrunk["evaluation"] == {"mode": "incremental", "previous": forced["run_id"], "strata": 1,
                                    "strata_reused": 0, "strata_resumed": 1, "strata_propagated": 0,
                                    "facts_reused": 3,
                                    "not_updated": ["blocked not updated by its changes: owns lost rows or its changed "
                                                    "rows are not known"]}
    assert ["B"] not in shrunk["conclusions"]["blocked"] and ["E"] not in shrunk["conclusions"]["blocked"]
    assert _digest(_run("--full")["run_id"]) == _digest(shrunk["run_id"])


def test_run_text_says_how_it_was_made(case):
    code, out, _ = warrant("run", "mini.rules", "--facts", "facts", "--db", "c.db")
    assert out.splitlines()[1] == "  full run: no earlier run of these rulebooks"
    code, out, _ = warrant("run", "mini.rules", "--db", "c.db")
    assert out.splitlines()[1] == ("  incremental run from run-000001: 1 of 1 strata taken over, 0 updated by their "
                                  "changes, 0 resumed part-way, 0 evaluated (4 facts taken over)")


# mini.rules and a rule reading blocked under `not`: a stratum that a change of blocked cannot be propagated into
CLEARED = """
conclusion cleared(party: entity) "listed, but on no list that blocks"

rule R3 "Listed elsewhere and not blocked" cites "none":
  cleared(P) if listed(P, L) and not blocked(P).
  because "{P} is on the {L} list and not blocked".
"""


def _history(case, db: str) -> list[tuple]:
    """Loads and runs on the case `db`: each run's id, mode (incremental or full, and why), conclusions and
    facts digest. An edge and a listing gained (propagated), more holdings than a propagation takes on
    (evaluated), a retraction (resumed), a holding whose validity ends and a later assessment date (every
    predicate compared), a later known-at (taken over), and --full runs between."""
    rules = "cleared.rules"
    (case / rules).write_text((case / "mini.rules").read_text() + CLEARED)
    runs = [_run("--facts", "facts", db=db, rules=rules), _run(db=db, rules=rules)]
    for name, file, text, args in (
            ("edge", "owns.csv", "owner,owned,percent\nB,E,75\nX,B,60\n", ()),  # B from round 3 to 2
            ("listing", "listed.csv", "party,list\nZ,SDN\nW,EU\n", ()),
            ("many", "owns.csv", "owner,owned,percent\n" + "".join(f"C,M{i:03},60\n" for i in range(120)), ()),
            ("full", None, None, ("--full",)),
            ("retraction", "owns.csv", "owner,owned,percent,_action,_valid_from\nA,B,50,retract,2024-01-01\n", ()),
            ("window", "owns.csv", "owner,owned,percent,_valid_to\nX,F,80,2024-09-01\n", ()),
            ("later", None, None, ()),
            ("known", None, None, ("--known-at", "2099-01-01"))):
        if file:
            _load(case, name, text, db=db, rules=rules, file=file)
        runs.append(_run(*args, db=db, rules=rules, as_of="2024-12-31" if name in ("later", "known") else "2024-06-30"))
    return [(r["run_id"], r["evaluation"], r["conclusions"], _digest(r["run_id"], db=db, rules=rules)) for r in runs]


def test_incremental_runs_on_postgres_are_those_on_a_case_file(case, postgres_url):
    on_file, on_pg = _history(case, "c.db"), _history(case, postgres_url)
    assert on_pg == on_file
    modes = [evaluation for _, evaluation, _, _ in on_pg]
    assert [m["mode"] for m in modes] == ["full"] + ["incremental"] * 4 + ["full"] + ["incremental"] * 4
    assert [(m["strata_reused"], m["strata_propagated"], m["strata_resumed"]) for m in modes[1:5] + modes[6:]] == \
           [(2, 0, 0), (0, 1, 0), (0, 1, 0), (0, 0, 0), (1, 0, 1), (0, 1, 0), (0, 0, 1), (2, 0, 0)]
    assert modes[3]["not_updated"] == ["cleared not updated by its changes: blocked is read under not in rule R3"]
    assert modes[4]["not_updated"][0] == ("blocked not updated by its changes: the change reached more than 100 "
                                          "rows and facts (evaluating costs less)")
    lost = "blocked not updated by its changes: owns lost rows or its changed rows are not known"
    assert modes[6]["not_updated"] == [lost]  # B stays blocked, through X: cleared is taken over
    assert modes[8]["not_updated"] == [lost, "cleared not updated by its changes: blocked lost rows or its changed "
                                             "rows are not known"]
    assert on_pg[5][3] == on_pg[4][3]  # a full run on the same evidence stores what the incremental one did
    assert ["F"] in on_pg[7][2]["blocked"] and ["F"] not in on_pg[8][2]["blocked"]  # the holding ended
