"""Incremental runs (issue 15): nothing, one ownership edge (of an owner not blocked, or of the blocked party
of the median round), or one listing added to the OFAC case file and the rulebook run again, incrementally
(taking over the previous run) and then with --full; both runs' facts, rounds and rules must be identical.
Target: the incremental run at most 2% of the full run's time."""

from __future__ import annotations

import time
from pathlib import Path

from .common import BENCH, ofac_run, run_job

INCREMENTAL_SIZES = [100_000, 1_000_000]
INCREMENTAL_QUICK = [10_000]
TARGET = 0.02
CHANGES = {"nothing": None,  # the same evidence run again: every stratum taken over
           "edge": ("owns.csv", "owner,owned,percent\nbench-new-owner,bench-new-owned,60\n"),
           # a new holding of 60% by the blocked party of the median round: resumed from the round after it
           "edge_blocked": ("owns.csv", "owner,owned,percent\n{median},bench-new-owned-2,60\n"),
           "listing": ("listed.csv", "party,list\nbench-new-listed,SDN\n")}


def _median_blocked(conn, run_id: str) -> str:
    from engine.store.facts import of_run

    rows = conn.execute(f"SELECT party FROM fact_blocked WHERE {of_run()} ORDER BY _round, party",
                        {"run_id": run_id}).fetchall()
    return rows[len(rows) // 2][0]


def incremental_job(rulebook: str, db: str, folder: str) -> dict:
    """Per change: load it, then time an incremental run and a full run (one untimed run first, so neither
    pays for what a process does once; the log checkpointed before each, so neither pays for the writes of
    the run before); their modes and fact digests."""
    from engine.api import Case, load_rulebook
    from engine.audit.runs import facts_digest

    program = load_rulebook(rulebook)
    out = {}
    with Case.open(db) as case:
        last = case.run(program, collect=False).run_id  # untimed: a process reads and hashes the code once
        for name, change in CHANGES.items():
            if change is not None:
                facts = Path(folder) / name
                facts.mkdir(parents=True, exist_ok=True)
                (facts / change[0]).write_text(change[1].format(median=_median_blocked(case.conn, last)))
                case.load(program, str(facts))
            timings = {}
            for mode, full in (("incremental", False), ("full", True)):
                # untimed: the log's pages written by the run before go to the case file now, not in the
                # next run's commit (SQLite checkpoints when the log passes 1,000 pages)
                case.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                t0 = time.perf_counter()
                result = case.run(program, collect=False, full=full)
                last = result.run_id
                timings[f"{mode}_s"] = time.perf_counter() - t0
                timings[f"{mode}_mode"] = result.reuse.to_json()
                timings[f"{mode}_digest"] = facts_digest(case.conn, program, result.run_id)
            out[name] = timings
    return out


def bench_incremental(work: Path, sizes: list[int], say) -> dict:
    """Per size and change: the incremental run's time over the full run's, and whether they are identical."""
    say("\n== incremental: one edge or one listing added to the OFAC case, run again (incremental, then --full) ==")
    say(f"{'edges':>10}{'change':>13}{'incr s':>9}{'full s':>9}{'ratio':>8}  mode; target <= {TARGET:.0%}")
    out = {}
    for size in sizes:
        db, _ = ofac_run(work, size, "incremental")
        r = run_job("incremental", rulebook=str(BENCH / "ofac_bench.rules"), db=str(db),
                    folder=str(work / f"incremental_changes_{size}"))
        for change in CHANGES:
            c = r[change]
            assert c["incremental_digest"] == c["full_digest"], f"{size} {change}: incremental run differs from full"
            c["ratio"] = c["incremental_s"] / c["full_s"]
            mode = c["incremental_mode"]
            said = mode.get("reason") or (f"{mode['strata_reused']} of {mode['strata']} strata taken over, "
                                          f"{mode['strata_propagated']} updated by their changes, "
                                          f"{mode['strata_resumed']} resumed, {mode['facts_reused']} facts")
            say(f"{size:>10,}{change:>13}{c['incremental_s']:>9.3f}{c['full_s']:>9.3f}{c['ratio']:>7.1%}  "
                f"{mode['mode']} ({said}); {'met' if c['ratio'] <= TARGET else 'MISSED'}")
        out[str(size)] = dict(r, loadavg_1m=r["loadavg_1m"])
        for p in work.glob(f"incremental_{size}.db*"):
            p.unlink()
    return out
