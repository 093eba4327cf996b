"""The hand-written OFAC baseline on PostgreSQL (issue 18): the SQLite baseline's computation (jobs.ofac_sql)
written directly for PostgreSQL, as someone fluent in it would: the CSV files copied in through COPY, the
ownerships kept as a set (one row per distinct owned, owner, percent) with their key built once the rows are
in, an index on the owner, ANALYZE, then the same semi-naive rounds (each re-sums only the entities owned by
parties blocked in the round before), all in one transaction. No validation, hashing, sources or provenance.
Percentages are double precision, as the SQLite baseline's REAL (the generated shares are halves: every sum
is exact)."""

from __future__ import annotations

import time
from pathlib import Path

from .jobs import _digest

CHUNK = 1 << 20

ROUND = ("INSERT INTO blocked "
         "SELECT o.owned, %(k)s FROM owns AS o JOIN blocked AS b ON b.party = o.owner "
         "WHERE o.owned IN (SELECT x.owned FROM blocked AS d JOIN owns AS x ON x.owner = d.party "
         "                  WHERE d.round = %(k)s - 1 "
         "                  AND NOT EXISTS (SELECT 1 FROM blocked AS y WHERE y.party = x.owned)) "
         "GROUP BY o.owned HAVING SUM(o.percent) >= %(t)s")


def _copy(conn, table: str, csv_file: Path) -> None:
    with conn.cursor().copy(f"COPY {table} FROM STDIN (FORMAT csv, HEADER true)") as copy, open(csv_file, "rb") as f:
        while chunk := f.read(CHUNK):
            copy.write(chunk)


def ofac_pg_sql(facts: str, db: str, keep_list: str | None = None, threshold: float = 50) -> dict:
    """Load the facts folder into the empty PostgreSQL database `db` (a URL) and block by the 50 % rule: the
    times of the load and of the rounds, the rounds, and the count and digest of the blocked parties (as
    jobs.ofac_sql gives them)."""
    import psycopg

    folder = Path(facts)
    t0 = time.perf_counter()
    with psycopg.connect(db) as conn:  # one transaction, committed after the rounds
        conn.execute("CREATE TEMP TABLE owns_in (owner text, owned text, percent double precision)")
        _copy(conn, "owns_in", folder / "owns.csv")
        conn.execute("CREATE TABLE owns AS SELECT DISTINCT owned, owner, percent FROM owns_in")
        conn.execute("ALTER TABLE owns ADD PRIMARY KEY (owned, owner, percent)")
        conn.execute("CREATE INDEX owns_owner ON owns (owner)")
        conn.execute("CREATE TABLE listed (party text, list text)")
        _copy(conn, "listed", folder / "listed.csv")
        conn.execute("CREATE TABLE blocked (party text PRIMARY KEY, round integer)")
        conn.execute("CREATE INDEX blocked_round ON blocked (round)")
        conn.execute("ANALYZE owns")
        conn.execute("ANALYZE listed")
        t1 = time.perf_counter()
        k = 1
        n = conn.execute("INSERT INTO blocked SELECT DISTINCT party, 1 FROM listed WHERE list = 'SDN'").rowcount
        while n > 0:
            k += 1
            n = conn.execute(ROUND, {"k": k, "t": threshold}).rowcount
        conn.commit()
        t2 = time.perf_counter()
        blocked = [r[0] for r in conn.execute("SELECT party FROM blocked")]
    if keep_list:
        Path(keep_list).write_text("\n".join(sorted(blocked)) + "\n")
    return {"load_s": t1 - t0, "eval_s": t2 - t1, "total_s": t2 - t0, "rounds": k - 1,
            "count": len(blocked), "digest": _digest(blocked)}
