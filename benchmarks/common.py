"""Running one measured job in a subprocess and reading its result and peak memory."""

from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent


class JobFailed(RuntimeError):
    pass


def run_job(job: str, timeout: float | None = None, env: dict[str, str] | None = None, **args) -> dict:
    """Run `python -m benchmarks.jobs JOB ARGS-JSON` (with `env` added to the environment); returns its JSON
    result plus wall time and peak RSS (MiB)."""
    cmd = [sys.executable, "-m", "benchmarks.jobs", job, json.dumps(args)]
    load_before = os.getloadavg()[0]
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **(env or {})))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise JobFailed(f"{job} timed out after {timeout} s") from None
    # communicate() has reaped the child, so per-child rusage comes from the job's own report.
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the job and its own children, now reaped
    cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    if proc.returncode != 0:
        raise JobFailed(f"{job} failed (exit {proc.returncode}):\n{err[-4000:]}")
    lines = [line for line in out.splitlines() if line.startswith("{")]
    result = json.loads(lines[-1])
    result["wall_s"] = wall
    result["process_cpu_s"] = cpu
    # other work on the machine inflates timings: keep the 1-minute load average around each job
    result["loadavg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    return result


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB: VmHWM of /proc/self/status.

    Not ru_maxrss: Linux carries the parent's resident size across fork+exec into the child's
    ru_maxrss, so a job started by a parent holding generated data would report the parent's size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(), "cpu": cpu, "memory_gib": mem,
        "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
    }


def ofac_run(work: Path, size: int, stem: str) -> tuple[Path, dict]:
    """A fresh case file `work/<stem>_<size>.db`, loaded with the size's OFAC facts (generated once) and run
    by the `warrant` job: (the case file, the job's result)."""
    from .gen import write_ofac

    facts = work / f"ofac_{size}"
    if not (facts / "owns.csv").exists():
        write_ofac(facts, size)
    db = work / f"{stem}_{size}.db"
    for p in work.glob(f"{stem}_{size}.db*"):
        p.unlink()
    run = run_job("warrant", rulebook=str(BENCH / "ofac_bench.rules"), facts=str(facts), db=str(db),
                  conclusion="blocked")
    return db, run
