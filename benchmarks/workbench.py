"""The workbench's entity and conclusion pages on OFAC case files (issue 17: each within 200 ms at 1M edges).

Per size: one `warrant` job loads and runs a fresh case file (kept), then one `workbench` job opens it with
the workbench (read-only) and asks, in process through Starlette's test client (no network), for the page
of each sampled blocked entity and the page of its `blocked` conclusion: latency and page size. The first
request of each kind is a warm-up (it reads the rulebooks and fills SQLite's cache) and is reported apart.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from .common import ofac_run, run_job

WORKBENCH_SIZES = [10_000, 100_000, 1_000_000]
WORKBENCH_QUICK = [10_000]
TARGET_MS = 200.0


def _stats(times: list[float], sizes: list[int]) -> dict:
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))], "max_ms": ms[-1],
            "median_kib": statistics.median(sizes) / 1024, "max_kib": max(sizes) / 1024}


def workbench_job(db: str, sample: int = 20, seed: int = 1) -> dict:
    """Time the entity page and the conclusion page of `sample` blocked entities of the latest run."""
    from starlette.testclient import TestClient

    from engine.workbench.app import create_app

    app = create_app(db)
    with TestClient(app) as client:
        bench = app.state.workbench
        run_id = bench.case.latest_run()
        blocked = sorted(row[0] for row in bench.case.conclusions(run_id)["blocked"])
        picked = random.Random(seed).sample(blocked, min(sample, len(blocked)))
        out: dict = {"run_id": run_id, "blocked": len(blocked), "sampled": len(picked)}
        for page, params in (("entity", lambda e: {"id": e}),
                             ("conclusion", lambda e: {"run": run_id, "atom": f'blocked("{e}")'})):
            t0 = time.perf_counter()
            first = client.get(f"/{page}", params=params(picked[0]))
            out[f"{page}_first_ms"] = (time.perf_counter() - t0) * 1000
            assert first.status_code == 200, first.text[-500:]
            times, sizes = [], []
            for entity in picked:
                t0 = time.perf_counter()
                response = client.get(f"/{page}", params=params(entity))
                times.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.text[-500:]
                sizes.append(len(response.content))
            out[page] = _stats(times, sizes)
    return out


def bench_workbench(work: Path, sizes: list[int], say) -> dict:
    """Build each size's case file, then time the pages in a job of their own."""
    say("\n== workbench pages (warrant serve) on OFAC case files, 20 blocked entities each ==")
    say(f"{'edges':>10}{'blocked':>9}  {'page':<11}{'first ms':>9}{'median ms':>10}{'p90 ms':>8}{'max ms':>8}"
        f"{'median KiB':>11}{'max KiB':>8}  target median <= {TARGET_MS:g} ms")
    out = {}
    for size in sizes:
        db, run = ofac_run(work, size, "workbench")
        r = run_job("workbench", db=str(db))
        r["run"] = run
        for page in ("entity", "conclusion"):
            s = r[page]
            met = "met" if s["median_ms"] <= TARGET_MS else "MISSED"
            say(f"{size:>10,}{r['blocked']:>9,}  {page:<11}{r[page + '_first_ms']:>9.0f}{s['median_ms']:>10.1f}"
                f"{s['p90_ms']:>8.1f}{s['max_ms']:>8.1f}{s['median_kib']:>11.1f}{s['max_kib']:>8.1f}  {met}")
        out[str(size)] = r
        for p in work.glob(f"workbench_{size}.db*"):
            p.unlink()
    return out
