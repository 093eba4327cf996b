"""Eight processes loading, running and reading one case at once for a minute, on PostgreSQL and on SQLite
(issue 18's acceptance): no command fails, no load is lost (every load's records are there under its own
source, in its own batch, the record every load brings stored once), every run is stored whole, the audit
log stays one intact chain (`warrant audit verify`), and every stored run replays exactly.

WARRANT_CONCURRENCY_SECONDS sets how long the processes work (default 60 per database; each process does at
least MIN_ROUNDS rounds however short the time)."""

import json
import multiprocessing
import os
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.store.facts import run_rows
from engine import api

ROOT = Path(__file__).resolve().parents[2]
OFAC = ROOT / "rulebooks/ofac_50.rules"
WORKERS = 8
SECONDS = float(os.environ.get("WARRANT_CONCURRENCY_SECONDS", "60"))
MIN_ROUNDS = 3  # each worker's, however short the time
OWNS = 20  # records of each load's owns.csv that only it brings; it brings one more that every load brings
SHARED = "shared"  # the source of that one


@dataclass(frozen=True)
class Tally:
    """What one worker did: (source, batch) of each load, the runs it made, and the first error (None: none)."""

    loads: tuple[tuple[str, int], ...]
    runs: tuple[str, ...]
    error: str | None


def _source(worker: int, n: int) -> str:
    return f"w{worker}-{n}"


def _facts(folder: Path, worker: int, n: int) -> Path:
    """A facts folder whose records only this load brings (a source of its own, named by its manifest), and
    one record every load brings. Its party `co:wW-N-0` is listed and owns 10% of `co:target-0`, which is
    blocked once five loads' parties own it."""
    source = _source(worker, n)
    facts = folder / source
    facts.mkdir(parents=True)
    rows = [f"co:{source}-{j},co:target-{j % 7},{10 + j},{source}" for j in range(OWNS)] + [
        f"co:shared,co:everyone,5,{SHARED}"]
    (facts / "owns.csv").write_text("owner,owned,percent,_source\n" + "\n".join(rows) + "\n")
    (facts / "listed.csv").write_text(f"party,list\nco:{source}-0,SDN\n")
    (facts / "manifest.json").write_text(json.dumps({
        "sources": [{"id": source, "name": f"worker {worker}, load {n}", "kind": "test", "reliability": "B"},
                    {"id": SHARED, "name": "every load", "kind": "test"}],
        "files": {"owns.csv": {"source": source}, "listed.csv": {"source": source}}}))
    return facts


def _round(db: str, folder: Path, worker: int, n: int, program) -> tuple[tuple[str, int], str]:
    """One round, each step a case opened anew as a command does: load, ask of the rulebook before any run
    saw the load (a partial evaluation, or the current run of another worker), run, and read the run (why,
    what for, why not) and the latest run: (the load's source and batch, the run)."""
    source = _source(worker, n)
    party, unblocked = f'blocked("co:{source}-0")', f'blocked("co:{source}-1")'
    with api.Case.open(db, actor=f"worker-{worker}") as case:
        batch = case.load(program, _facts(folder, worker, n), progress=False).batch
    with api.Case.open(db, actor=f"worker-{worker}") as case:
        assert case.why(party, program=program).atom == party
        assert not case.whynot(unblocked, program=program).holds
    with api.Case.open(db, actor=f"worker-{worker}") as case:
        run = case.run(program, progress=False).run_id
    with api.Case.open(db, actor=f"worker-{worker}") as case:
        assert [f"co:{source}-0"] in case.conclusions(run)["blocked"]
        assert case.why(party, run).root
        assert [f"co:{source}-0"] in case.query("blocked(X)", run)[1]
        answer = case.whynot(unblocked, run)
        assert not answer.holds and answer.attempts
        assert case.query('owns(X, "co:everyone", P)')[1]  # the latest run, whoever made it
    return (source, batch), run


def _work(db: str, folder: str, worker: int, seconds: float) -> Tally:
    """Rounds until `seconds` have passed (at least MIN_ROUNDS): what was done, and the first error."""
    program = api.load_rulebook(OFAC)
    loads, runs, until = [], [], time.monotonic() + seconds
    try:
        while len(runs) < MIN_ROUNDS or time.monotonic() < until:
            load, run = _round(db, Path(folder), worker, len(runs), program)
            loads.append(load)
            runs.append(run)
    except Exception as exc:  # noqa: BLE001 - returned to the test, which names it
        error = f"worker {worker}, round {len(runs)}: {type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        return Tally(tuple(loads), tuple(runs), error)
    return Tally(tuple(loads), tuple(runs), None)


