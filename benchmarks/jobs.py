"""Measured jobs, one per subprocess: `python -m benchmarks.jobs JOB ARGS-JSON` prints one JSON line.

Every job reports its own timings and `peak_rss_mib` (ru_maxrss of the job's process)."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import sys
import time
from pathlib import Path

from .common import peak_rss_mib


def _digest(values) -> str:
    h = hashlib.sha256()
    for v in sorted(values):
        h.update(str(v).encode() + b"\n")
    return h.hexdigest()


def _clock():
    return time.perf_counter()


# --- Warrant -----------------------------------------------------------------------------------

def _import_work_modules() -> None:
    """Import, before the clock, the modules the engine loads on first use (parser, checker, loader,
    evaluator), as the baseline's modules are imported before its clock: the in-process jobs time the work;
    the command-line benchmark (benchmarks/cli.py) times both sides' imports and start-up."""
    import engine.check.checker  # noqa: F401
    import engine.eval.run  # noqa: F401
    import engine.store.loading  # noqa: F401
    import engine.syntax.parser  # noqa: F401


def warrant_run(rulebook: str, facts: str, db: str, conclusion: str, keep_list: str | None = None) -> dict:
    """The full path: load the facts folder into a fresh case file (validated, hashed), then case.run."""
    from engine.api import Case, load_rulebook

    _import_work_modules()
    t0 = _clock()
    program = load_rulebook(rulebook)
    ta = _clock()
    with Case.open(db) as case:
        t1 = _clock()
        report = case.load(program, facts, progress=False)
        t2 = _clock()
        result = case.run(program, progress=False, collect=False)
        t3 = _clock()
        rows = case.conclusions(result.run_id)[conclusion]
    values = ["\t".join(map(str, r)) for r in rows]
    if keep_list:
        Path(keep_list).write_text("\n".join(sorted(values)) + "\n")
    return {"rulebook_s": ta - t0, "parse_s": t1 - t0, "load_s": t2 - t1, "eval_s": t3 - t2, "total_s": t3 - t0,
            "rows_loaded": report.added, "rounds": result.rounds, "count": len(rows), "digest": _digest(values)}


def check_rulebook(rulebook: str) -> dict:
    """Parse and check a rulebook, as `warrant check` does before a rulebook is used; it is then cached."""
    from engine.api import load_rulebook

    t0, c0 = _clock(), time.process_time()
    program = load_rulebook(rulebook)
    return {"parse_s": _clock() - t0, "cpu_s": time.process_time() - c0, "rules": len(program.rules)}


# --- transitive closure peers ------------------------------------------------------------------

def _read_edges(facts: str) -> list[tuple[str, str]]:
    with open(Path(facts) / "edge.csv", newline="") as f:
        r = csv.reader(f)
        next(r)
        return [(a, b) for a, b in r]


