"""Several processes loading, running and reading one case at once, on PostgreSQL and on SQLite (issue 18):
no load or run fails or is lost, every load has its own batch, every record is stored once, every run is
stored whole, and the audit log stays one intact chain. WARRANT_CONCURRENCY_SECONDS lengthens the test
(default: three loads and two runs by each process)."""

import json
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from engine import api

ROOT = Path(__file__).resolve().parents[2]
OFAC = ROOT / "rulebooks/ofac_50.rules"
WORKERS = 8
SECONDS = float(os.environ.get("WARRANT_CONCURRENCY_SECONDS", "0"))
MIN_LOADS = 3  # each worker's, however short the time


def _facts(folder: Path, worker: int, n: int) -> Path:
    """A facts folder of records only this load brings, and one every load brings."""
    facts = folder / f"w{worker}-{n}"
    facts.mkdir(parents=True)
    rows = [f"co:w{worker}-{n}-{j},co:target-{j % 7},{10 + j}" for j in range(20)] + ["co:shared,co:everyone,5"]
    (facts / "owns.csv").write_text("owner,owned,percent\n" + "\n".join(rows) + "\n")
    (facts / "listed.csv").write_text(f"party,list\nco:w{worker}-{n}-0,SDN\n")
    return facts


def _work(db: str, folder: str, worker: int, seconds: float) -> tuple[int, int, str | None]:
    """Load again and again, running the rulebook after every load but the first and reading what the run
    concluded and why: (loads done, runs done, the first error)."""
    program = api.load_rulebook(OFAC)
    done, runs, until = 0, 0, time.monotonic() + seconds
    try:
        while done < MIN_LOADS or time.monotonic() < until:
            with api.Case.open(db, actor=f"worker-{worker}") as case:
                case.load(program, _facts(Path(folder), worker, done), progress=False)
                if done:
                    result = case.run(program, progress=False)
                    blocked = case.conclusions(result.run_id)["blocked"]
                    assert blocked and case.why(f'blocked("{blocked[0][0]}")', result.run_id).root
                    runs += 1
                case.audit_entries(action="evidence.load")
            done += 1
    except Exception as exc:  # noqa: BLE001 - returned to the test, which names it
        return done, runs, f"{type(exc).__name__}: {exc}"
    return done, runs, None


def _run_workers(db: str, folder: Path) -> list[tuple[int, int, str | None]]:
    api.Case.open(db).close()  # made once, before the workers race to open it
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        return pool.starmap(_work, [(db, str(folder), w, SECONDS) for w in range(WORKERS)])


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_concurrent_loads_and_runs_all_land_whole_and_the_chain_holds(database, tmp_path, request):
    db = str(tmp_path / "case.db") if database == "sqlite" else request.getfixturevalue("postgres_url")
    results = _run_workers(db, tmp_path / "facts")
    assert [error for _, _, error in results if error] == []
    loads, runs = sum(done for done, _, _ in results), sum(runs for _, runs, _ in results)
    with api.Case.open(db, create=False) as case:
        batches = [r[0] for r in case.conn.execute("SELECT id FROM loads ORDER BY id")]
        owners = case.conn.execute("SELECT COUNT(*), COUNT(DISTINCT _hash) FROM ev_owns").fetchone()
        report = case.verify_audit()
        logged = case.audit_entries(action="evidence.load")
        stored = case.conn.execute("SELECT id, counts FROM runs ORDER BY id").fetchall()
        facts = {run: case.conn.execute("SELECT COUNT(*) FROM fact_blocked WHERE run_id = ?", [run]).fetchone()[0]
                 for run, _ in stored}
    assert batches == list(range(1, loads + 1))
    assert [run for run, _ in stored] == [f"run-{n:06d}" for n in range(1, runs + 1)]
    assert all(json.loads(counts)["blocked"] == facts[run] > 0 for run, counts in stored)  # each run whole
    assert tuple(owners) == (loads * 20 + 1, loads * 20 + 1)  # the shared record once
    assert report.ok and len(logged) == loads
    assert sorted(e.details["batch"] for e in logged) == batches
