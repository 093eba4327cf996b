"""The OFAC benchmark on PostgreSQL beside SQLite (issue 18), four peers on the same generated facts folder,
each job in a process of its own and on a new database: Warrant (`case.load`, staged through COPY on
PostgreSQL, then a full `case.run` of the OFAC rulebook) on a case file and on PostgreSQL, and the
hand-written SQL on SQLite (jobs.ofac_sql, as `--only ofac`) and on PostgreSQL (postgres_sql.py). The peers
run in turn, several times per size; each peer's median load, run and total seconds, peak memory, and the
ratios against its peers of the same run. Every run must block the same parties (count and digest), and
Warrant must store the same records (the SHA-256 of their hashes) on both databases.

The server: WARRANT_BENCH_POSTGRES (or WARRANT_TEST_POSTGRES), a URL whose role may create databases; one is
made and dropped for each job there. Without one the benchmark says so and measures nothing:
`source scripts/postgres.sh && postgres_start` starts a throwaway server and exports its URL."""

from __future__ import annotations

import hashlib
import os
import secrets
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .common import BENCH, run_job
from .gen import write_ofac

POSTGRES_SIZES = [100_000, 1_000_000]
POSTGRES_QUICK = [10_000]


def load_job(rulebook: str, facts: str, db: str) -> dict:
    """`warrant load RULEBOOK FACTS --db DB`, then a full `warrant run`, through the API, timed; the digest of
    every record's hash, and the count and digest of the blocked parties (as jobs.ofac_sql gives them)."""
    from engine.api import Case, load_rulebook

    from .jobs import _digest

    program = load_rulebook(rulebook)
    with Case.open(db) as case:
        start, cpu = time.perf_counter(), time.process_time()
        report = case.load(program, facts, progress=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        started = time.perf_counter()
        result = case.run(program, progress=False, collect=False, full=True)
        run_s = time.perf_counter() - started
        blocked = [r[0] for r in case.conclusions(result.run_id)["blocked"]]
        hashes = hashlib.sha256()
        for decl in program.declarations:
            if decl.is_evidence:
                for (h,) in case.conn.execute(f'SELECT _hash FROM "ev_{decl.name}" ORDER BY _hash'):
                    hashes.update(h.encode() + b"\n")
    return {"load_s": seconds, "cpu_s": cpu, "added": report.added, "hashes_sha256": hashes.hexdigest(),
            "run_s": run_s, "count": len(blocked), "digest": _digest(blocked), "rounds": result.rounds}


def server_or_skip(say) -> str | None:
    """The PostgreSQL server a benchmark uses (WARRANT_BENCH_POSTGRES, else the tests' WARRANT_TEST_POSTGRES),
    or None once it has said that the benchmark is skipped for want of one."""
    server = os.environ.get("WARRANT_BENCH_POSTGRES") or os.environ.get("WARRANT_TEST_POSTGRES") or None
    if server is None:
        say("skipped: no server (set WARRANT_BENCH_POSTGRES, or: source scripts/postgres.sh && postgres_start)")
    return server


def database(server: str, name: str, make: bool) -> str:
    import psycopg

    from engine.store.backend_pg import create_database_sql

    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(create_database_sql(name, conn.info.server_version) if make else f'DROP DATABASE "{name}"')
    return urlunsplit(urlsplit(server)._replace(path=f"/{name}"))


PEERS = (("warrant", "sqlite"), ("warrant", "postgres"), ("sql", "sqlite"), ("sql", "postgres"))
NAMES = {"warrant": "Warrant", "sql": "hand-written SQL", "sqlite": "SQLite", "postgres": "PostgreSQL"}


def _peer(work: Path, server: str, rulebook: str, facts: Path, peer: str, kind: str) -> dict:
    """One job of `peer` (warrant or sql) on a new database of `kind`: load_s, run_s, total_s and the blocked
    parties' count and digest, with the job's own figures."""
    if kind == "sqlite":
        path = work / f"pg_{peer}.db"
        for p in work.glob(f"pg_{peer}.db*"):
            p.unlink()
        return _timed(peer, rulebook, facts, str(path))
    name = f"warrant_bench_{secrets.token_hex(4)}"
    url = database(server, name, make=True)
    try:
        return _timed(peer, rulebook, facts, url)
    finally:
        database(server, name, make=False)


def _timed(peer: str, rulebook: str, facts: Path, db: str) -> dict:
    if peer == "warrant":
        r = run_job("load", rulebook=rulebook, facts=str(facts), db=db)
    else:
        job = "ofac_pg_sql" if "://" in db else "ofac_sql"
        r = run_job(job, facts=str(facts), db=db)
        r["run_s"] = r["eval_s"]
    r["total_s"] = r["load_s"] + r["run_s"]
    return r


def bench_postgres(work: Path, sizes: list[int], runs_for, say) -> dict:
    """Per size, `runs_for(size)` turns of the four peers (Warrant and the hand-written SQL, each on SQLite and
    on PostgreSQL, every job on a new database); each peer's median times, and the ratios of those medians.
    Every run must block the same parties, and Warrant must store the same records on both databases."""
    say("\n== OFAC on SQLite and on PostgreSQL: Warrant (load, through COPY on PostgreSQL, then a full run) "
        "beside the hand-written SQL ==")
    server = server_or_skip(say)
    if server is None:
        return {"skipped": "no PostgreSQL server"}
    rulebook = str(BENCH / "ofac_bench.rules")
    out: dict = {}
    say(f"{'edges':>10}  {'peer':<18}{'database':<12}{'runs':>5}{'load s':>9}{'run s':>9}{'total s':>9}"
        f"{'blocked':>9}{'peak MiB':>10}")
    for edges in sizes:
        facts = work / f"pg_ofac_{edges}"
        write_ofac(facts, edges)
        runs: dict[str, list[dict]] = {f"{p}_{k}": [] for p, k in PEERS}
        for _ in range(runs_for(edges)):  # in turn, so that the machine's moods fall on every peer alike
            for peer, kind in PEERS:
                runs[f"{peer}_{kind}"].append(_peer(work, server, rulebook, facts, peer, kind))
        first = runs["sql_sqlite"][0]
        for key, rs in runs.items():
            for r in rs:
                assert (r["count"], r["digest"]) == (first["count"], first["digest"]), \
                    f"{key} blocks other parties than the SQLite baseline at {edges:,} edges"
        assert runs["warrant_sqlite"][0]["hashes_sha256"] == runs["warrant_postgres"][0]["hashes_sha256"], \
            "the databases hold other records"
        median = {key: {f: statistics.median(r[f] for r in rs) for f in ("load_s", "run_s", "total_s", "peak_rss_mib")}
                  for key, rs in runs.items()}
        for peer, kind in PEERS:
            m = median[f"{peer}_{kind}"]
            say(f"{edges:>10,}  {NAMES[peer]:<18}{NAMES[kind]:<12}{len(runs[f'{peer}_{kind}']):>5}{m['load_s']:>9.3f}"
                f"{m['run_s']:>9.3f}{m['total_s']:>9.3f}{first['count']:>9,}{m['peak_rss_mib']:>10.0f}")
        ratios = {
            "warrant_over_sql_sqlite": median["warrant_sqlite"]["total_s"] / median["sql_sqlite"]["total_s"],
            "warrant_over_sql_postgres": median["warrant_postgres"]["total_s"] / median["sql_postgres"]["total_s"],
            **{f"postgres_over_sqlite_{peer}_{f[:-2]}": median[f"{peer}_postgres"][f] / median[f"{peer}_sqlite"][f]
               for peer in ("warrant", "sql") for f in ("load_s", "run_s", "total_s")}}
        say(f"{'':>10}  Warrant / SQL (total): SQLite {ratios['warrant_over_sql_sqlite']:.2f}x, PostgreSQL "
            f"{ratios['warrant_over_sql_postgres']:.2f}x;  PostgreSQL / SQLite: Warrant load "
            f"{ratios['postgres_over_sqlite_warrant_load']:.2f}x, run {ratios['postgres_over_sqlite_warrant_run']:.2f}x, "
            f"total {ratios['postgres_over_sqlite_warrant_total']:.2f}x; SQL total "
            f"{ratios['postgres_over_sqlite_sql_total']:.2f}x")
        out[str(edges)] = {"runs": runs, "median": median, "ratios": ratios, "blocked": first["count"]}
    return out
