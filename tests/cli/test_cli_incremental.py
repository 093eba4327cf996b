"""warrant run takes over the previous run of the same rulebook when it can, says so, and stores the
same facts with the same rounds and rules as a full run (--full), also after a retraction."""

import json

from engine import api
from engine.audit.runs import facts_digest

from test_cli import warrant


def _run(*extra):
    code, out, err = warrant("run", "mini.rules", "--db", "c.db", "--as-of", "2024-06-30", "--json", *extra)
    assert code == 0, err
    return json.loads(out)


def _digest(run_id):
    program = api.load_rulebook("mini.rules")
    with api.Case.open("c.db") as case:
        return facts_digest(case.conn, program, run_id)


def _load(case, name, text):
    folder = case / name
    folder.mkdir()
    (folder / "owns.csv").write_text(text)
    code, _, err = warrant("load", "mini.rules", str(folder), "--db", "c.db")
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
