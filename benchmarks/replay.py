"""Replay against the run it reproduces, on OFAC case files (issue 19): time and peak memory.

Per size: one `warrant` job loads and runs a fresh case file (kept), then one `replay` job per proof mode
replays that run in a process of its own, so each peak is the replay's alone."""

from __future__ import annotations

import time
from pathlib import Path

from .common import ofac_run, run_job

REPLAY_SIZES = [10_000, 100_000, 1_000_000]
REPLAY_QUICK = [10_000]
ALL_PROOFS_UP_TO = 10_000  # `--proofs all` rebuilds two proofs per conclusion: minutes beyond this size
TARGET = 3.0  # replay within 3x its run's time (issue 19)


def replay_job(db: str, proofs: str = "auto") -> dict:
    """Replay the latest run of the case file `db` with the given proof mode."""
    from engine.api import Case

    with Case.open(db) as case:
        run_id = case.latest_run()
        t0 = time.perf_counter()
        report = case.replay(run_id, proofs)
        t1 = time.perf_counter()
    return {"replay_s": t1 - t0, "identical": report.identical, "conclusions": report.conclusions,
            "proofs_compared": report.proofs_compared, "run_id": run_id}


def bench_replay(work: Path, sizes: list[int], say) -> dict:
    """Run then replay each size; the ratio is the replay's time over the run's evaluation (the stricter
    reading of "its run's time"; over load and evaluation it is lower)."""
    say("\n== replay (warrant replay RUN) against the run it reproduces, OFAC case files ==")
    say(f"{'edges':>10}{'blocked':>9}{'run eval s':>11}{'load+run s':>11}{'replay s':>9}{'/eval':>9}{'/total':>8}"
        f"{'run MiB':>8}{'replay MiB':>11}  proofs   target <= {TARGET:g}x eval")
    out = {}
    for size in sizes:
        db, run = ofac_run(work, size, "replay")
        modes = ["auto", "all"] if size <= ALL_PROOFS_UP_TO else ["auto"]
        res = {"run": run}
        for mode in modes:
            r = run_job("replay", db=str(db), proofs=mode)
            assert r["identical"], f"the {size}-edge run did not replay identically ({mode})"
            r["over_eval"], r["over_total"] = r["replay_s"] / run["eval_s"], r["replay_s"] / run["total_s"]
            res[mode] = r
            met = "met" if r["over_eval"] <= TARGET else "MISSED"
            say(f"{size:>10,}{r['conclusions']:>9,}{run['eval_s']:>11.3f}{run['total_s']:>11.3f}{r['replay_s']:>9.3f}"
                f"{r['over_eval']:>8.2f}x{r['over_total']:>7.2f}x{run['peak_rss_mib']:>8.0f}{r['peak_rss_mib']:>11.0f}"
                f"  {mode:<7}  {met if mode == 'auto' else '(no target)'}")
        out[str(size)] = res
        for p in work.glob(f"replay_{size}.db*"):
            p.unlink()
    return out