def _baseline_connection(db: str) -> sqlite3.Connection:
    """The hand-written peers' connection: WAL, synchronous NORMAL, a 64 MiB cache, a transaction begun."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA cache_size = -65536")
    conn.execute("BEGIN")
    return conn


def tc_sql(facts: str, db: str) -> dict:
    """Hand-written semi-naive transitive closure in SQLite: path with PRIMARY KEY, delta tables, no provenance."""
    t0 = _clock()
    conn = _baseline_connection(db)
    conn.execute("CREATE TABLE edge (src TEXT, dst TEXT, PRIMARY KEY (src, dst)) WITHOUT ROWID")
    conn.executemany("INSERT OR IGNORE INTO edge VALUES (?, ?)", _read_edges(facts))
    conn.execute("CREATE TABLE path (src TEXT, dst TEXT, PRIMARY KEY (src, dst)) WITHOUT ROWID")
    conn.execute("CREATE TEMP TABLE delta (src TEXT, dst TEXT)")
    conn.execute("CREATE TEMP TABLE fresh (src TEXT, dst TEXT, PRIMARY KEY (src, dst)) WITHOUT ROWID")
    conn.execute("INSERT INTO path SELECT src, dst FROM edge")
    conn.execute("INSERT INTO delta SELECT src, dst FROM edge")
    t1 = _clock()
    rounds = 1
    while True:
        conn.execute("DELETE FROM fresh")
        n = conn.execute(
            "INSERT OR IGNORE INTO fresh SELECT d.src, e.dst FROM delta AS d JOIN edge AS e ON e.src = d.dst "
            "WHERE NOT EXISTS (SELECT 1 FROM path AS p WHERE p.src = d.src AND p.dst = e.dst)").rowcount
        if n <= 0:
            break
        rounds += 1
        conn.execute("INSERT INTO path SELECT src, dst FROM fresh")
        conn.execute("DELETE FROM delta")
        conn.execute("INSERT INTO delta SELECT src, dst FROM fresh")
    conn.execute("COMMIT")
    t2 = _clock()
    count = conn.execute("SELECT COUNT(*) FROM path").fetchone()[0]
    conn.close()
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "total_s": t2 - t0, "rounds": rounds, "count": count}


def tc_pydatalog(facts: str) -> dict:
    from pyDatalog import pyDatalog

    edges = _read_edges(facts)
    t0 = _clock()
    for a, b in edges:
        pyDatalog.assert_fact("edge", a, b)
    pyDatalog.load("path(X, Y) <= edge(X, Y)\npath(X, Z) <= path(X, Y) & edge(Y, Z)")
    t1 = _clock()
    answer = pyDatalog.ask("path(X, Y)")
    count = len(answer.answers) if answer else 0
    t2 = _clock()
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "total_s": t2 - t0, "count": count}


def tc_clingo(facts: str) -> dict:
    import clingo

    edges = _read_edges(facts)
    t0 = _clock()
    ctl = clingo.Control(["--warn=none"])
    text = "".join(f"edge({a},{b}).\n" for a, b in edges)
    ctl.add("base", [], text + "path(X,Y) :- edge(X,Y).\npath(X,Z) :- path(X,Y), edge(Y,Z).\n#show path/2.\n")
    t1 = _clock()
    ctl.ground([("base", [])])
    counts = []
    ctl.solve(on_model=lambda m: counts.append(len(m.symbols(shown=True))))
    t2 = _clock()
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "total_s": t2 - t0, "count": counts[-1]}


# --- OFAC peer -----------------------------------------------------------------------------------

def ofac_sql(facts: str, db: str, keep_list: str | None = None, threshold: float = 50) -> dict:
    """Hand-written semi-naive OFAC 50 % rule in SQLite: CSV loading included; each round re-sums only
    the entities owned by parties blocked in the previous round; no provenance."""
    t0 = _clock()
    conn = _baseline_connection(db)
    # set semantics, as in Datalog: one row per distinct (owner, owned, percent)
    conn.execute("CREATE TABLE owns (owned TEXT, owner TEXT, percent REAL, PRIMARY KEY (owned, owner, percent)) WITHOUT ROWID")
    conn.execute("CREATE TABLE listed (party TEXT, list TEXT)")
    folder = Path(facts)
    with open(folder / "owns.csv", newline="") as f:
        r = csv.reader(f)
        next(r)
        conn.executemany("INSERT OR IGNORE INTO owns VALUES (?, ?, ?)", ((b, a, float(p)) for a, b, p in r))
    with open(folder / "listed.csv", newline="") as f:
        r = csv.reader(f)
        next(r)
        conn.executemany("INSERT INTO listed VALUES (?, ?)", r)
    conn.execute("CREATE INDEX owns_owner ON owns (owner)")
    conn.execute("CREATE TABLE blocked (party TEXT PRIMARY KEY, round INTEGER) WITHOUT ROWID")
    conn.execute("CREATE INDEX blocked_round ON blocked (round)")
    conn.execute("ANALYZE")
    t1 = _clock()
    k = 1
    n = conn.execute("INSERT OR IGNORE INTO blocked SELECT DISTINCT party, 1 FROM listed WHERE list = 'SDN'").rowcount
    while n > 0:
        k += 1
        n = conn.execute(
            "INSERT INTO blocked "
            "SELECT o.owned, :k FROM owns AS o JOIN blocked AS b ON b.party = o.owner "
            "WHERE o.owned IN (SELECT x.owned FROM blocked AS d JOIN owns AS x ON x.owner = d.party "
            "                  WHERE d.round = :k - 1 "
            "                  AND NOT EXISTS (SELECT 1 FROM blocked AS y WHERE y.party = x.owned)) "
            "GROUP BY o.owned HAVING SUM(o.percent) >= :t", {"k": k, "t": threshold}).rowcount
    conn.execute("COMMIT")
    t2 = _clock()
    blocked = [r[0] for r in conn.execute("SELECT party FROM blocked")]
    conn.close()
    if keep_list:
        Path(keep_list).write_text("\n".join(sorted(blocked)) + "\n")
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "total_s": t2 - t0, "rounds": k - 1,
            "count": len(blocked), "digest": _digest(blocked)}


JOBS = {"warrant": warrant_run, "check": check_rulebook, "tc_sql": tc_sql, "tc_pydatalog": tc_pydatalog, "tc_clingo": tc_clingo,
        "ofac_sql": ofac_sql}


def main(argv: list[str]) -> None:
    job, args = argv[0], json.loads(argv[1])
    if job == "proof":
        from .proof import proof_job as fn
    elif job == "replay":
        from .replay import replay_job as fn
    elif job == "workbench":
        from .workbench import workbench_job as fn
    elif job == "provenance":
        from .provenance import provenance_job as fn
    elif job == "ftm_import":
        from .ftm import ftm_import_job as fn
    elif job == "incremental":
        from .incremental import incremental_job as fn
    elif job == "point":
        from .point import point_job as fn
    elif job == "load":
        from .postgres import load_job as fn
    elif job == "ofac_pg_sql":
        from .postgres_sql import ofac_pg_sql as fn
    else:
        fn = JOBS[job]
    result = fn(**args)
    result["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
