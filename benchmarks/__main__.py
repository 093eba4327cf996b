"""python -m benchmarks [--quick] [--only tc|ofac|proof|replay|check|workbench|postgres|rls] [--sizes 10000,100000,1000000] [--keep DIR]

Runs every benchmark (each measured job in its own subprocess), prints a table, checks that all
peers agree (same path count, identical blocked sets), and writes benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from .common import BENCH, JobFailed, machine, run_job
from .gen import tc_edges, write_ofac, write_tc
from .checking import CHECK_QUICK, CHECK_SIZES, bench_check
from .ftm import FTM_QUICK, FTM_SIZES, bench_ftm
from .cli import CLI_QUICK, CLI_SIZES, bench_cli
from .provenance import PROVENANCE_QUICK, PROVENANCE_SIZES, bench_provenance
from .incremental import INCREMENTAL_QUICK, INCREMENTAL_SIZES, bench_incremental
from .point import POINT_QUICK, POINT_SIZES, bench_point
from .postgres import POSTGRES_QUICK, POSTGRES_SIZES, bench_postgres
from .replay import REPLAY_QUICK, REPLAY_SIZES, bench_replay
from .rls import RLS_QUICK, RLS_SIZES, bench_rls
from .workbench import WORKBENCH_QUICK, WORKBENCH_SIZES, bench_workbench

TARGETS = {"tc_pydatalog_over_warrant_min": 15.0, "tc_warrant_over_sql_max": 1.5,
           "ofac_warrant_over_sql_max": 3.0, "ofac_peak_gib_max": 2.0, "proof_median_ms_max": 50.0,
           "replay_over_run_max": 3.0, "check_ms_per_rule_growth_max": 1.5}
TC_FULL = (3000, 4000)
TC_QUICK = (700, 910)
OFAC_FULL = [10_000, 100_000, 1_000_000]
OFAC_QUICK = [2_000, 10_000]
TC_REPEAT = 3  # runs of Warrant, the hand-written SQL and clingo on the closure; medians compared
SMALL, REPEAT_SMALL, REPEAT_LARGE = 100_000, 7, 3  # runs per peer up to SMALL edges, and above; medians compared


def say(text: str = "") -> None:
    print(text, flush=True)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def bench_tc(work: Path, quick: bool, skip_pydatalog: bool) -> dict:
    nodes, n_edges = TC_QUICK if quick else TC_FULL
    facts = write_tc(work / "tc", tc_edges(nodes, n_edges))
    say(f"\n== transitive closure: {nodes} nodes, {n_edges} edges (seed 1); medians of {TC_REPEAT} runs ==")
    res = {"nodes": nodes, "edges": n_edges}
    res["check"] = run_job("check", rulebook=str(BENCH / "tc_bench.rules"))  # as `warrant check` would
    runs: dict[str, list[dict]] = {"warrant": [], "sql": [], "clingo": []}
    for _ in range(TC_REPEAT):  # alternating; each peer's median (pyDatalog, minutes long, runs once)
        for p in work.glob("tc_*.db*"):
            p.unlink()
        runs["warrant"].append(run_job("warrant", rulebook=str(BENCH / "tc_bench.rules"), facts=str(facts),
                                       db=str(work / "tc_warrant.db"), conclusion="path"))
        runs["sql"].append(run_job("tc_sql", facts=str(facts), db=str(work / "tc_sql.db")))
        runs["clingo"].append(run_job("tc_clingo", facts=str(facts)))
    assert len({r["count"] for done in runs.values() for r in done}) == 1, "runs disagree on the number of paths"
    for peer, done in runs.items():
        res[peer] = _median_run(done)
        res[peer]["runs"] = done
    if not skip_pydatalog:
        res["pydatalog"] = run_job("tc_pydatalog", facts=str(facts), timeout=1800)
    counts = {k: v["count"] for k, v in res.items() if isinstance(v, dict) and "count" in v}
    assert len(set(counts.values())) == 1, f"peers disagree on the number of paths: {counts}"
    res["paths"] = res["warrant"]["count"]
    w = res["warrant"]
    say(f"{'peer':<26}{'load s':>9}{'eval s':>9}{'total s':>9}{'peak MiB':>10}")
    for name, label in [("warrant", "Warrant (provenance)"), ("sql", "hand-written SQL"),
                        ("clingo", "clingo 5 (ground+solve)"), ("pydatalog", "pyDatalog")]:
        if name in res:
            r = res[name]
            say(f"{label:<26}{r['load_s']:>9.3f}{r['eval_s']:>9.3f}{r['total_s']:>9.3f}{r['peak_rss_mib']:>10.0f}")
    say(f"paths: {res['paths']:,} (all peers agree); Warrant rounds: {w['rounds']}")
    ratios = {"warrant_eval_over_sql_eval": w["eval_s"] / res["sql"]["eval_s"],
              "warrant_total_over_sql_total": w["total_s"] / res["sql"]["total_s"],
              "warrant_eval_over_clingo": w["eval_s"] / res["clingo"]["total_s"]}
    if "pydatalog" in res:
        ratios["pydatalog_over_warrant_eval"] = res["pydatalog"]["total_s"] / w["eval_s"]
        ratios["pydatalog_over_warrant_total"] = res["pydatalog"]["total_s"] / w["total_s"]
        say(f"pyDatalog / Warrant: {ratios['pydatalog_over_warrant_eval']:.1f}x (evaluation), "
            f"{ratios['pydatalog_over_warrant_total']:.1f}x (load+evaluation); target >= 15x: "
            f"{verdict(ratios['pydatalog_over_warrant_eval'] >= TARGETS['tc_pydatalog_over_warrant_min'])}")
    say(f"Warrant / hand SQL: {ratios['warrant_eval_over_sql_eval']:.2f}x (evaluation), "
        f"{ratios['warrant_total_over_sql_total']:.2f}x (total); target <= 1.5x: "
        f"{verdict(ratios['warrant_eval_over_sql_eval'] <= TARGETS['tc_warrant_over_sql_max'])}")
    say(f"Warrant / clingo: {ratios['warrant_eval_over_clingo']:.2f}x (evaluation vs ground+solve)")
    res["ratios"] = ratios
    return res


def repeats_for(size: int, repeat: int | None) -> int:
    """How many times each OFAC peer runs at `size`: single runs vary by tens of percent on a shared machine
    (most at small sizes), so every size is repeated, alternating the peers, and their medians compared."""
    return repeat if repeat else (REPEAT_SMALL if size <= SMALL else REPEAT_LARGE)


def bench_ofac(work: Path, sizes: list[int], keep_db_for_proof: int | None, repeat: int | None = None,
               cold: bool = True) -> dict:
    say("\n== OFAC 50% rule (benchmarks/ofac_bench.rules) ==")
    rulebook = str(BENCH / "ofac_bench.rules")
    check = run_job("check", rulebook=rulebook)  # as `warrant check` would: the checked rulebook is cached
    say(f"rulebook parsed and checked once before the runs (cold): {check['parse_s'] * 1e3:.1f} ms; "
        "medians over the repeated runs; cold = one run with WARRANT_RULEBOOK_CACHE=0")
    out = {"check": check}
    say(f"{'edges':>10}{'entities':>10}{'blocked':>9}{'rounds':>7}{'runs':>5}{'SQL s':>8}{'W rulebook':>11}"
        f"{'W load s':>9}{'W eval s':>9}{'W total s':>10}{'W/SQL':>7}{'range':>12}{'cold W/SQL':>11}"
        f"{'W peak MiB':>11}  target <= 3x")
    for size in sizes:
        out[str(size)] = _ofac_size(work, size, rulebook, repeats_for(size, repeat), cold)
        if size != keep_db_for_proof:
            for p in work.glob(f"ofac_*_{size}.db*"):
                p.unlink()
    if sizes:
        top = out[str(max(sizes))]
        peak_gib = top["warrant"]["peak_rss_mib"] / 1024
        say(f"blocked sets identical at every size; Warrant peak at {max(sizes):,} edges: {peak_gib:.2f} GiB "
            f"(target <= 2 GiB: {verdict(peak_gib <= TARGETS['ofac_peak_gib_max'])})")
    return out


def _ofac_size(work: Path, size: int, rulebook: str, runs: int, cold: bool = True) -> dict:
    """One size: `runs` alternating runs of the baseline and Warrant (each on a fresh case file), then (with
    `cold`) one Warrant run without the rulebook cache; every run must give the baseline's blocked set."""
    facts = work / f"ofac_{size}"
    shape = write_ofac(facts, size)
    db = work / f"ofac_warrant_{size}.db"

    def warrant(env=None) -> dict:
        for p in work.glob(f"ofac_warrant_{size}.db*"):
            p.unlink()
        return run_job("warrant", env=env, rulebook=rulebook, facts=str(facts), db=str(db), conclusion="blocked",
                       keep_list=str(work / f"blocked_warrant_{size}.txt"))

    sqls, ws = [], []
    for _ in range(runs):
        for p in work.glob(f"ofac_sql_{size}.db*"):
            p.unlink()
        sqls.append(run_job("ofac_sql", facts=str(facts), db=str(work / f"ofac_sql_{size}.db"),
                            keep_list=str(work / f"blocked_sql_{size}.txt")))
        ws.append(warrant())
    cold = warrant({"WARRANT_RULEBOOK_CACHE": "0"}) if cold else None  # its case file is kept (as the others')
    for w in ws + ([cold] if cold else []):
        assert (w["count"], w["digest"]) == (sqls[0]["count"], sqls[0]["digest"]), \
            f"blocked sets differ at {size}: Warrant {w['count']} vs SQL {sqls[0]['count']} (see {work})"
    sql, w = _median_run(sqls), _median_run(ws)
    ratio = w["total_s"] / sql["total_s"]
    pairs = [a["total_s"] / b["total_s"] for a, b in zip(ws, sqls)]
    cold_ratio = cold["total_s"] / sql["total_s"] if cold else None
    fastest = min(r["total_s"] for r in ws) / min(r["total_s"] for r in sqls)
    say(f"{size:>10,}{shape['entities']:>10,}{w['count']:>9,}{w['rounds']:>7}{runs:>5}{sql['total_s']:>8.3f}"
        f"{w['rulebook_s'] * 1e3:>9.1f}ms{w['load_s']:>9.3f}{w['eval_s']:>9.3f}{w['total_s']:>10.3f}{ratio:>6.2f}x"
        f"{min(pairs):>6.2f}-{max(pairs):<5.2f}{f'{cold_ratio:.2f}x' if cold else '-':>11}{w['peak_rss_mib']:>11.0f}"
        f"  {verdict(ratio <= TARGETS['ofac_warrant_over_sql_max'])}")
    return {"shape": shape, "runs": runs, "sql": sql, "warrant": w, "sql_runs": sqls, "warrant_runs": ws,
            "warrant_cold": cold, "ratio_total": ratio, "ratio_pairs": pairs, "ratio_cold": cold_ratio,
            "ratio_fastest": fastest,
            "ratio_eval": w["eval_s"] / sql["eval_s"], "db": str(db)}