def _replay(db: str, runs: list[str]) -> list[tuple[str, bool]]:
    """Replay each run: (run, whether it replayed exactly)."""
    with api.Case.open(db, create=False) as case:
        return [(run, case.replay(run).identical) for run in runs]


def _in_workers(function, arguments: list[tuple]) -> list:
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        return pool.starmap(function, arguments)


@pytest.mark.parametrize("database", [
    pytest.param("sqlite", marks=pytest.mark.sqlite_only(reason="the case file's side; the other is PostgreSQL's")),
    "postgres"])
def test_eight_processes_loading_running_and_reading_for_a_minute(database, tmp_path, request):
    db = str(tmp_path / "case.db") if database == "sqlite" else request.getfixturevalue("postgres_url")
    api.Case.open(db).close()  # made once, before the workers race to open it
    started = time.monotonic()
    tallies = _in_workers(_work, [(db, str(tmp_path / "facts"), w, SECONDS) for w in range(WORKERS)])
    worked = time.monotonic() - started
    assert [t.error for t in tallies if t.error] == []
    loads = sorted(load for t in tallies for load in t.loads)
    runs = sorted(run for t in tallies for run in t.runs)
    with api.Case.open(db, create=False) as case:
        batches = [r[0] for r in case.conn.execute("SELECT id FROM loads ORDER BY id")]
        owns = case.conn.execute("SELECT _source, _batch, COUNT(*) FROM ev_owns GROUP BY _source, _batch").fetchall()
        listed = case.conn.execute("SELECT _source, _batch, COUNT(*) FROM ev_listed GROUP BY _source, _batch").fetchall()
        shared = case.conn.execute("SELECT COUNT(*) FROM ev_owns WHERE owner = 'co:shared'").fetchone()[0]
        logged = sorted((e.details["batch"], e.actor) for e in case.audit_entries(action="evidence.load"))
        stored = case.conn.execute("SELECT id, counts FROM runs ORDER BY id").fetchall()
        together = case.conclusions(runs[-1])["blocked"]
        facts = {run: case.conn.execute(f"SELECT COUNT(*) FROM fact_blocked WHERE {run_rows(run)[0]}",
                                        run_rows(run)[1]).fetchone()[0]
                 for run, _ in stored}
    # no lost load: every load in its own batch, its records under its own source, the shared record once
    assert batches == sorted(batch for _, batch in loads) == list(range(1, len(loads) + 1))
    assert sorted(listed) == [(source, batch, 1) for source, batch in loads]
    assert sorted(row for row in owns if row[0] != SHARED) == [(source, batch, OWNS) for source, batch in loads]
    assert [n for source, _, n in owns if source == SHARED] == [1] == [shared]
    assert logged == sorted((batch, f"worker-{w}") for w, tally in enumerate(tallies) for _, batch in tally.loads)
    # every run stored whole, and the ones the workers made are all there are
    assert [run for run, _ in stored] == runs == [f"run-{n:06d}" for n in range(1, len(runs) + 1)]
    assert all(json.loads(counts)["blocked"] == facts[run] > 0 for run, counts in stored)
    assert ["co:target-0"] in together  # owned 10% by each of at least five loads' parties
    replaying = time.monotonic()
    replayed = _in_workers(_replay, [(db, runs[w::WORKERS]) for w in range(WORKERS)])
    assert sorted(run for part in replayed for run, _ in part) == runs
    assert [run for part in replayed for run, identical in part if not identical] == []
    with api.Case.open(db, create=False) as case:
        made = sorted(e.entity for e in case.audit_entries(action="run"))
        replays = sorted((e.entity, e.details["identical"]) for e in case.audit_entries(action="replay"))
    assert made == runs and replays == [(run, True) for run in runs]
    verified = subprocess.run([sys.executable, "-m", "engine.cli", "audit", "verify", "--db", db], cwd=tmp_path,
                              capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=600)
    assert verified.returncode == 0 and "audit log intact" in verified.stdout, verified.stderr
    print(f"\n{database}: {WORKERS} processes for {worked:.0f} s: {len(loads)} loads, {len(runs)} runs, 7 answers "
          f"read after each; then {len(runs)} runs replayed exactly in {time.monotonic() - replaying:.0f} s")
