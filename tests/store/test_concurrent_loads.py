"""Several processes loading into one case and reading its audit log at once, on PostgreSQL and on SQLite
(issue 18): no load fails or is lost, every load has its own batch, every record is stored once, and the
audit log stays one intact chain. WARRANT_CONCURRENCY_SECONDS lengthens the test (default: a few loads each)."""

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
    return facts


def _work(db: str, folder: str, worker: int, seconds: float) -> tuple[int, str | None]:
    """Load again and again, reading the audit log between loads: (loads done, the first error)."""
    program = api.load_rulebook(OFAC)
    done, until = 0, time.monotonic() + seconds
    try:
        while done < MIN_LOADS or time.monotonic() < until:
            with api.Case.open(db, actor=f"worker-{worker}") as case:
                case.load(program, _facts(Path(folder), worker, done), progress=False)
                case.audit_entries(action="evidence.load")
            done += 1
    except Exception as exc:  # noqa: BLE001 - returned to the test, which names it
        return done, f"{type(exc).__name__}: {exc}"
    return done, None


def _run_workers(db: str, folder: Path) -> list[tuple[int, str | None]]:
    api.Case.open(db).close()  # made once, before the workers race to open it
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        return pool.starmap(_work, [(db, str(folder), w, SECONDS) for w in range(WORKERS)])


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_concurrent_loads_all_land_once_and_the_chain_holds(database, tmp_path, request):
    db = str(tmp_path / "case.db") if database == "sqlite" else request.getfixturevalue("postgres_url")
    results = _run_workers(db, tmp_path / "facts")
    assert [error for _, error in results if error] == []
    loads = sum(done for done, _ in results)
    with api.Case.open(db, create=False) as case:
        batches = [r[0] for r in case.conn.execute("SELECT id FROM loads ORDER BY id")]
        owners = case.conn.execute("SELECT COUNT(*), COUNT(DISTINCT _hash) FROM ev_owns").fetchone()
        report = case.verify_audit()
        logged = case.audit_entries(action="evidence.load")
    assert batches == list(range(1, loads + 1))
    assert tuple(owners) == (loads * 20 + 1, loads * 20 + 1)  # the shared record once
    assert report.ok and len(logged) == loads
    assert sorted(e.details["batch"] for e in logged) == batches