def _median_run(runs: list[dict]) -> dict:
    """Each timing (and peak) of a peer: the median over its runs; the other fields from the first run."""
    median = dict(runs[0])
    for key in runs[0]:
        if key.endswith("_s") or key == "peak_rss_mib":
            median[key] = statistics.median(r[key] for r in runs)
    return median


def bench_proof(db: Path, size: int) -> dict:
    say(f"\n== proof rebuild on the {size:,}-edge case file (50 blocked entities derived by R2) ==")
    r = run_job("proof", db=str(db), rulebook=str(BENCH / "ofac_bench.rules"), sample=50)
    c = r["core"]
    say(f"core (re-derive the fact + list the contributions, 2 SQL queries): median {c['median_ms']:.1f} ms, "
        f"p90 {c['p90_ms']:.1f} ms, max {c['max_ms']:.1f} ms; target median <= 50 ms: "
        f"{verdict(c['median_ms'] <= TARGETS['proof_median_ms_max'])}")
    if "full" in r:
        f = r["full"]
        say(f"full proof tree (engine.proof.build_proof): median {f['median_ms']:.1f} ms, p90 {f['p90_ms']:.1f} ms, "
            f"max {f['max_ms']:.1f} ms, median {f['nodes_median']:.0f} nodes; target: "
            f"{verdict(f['median_ms'] <= TARGETS['proof_median_ms_max'])}")
    if r.get("full_failures"):
        say(f"build_proof failed on {r['full_failures']} of {r['sampled']}: {r.get('full_error')}")
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, for a smoke run (about a minute)")
    ap.add_argument("--only", choices=["tc", "ofac", "proof", "replay", "check", "workbench", "provenance", "cli", "ftm",
                                       "incremental", "point", "postgres", "rls"], help="run one benchmark")
    ap.add_argument("--sizes", help="OFAC sizes in ownership edges, comma-separated (default 10000,100000,1000000)")
    ap.add_argument("--no-pydatalog", action="store_true", help="skip pyDatalog (it takes minutes on the full graph)")
    ap.add_argument("--repeat", type=int, help=f"OFAC runs per peer and size (default {REPEAT_SMALL} up to "
                                               f"{SMALL:,} edges, {REPEAT_LARGE} above)")
    ap.add_argument("--no-cold", action="store_true", help="OFAC: skip the run without the rulebook cache "
                                                           "(for the largest sizes, where it only adds minutes)")
    ap.add_argument("--keep", help="generate data and case files in this folder and keep them")
    ap.add_argument("--out", default=str(BENCH / "results" / "latest.json"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else (OFAC_QUICK if args.quick else OFAC_FULL)

    def sizes_for(quick: list[int], full: list[int]) -> list[int]:
        """A job's sizes: those given with --sizes, else the job's own quick or full list."""
        return sizes if args.sizes else (quick if args.quick else full)

    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="warrant-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    os.environ["XDG_CACHE_HOME"] = str(work / "cache")  # the jobs' grammar and rulebook caches start empty
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results = {"command": "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:]),
               "started": started, "machine": machine(), "quick": args.quick, "targets": TARGETS}
    m = results["machine"]
    say(f"machine: {m['nproc']} cores, {m['cpu']}, {m['memory_gib']} GiB; Python {m['python']}, SQLite {m['sqlite']}")
    say(f"data and case files: {work}")
    try:
        if args.only in (None, "tc"):
            results["tc"] = bench_tc(work, args.quick, args.no_pydatalog)
        if args.only in (None, "ofac", "proof"):
            proof_size = max(sizes) if args.only in (None, "proof") else None
            ofac_sizes = sizes if args.only != "proof" else [max(sizes)]
            results["ofac"] = bench_ofac(work, ofac_sizes, proof_size, args.repeat, cold=not args.no_cold)
            if proof_size:
                results["proof"] = bench_proof(Path(results["ofac"][str(proof_size)]["db"]), proof_size)
        if args.only in (None, "replay"):
            replay_sizes = sizes_for(REPLAY_QUICK, REPLAY_SIZES)
            results["replay"] = bench_replay(work, replay_sizes, say)
        if args.only in (None, "check"):
            results["check"] = bench_check(work, CHECK_QUICK if args.quick else CHECK_SIZES, say)
        if args.only in (None, "provenance"):
            prov_sizes = sizes_for(PROVENANCE_QUICK, PROVENANCE_SIZES)
            results["provenance"] = bench_provenance(work, prov_sizes, lambda n: repeats_for(n, args.repeat), say)
        if args.only in (None, "incremental"):
            inc_sizes = sizes_for(INCREMENTAL_QUICK, INCREMENTAL_SIZES)
            results["incremental"] = bench_incremental(work, inc_sizes, say)
        if args.only in (None, "point"):
            results["point"] = bench_point(work, sizes_for(POINT_QUICK, POINT_SIZES), say)
        if args.only in (None, "cli"):
            cli_sizes = sizes_for(CLI_QUICK, CLI_SIZES)
            results["cli"] = bench_cli(work, cli_sizes, lambda n: repeats_for(n, args.repeat), say)
        if args.only in (None, "ftm"):
            ftm_sizes = sizes_for(FTM_QUICK, FTM_SIZES)
            results["ftm"] = bench_ftm(work, ftm_sizes, say)
        if args.only in (None, "postgres"):
            results["postgres"] = bench_postgres(work, sizes_for(POSTGRES_QUICK, POSTGRES_SIZES),
                                                 lambda n: repeats_for(n, args.repeat), say)
        if args.only in (None, "rls"):
            results["rls"] = bench_rls(work, sizes_for(RLS_QUICK, RLS_SIZES), say)
        if args.only in (None, "workbench"):
            bench_sizes = sizes_for(WORKBENCH_QUICK, WORKBENCH_SIZES)
            results["workbench"] = bench_workbench(work, bench_sizes, say)
    except (JobFailed, AssertionError) as exc:
        say(f"\nFAILED: {exc}")
        results["error"] = str(exc)
        _write(args.out, results)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    results["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    _write(args.out, results)
    say(f"\nresults: {args.out}")
    return 0


def _write(path: str, results: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    sys.exit(main())
