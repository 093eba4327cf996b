"""What row-level security costs a reader of a case on PostgreSQL (issue 18): a holdings table of N records, a
third of them marked SECRET row by row, the rest of an unmarked source; `SELECT count(*)` of it as the
case's owner (no policy) and as an OFFICIAL reader (the policy of access/roles_pg.py: each row's marking
looked up, the markings the reader may see worked out once per statement). Median of three, after one
untimed run. The server as for the load benchmark (benchmarks/postgres.py)."""

from __future__ import annotations

import json
import secrets
import statistics
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from .postgres import database, server_or_skip

RLS_SIZES = [100_000, 1_000_000]
RLS_QUICK = [10_000]
RULES = ('rulebook b "RLS benchmark" version "1"\n'
         'evidence owns(owner: entity, owned: entity, percent: percent) "a holding"\n')


def _count_s(url: str) -> tuple[int, float]:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SELECT count(*) FROM ev_owns")
        times, n = [], 0
        for _ in range(3):
            start = time.perf_counter()
            n = conn.execute("SELECT count(*) FROM ev_owns").fetchone()[0]
            times.append(time.perf_counter() - start)
    return n, statistics.median(times)


def bench_rls(work: Path, sizes: list[int], say) -> dict:
    from engine import api

    say("\n== a reader's scan under row-level security on PostgreSQL ==")
    server = server_or_skip(say)
    if server is None:
        return {"skipped": "no PostgreSQL server"}
    (work / "rls.rules").write_text(RULES)
    program = api.load_rulebook(work / "rls.rules")
    say(f"{'records':>10}{'owner s':>10}{'reader s':>10}{'seen':>10}{'us/row':>8}")
    out = {}
    for n in sizes:
        facts = work / f"rls_{n}"
        facts.mkdir(exist_ok=True)
        rows = (f"O{i},C{i},{i % 100},{'SECRET' if i % 3 == 0 else ''}\n" for i in range(n))
        (facts / "owns.csv").write_text("owner,owned,percent,_classification\n" + "".join(rows))
        (facts / "manifest.json").write_text(json.dumps({"sources": [{"id": "press", "name": "Press"}],
                                                         "files": {"owns.csv": {"source": "press"}}}))
        name, reader = f"warrant_bench_{secrets.token_hex(4)}", f"warrant_bench_reader_{secrets.token_hex(4)}"
        url = database(server, name, make=True)
        try:
            with api.Case.open(url) as case:
                case.load(program, facts, progress=False)
                case.add_principal(reader, "user", "OFFICIAL", "UK")
            total, owner_s = _count_s(url)
            seen, reader_s = _count_s(urlunsplit(urlsplit(url)._replace(
                netloc=f"{reader}@{urlsplit(url).netloc.rsplit('@', 1)[1]}")))
        finally:
            database(server, name, make=False)
            _drop_roles(server, [reader] + [f"warrant_{name}_{a}" for a in ("owner", "writer", "reader")])
        out[str(n)] = {"records": total, "seen": seen, "owner_s": owner_s, "reader_s": reader_s,
                       "us_per_row": (reader_s - owner_s) / total * 1e6}
        say(f"{n:>10,}{owner_s:>10.3f}{reader_s:>10.3f}{seen:>10,}{out[str(n)]['us_per_row']:>8.1f}")
    return out


def _drop_roles(server: str, roles: list[str]) -> None:
    import psycopg

    with psycopg.connect(server, autocommit=True) as conn:
        for role in roles:
            conn.execute(f'DROP ROLE IF EXISTS "{role}"')
