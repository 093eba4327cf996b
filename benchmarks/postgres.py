"""The OFAC benchmark on PostgreSQL beside a case file (issue 18): `case.load` of the same generated facts
folder into a new SQLite case file and into a new PostgreSQL database (staged through COPY), then a full
`case.run` of the OFAC rulebook, each database in a process of its own: seconds for the load and the run,
records a second, peak memory, the SHA-256 of the records' hashes and of the blocked parties, which must be
the same on both. The hand-written SQL baseline on SQLite is `--only ofac`'s.

The server: WARRANT_BENCH_POSTGRES (or WARRANT_TEST_POSTGRES), a URL whose role may create databases; one is
made and dropped per size. Without one the benchmark says so and measures nothing:
`source scripts/postgres.sh && postgres_start` starts a throwaway server and exports its URL."""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .common import BENCH, run_job
from .gen import write_ofac

POSTGRES_SIZES = [100_000, 1_000_000]
POSTGRES_QUICK = [10_000]


def load_job(rulebook: str, facts: str, db: str) -> dict:
    """`warrant load RULEBOOK FACTS --db DB`, then a full `warrant run`, through the API, timed; the digests
    of every record's hash and of the blocked parties."""
    from engine.api import Case, load_rulebook

    program = load_rulebook(rulebook)
    with Case.open(db) as case:
        start, cpu = time.perf_counter(), time.process_time()
        report = case.load(program, facts, progress=False)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        started = time.perf_counter()
        result = case.run(program, progress=False, collect=False, full=True)
        run_s = time.perf_counter() - started
        blocked = hashlib.sha256("\n".join(r[0] for r in case.conclusions(result.run_id)["blocked"]).encode())
        hashes = hashlib.sha256()
        for decl in program.declarations:
            if decl.is_evidence:
                for (h,) in case.conn.execute(f'SELECT _hash FROM "ev_{decl.name}" ORDER BY _hash'):
                    hashes.update(h.encode() + b"\n")
    return {"load_s": seconds, "cpu_s": cpu, "added": report.added, "hashes_sha256": hashes.hexdigest(),
            "run_s": run_s, "blocked_sha256": blocked.hexdigest(), "rounds": result.rounds}


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


def bench_postgres(work: Path, sizes: list[int], say) -> dict:
    say("\n== OFAC on a case file and on PostgreSQL: load (COPY there), then a full run ==")
    server = server_or_skip(say)
    if server is None:
        return {"skipped": "no PostgreSQL server"}
    rulebook = str(BENCH / "ofac_bench.rules")
    out: dict = {}
    say(f"{'edges':>10}{'database':>12}{'load s':>9}{'records/s':>12}{'run s':>9}{'peak MiB':>10}")
    for edges in sizes:
        facts = work / f"pg_ofac_{edges}"
        write_ofac(facts, edges)
        name = f"warrant_bench_{secrets.token_hex(4)}"
        url = database(server, name, make=True)
        try:
            runs = {"sqlite": run_job("load", rulebook=rulebook, facts=str(facts), db=str(work / f"pg_{edges}.db")),
                    "postgres": run_job("load", rulebook=rulebook, facts=str(facts), db=url)}
        finally:
            database(server, name, make=False)
        assert runs["sqlite"]["hashes_sha256"] == runs["postgres"]["hashes_sha256"], "the databases hold other records"
        assert runs["sqlite"]["blocked_sha256"] == runs["postgres"]["blocked_sha256"], "the runs block other parties"
        for label, r in runs.items():
            r["records_per_s"] = r["added"] / r["load_s"]
            say(f"{edges:>10,}{label:>12}{r['load_s']:>9.2f}{r['records_per_s']:>12,.0f}{r['run_s']:>9.2f}"
                f"{r['peak_rss_mib']:>10.0f}")
        runs["postgres_over_sqlite"] = runs["postgres"]["load_s"] / runs["sqlite"]["load_s"]
        runs["run_postgres_over_sqlite"] = runs["postgres"]["run_s"] / runs["sqlite"]["run_s"]
        say(f"{'':>10}{'ratio':>12}{runs['postgres_over_sqlite']:>9.2f}{'':>12}{runs['run_postgres_over_sqlite']:>9.2f}"
            "  (PostgreSQL's time over SQLite's)")
        out[str(edges)] = runs
    return out
