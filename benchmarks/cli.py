"""OFAC through the command line, as a user runs it (issue 15): `warrant run RULEBOOK --facts DIR --db NEW.db`
as a whole process (Python's start, the imports, a new case file, the load, the run, every conclusion
printed to a file), against the hand-written SQLite baseline as a whole process too (the `ofac_sql` job:
Python's start, CSV loading, indexes, ANALYZE, the fixpoint). The rulebook is checked once first with
`warrant check`, as a legal officer does when saving it; each run then reads the checked rulebook back."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .common import BENCH, ROOT, JobFailed, run_job
from .gen import write_ofac

CLI_SIZES = [10_000, 100_000, 1_000_000]
CLI_QUICK = [10_000]
TARGET = 3.0


def warrant_command() -> str:
    """The `warrant` script of the running Python's environment (what `pip install` puts on PATH)."""
    script = Path(sys.executable).with_name("warrant")
    if not script.exists():
        raise FileNotFoundError(f"no {script}: install the package (pip install -e .) first")
    return str(script)


def run_cli(args: list[str], out: Path) -> dict:
    """Run `warrant ARGS` with its output written to `out`; wall seconds from outside, and the process's
    peak resident size (ru_maxrss of the child: at least this process's size at the fork, which is small)."""
    errors = out.with_suffix(".err")
    start = time.perf_counter()
    with open(out, "wb") as sink, open(errors, "wb") as err:
        proc = subprocess.Popen([warrant_command(), *args], cwd=ROOT, stdout=sink, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # reaped by wait4 above
    if code != 0:
        text = errors.read_text(encoding="utf-8", errors="replace")
        raise JobFailed(f"warrant {' '.join(args)} failed (exit {code}): {text[-2000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mib": usage.ru_maxrss / 1024,
            "loadavg_1m": round(os.getloadavg()[0], 2)}


def _blocked(out: Path) -> list[str]:
    """The blocked parties `warrant run` printed (lines `    blocked("...")`)."""
    lines = out.read_text(encoding="utf-8").splitlines()
    return sorted(line.strip()[len('blocked("'):-2] for line in lines if line.startswith('    blocked("'))


def compile_engine() -> None:
    """Compile the engine's modules where they are stale, as a wheel install does and scripts/setup.sh does
    for the editable one: under PYTHONDONTWRITEBYTECODE a module changed since would otherwise be compiled
    again in every timed process."""
    import compileall

    compileall.compile_dir(str(ROOT / "engine"), quiet=1)


def bench_cli(work: Path, sizes: list[int], runs_for, say) -> dict:
    """Per size: `runs_for(size)` alternating runs of the baseline and of `warrant run`, each a whole process
    on a fresh database; the ratio of the medians of their wall times, and every run's blocked set compared."""
    say("\n== OFAC through the command line: `warrant run` vs the hand-written baseline, whole processes ==")
    rulebook = str(BENCH / "ofac_bench.rules")
    compile_engine()
    checked = run_cli(["check", rulebook], work / "cli_check.txt")
    say(f"`warrant check` once before the runs: {checked['wall_s']:.3f} s; wall times, medians")
    say(f"{'edges':>10}{'blocked':>9}{'runs':>5}{'SQL s':>8}{'warrant s':>10}{'ratio':>8}{'pairs':>13}"
        f"{'SQL cpu':>8}{'W cpu':>7}{'cpu ratio':>10}{'peak MiB':>9}  target <= {TARGET:g}x (wall)")
    out = {"check": checked}
    for size in sizes:
        facts = work / f"ofac_{size}"
        if not (facts / "owns.csv").exists():
            write_ofac(facts, size)
        sqls, ws = [], []
        for _ in range(runs_for(size)):
            db = work / f"cli_sql_{size}.db"
            for p in work.glob(f"cli_sql_{size}.db*"):
                p.unlink()
            sqls.append(run_job("ofac_sql", facts=str(facts), db=str(db)))
            for p in work.glob(f"cli_warrant_{size}.db*"):
                p.unlink()
            printed = work / f"cli_warrant_{size}.txt"
            w = run_cli(["run", rulebook, "--facts", str(facts), "--db", str(work / f"cli_warrant_{size}.db")], printed)
            blocked = _blocked(printed)
            w["count"] = len(blocked)
            assert w["count"] == sqls[-1]["count"], f"{size}: warrant printed {w['count']} blocked, SQL {sqls[-1]['count']}"
            ws.append(w)
        sql_s, w_s = statistics.median(r["wall_s"] for r in sqls), statistics.median(r["wall_s"] for r in ws)
        pairs = [a["wall_s"] / b["wall_s"] for a, b in zip(ws, sqls)]
        ratio = w_s / sql_s
        sql_cpu, w_cpu = statistics.median(r["process_cpu_s"] for r in sqls), statistics.median(r["cpu_s"] for r in ws)
        say(f"{size:>10,}{ws[0]['count']:>9,}{len(ws):>5}{sql_s:>8.3f}{w_s:>10.3f}{ratio:>7.2f}x"
            f"{min(pairs):>6.2f}-{max(pairs):<6.2f}{sql_cpu:>8.2f}{w_cpu:>7.2f}{w_cpu / sql_cpu:>9.2f}x"
            f"{max(r['peak_rss_mib'] for r in ws):>9.0f}  {'met' if ratio <= TARGET else 'MISSED'}")
        out[str(size)] = {"sql_runs": sqls, "warrant_runs": ws, "ratio": ratio, "pairs": pairs,
                          "cpu_ratio": w_cpu / sql_cpu}
        for p in work.glob(f"cli_*_{size}.*"):
            p.unlink()
    return out
