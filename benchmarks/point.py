"""Point questions without a run (issue 15): `why` on one atom, answered by a partial evaluation
(engine/point.py: the slice of strata it needs, and of its own stratum what the atom demands).

- same generation: a complete binary tree of depth 15 (32,767 nodes; up, down and one flat fact:
  65,533 facts), sg(X, Y) if flat(X, Y); sg(X, Y) if up(X, U) and sg(U, V) and down(V, Y). A full
  fixpoint would hold about 358 million tuples; the question asks for one pair of leaves.
- OFAC, at each size asked: the benchmark's OFAC case file loaded and not run; `why blocked(E)` for
  typical entities (a fixed random sample of those a full run blocks), the deepest (the last rounds of
  the 50 % rule) and the widest (the largest demand: owners, their owners and so on, among a sample of
  2,000), each proof compared with the full run's (a copy of the file, run untimed).

Each OFAC question is timed in parts: the evaluation (a scratch database with the case file attached, the
partial evaluation reading the demanded stratum's evidence in place), the proof read from it, and the
whole `Case.why` with the rulebook given and no current run (those, the check for a current run, the
reader's access check and the audit entry); each the median of REPEAT. Then, on the same file, how the
evaluation grows with the demand: a new entity owned by 100 to 100,000 others (FAN_IN), against the whole
predicate evaluated without demand. Target: the same-generation question under 5 s; the OFAC question at
most 100 ms of evaluation.
"""

from __future__ import annotations

import random
import shutil
import statistics
import time
from pathlib import Path

from .common import BENCH

POINT_QUICK = [10_000]
POINT_SIZES = [10_000, 1_000_000]
DEPTH = 15
SG_RULES = '''rulebook sg "Same generation" version "1"

evidence flat(a: entity, b: entity) "flat"
evidence up(a: entity, b: entity) "child a, parent b"
evidence down(a: entity, b: entity) "parent a, child b"
conclusion sg(a: entity, b: entity) "same generation"

rule S1 "flat" cites "test":
  sg(X, Y) if flat(X, Y).
  because "{X} and {Y} are flat".

rule S2 "up, same generation, down" cites "test":
  sg(X, Y) if up(X, U) and sg(U, V) and down(V, Y).
  because "{X} and {Y} are of the same generation".
'''


def write_sg(folder: Path, depth: int = DEPTH) -> tuple[str, str]:
    """The tree's facts as CSV files in `folder`; returns two leaves far apart (the first and the last)."""
    folder.mkdir(parents=True, exist_ok=True)
    nodes = 2 ** depth - 1
    (folder / "flat.csv").write_text("a,b\nn1,n1\n")
    (folder / "up.csv").write_text("a,b\n" + "".join(f"n{c},n{c // 2}\n" for c in range(2, nodes + 1)))
    (folder / "down.csv").write_text("a,b\n" + "".join(f"n{c // 2},n{c}\n" for c in range(2, nodes + 1)))
    return f"n{2 ** (depth - 1)}", f"n{nodes}"


def _sg(work_dir: Path) -> dict:
    from engine.api import Case, load_rulebook

    a, b = write_sg(work_dir / "sg_facts")
    (work_dir / "sg.rules").write_text(SG_RULES)
    program = load_rulebook(work_dir / "sg.rules")
    with Case.open(work_dir / "sg.db") as case:
        case.load(program, work_dir / "sg_facts")
        t0 = time.perf_counter()
        proof = case.why(f'sg("{a}", "{b}")', program=program)
        return {"seconds": time.perf_counter() - t0, "atom": f'sg("{a}", "{b}")', "nodes": len(proof.nodes),
                "runs_stored": len(case.runs())}


WIDEST_OF = 2000  # blocked entities whose demand is measured to find the widest
REPEAT = 3  # each question asked so many times, the median kept


def _atoms(conn, run_id: str, sample: int) -> dict[str, list[str]]:
    """The entities asked about: `typical`, a fixed random sample of every blocked entity; `deepest`, those
    of the last rounds of R2 (their proofs are the longest chains); `widest`, those with the largest
    demand among a random sample of WIDEST_OF blocked entities."""
    from engine.store.facts import of_run

    deepest = [p for (p,) in conn.execute(f"SELECT party FROM fact_blocked WHERE {of_run()} "
                                          "ORDER BY _rule = 'R2' DESC, _round DESC, party LIMIT :n",
                                          {"run_id": run_id, "n": sample})]
    every = [p for (p,) in conn.execute(f"SELECT party FROM fact_blocked WHERE {of_run()} ORDER BY party",
                                        {"run_id": run_id})]
    rnd = random.Random(15)
    some = rnd.sample(every, min(WIDEST_OF, len(every)))
    widest = sorted(some, key=lambda p: (-_demand_size(conn, p), p))[:sample]
    return {"typical": rnd.sample(every, min(sample, len(every))), "deepest": deepest, "widest": widest}


def _demand_size(conn, party: str) -> int:
    """How many entities `why blocked(party)` demands: the party and its owners, theirs, and so on."""
    return conn.execute("WITH RECURSIVE up(x) AS (SELECT ? UNION SELECT owner FROM ev_owns JOIN up ON owned = x) "
                        "SELECT COUNT(*) FROM up", [party]).fetchone()[0]


def _timed_why(case, program, atom: str) -> dict:
    """One question (medians of REPEAT) three ways: evaluation alone (the scratch database, the partial evaluation), then the
    proof read from it, then the whole `Case.why` (those two, plus the check for a current run, the
    reader's access check and the audit entry)."""
    from engine.eval.demand import Demand
    from engine.point import answer_partially
    from engine.proof import api as proof_api
    from engine.store.facts import of_run

    clocks = case._asked_clocks(None, None)
    marks = []

    def proof(conn, run_id):
        marks.append(time.perf_counter())
        proof_api.why(conn, program, run_id, atom, case._provider(clocks), clocks.as_of)
        marks.append(time.perf_counter())

    parts = []
    for _ in range(REPEAT):
        marks.clear()
        t0 = time.perf_counter()
        answer_partially(case.store.path, program, case._provider(clocks), clocks, Demand("blocked", (atom[9:-2],)),
                         proof)
        t1 = time.perf_counter()
        case.why(atom, program=program)
        whole = time.perf_counter() - t1
        parts.append({"evaluation": marks[0] - t0, "proof": marks[1] - marks[0], "whole": whole})
    return {part: statistics.median(p[part] for p in parts) for part in ("evaluation", "proof", "whole")}


FAN_IN = (100, 1_000, 10_000, 100_000)  # owners given to a new entity, to widen its demand


def _fan_in(case, program, folder: Path) -> list[dict]:
    """How evaluation grows with the demand: a new entity `ZZ<k>` owned 0.5 % each by k random entities
    (loaded into the case file, after the other questions), asked about, against the whole predicate
    evaluated without demand (every blocked entity: the evidence copied, as before this mode existed)."""
    from engine.eval.demand import Demand

    entities = [e for (e,) in case.conn.execute("SELECT DISTINCT owned FROM ev_owns ORDER BY owned")]
    rnd, out = random.Random(15), []
    for k in (k for k in FAN_IN if k <= len(entities) // 10):
        (folder / str(k)).mkdir(parents=True, exist_ok=True)
        (folder / str(k) / "owns.csv").write_text("owner,owned,percent\n" + "".join(f"{e},ZZ{k},0.5\n" for e in rnd.sample(entities, k)))
        case.load(program, folder / str(k))
    for k in (k for k in FAN_IN if k <= len(entities) // 10):
        out.append({"owners": k, "demand": _demand_size(case.conn, f"ZZ{k}"),
                    "evaluation_s": _evaluation(case, program, Demand("blocked", (f"ZZ{k}",)))})
    out.append({"owners": None, "demand": None, "evaluation_s": _evaluation(case, program, "blocked")})
    return out


def _evaluation(case, program, ask) -> float:
    """The median of REPEAT partial evaluations for `ask` (a Demand, or a predicate: all of it)."""
    from engine.point import answer_partially

    clocks, times = case._asked_clocks(None, None), []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        answer_partially(case.store.path, program, case._provider(clocks), clocks, ask, lambda conn, run_id: None)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def point_job(work: str, ofac_facts: str, sample: int, with_sg: bool = True) -> dict:
    """Time `Case.why` without a run on the same-generation tree (with `with_sg`) and on the OFAC case file;
    check the OFAC proofs against a full run's (the partial evaluation under that run's id and clocks)."""
    from engine.api import Case, load_rulebook
    from engine.eval.demand import Demand
    from engine.point import answer_partially
    from engine.proof import api as proof_api
    from engine.store.facts import of_run

    work_dir = Path(work)
    out = {"sg": _sg(work_dir)} if with_sg else {}
    program = load_rulebook(BENCH / "ofac_bench.rules")
    point_db, run_db = work_dir / "ofac_point.db", work_dir / "ofac_run.db"
    for p in work_dir.glob("ofac_point.db*"):
        p.unlink()
    with Case.open(point_db) as case:  # loaded, never run
        case.load(program, ofac_facts)
    shutil.copyfile(point_db, run_db)
    with Case.open(run_db) as case:  # a full run, to pick the atoms and check the proofs
        run = case.run(program, collect=False)
        kinds = _atoms(case.conn, run.run_id, sample)
        clocks = case.clocks(run.run_id)
        provider = case._provider(clocks)
        same = all(answer_partially(
            case.store.path, program, provider, clocks, Demand("blocked", (party,)),
            lambda conn, run_id: proof_api.render(proof_api.why(conn, program, run_id, f'blocked("{party}")', provider,
                                                                clocks.as_of), "json"), run_id=run.run_id)
            == proof_api.render(case.why(f'blocked("{party}")', run.run_id), "json")
            for parties in kinds.values() for party in parties)
        demand = {k: [_demand_size(case.conn, p) for p in parties] for k, parties in kinds.items()}
        rounds = {k: [case.conn.execute(f"SELECT _round FROM fact_blocked WHERE {of_run()} AND party = :p",
                                        {"run_id": run.run_id, "p": p}).fetchone()[0] for p in parties]
                  for k, parties in kinds.items()}
    with Case.open(point_db) as case:
        _timed_why(case, program, f'blocked("{kinds["typical"][0]}")')  # caches warm, as for a user's second question
        kinds_out = {}
        for kind, parties in kinds.items():
            times = [_timed_why(case, program, f'blocked("{p}")') for p in parties]
            kinds_out[kind] = {"atoms": parties, "demand": demand[kind], "rounds": rounds[kind],
                               **{part: {"median_s": statistics.median(t[part] for t in times),
                                         "max_s": max(t[part] for t in times)}
                                  for part in ("evaluation", "proof", "whole")}}
        stored = len(case.runs())
        fan_in = _fan_in(case, program, work_dir / f"fan_in_{Path(ofac_facts).name}")
    out["ofac"] = {"kinds": kinds_out, "proofs_same_as_full_run": same, "runs_stored": stored, "fan_in": fan_in}
    return out


def bench_point(work: Path, sizes: list[int], say) -> dict:
    from .common import run_job
    from .gen import write_ofac

    out = {}
    for n, size in enumerate(sizes):
        facts = work / f"ofac_{size}"
        if not (facts / "owns.csv").exists():
            write_ofac(facts, size)
        say(f"\n== point questions without a run: {'same generation (depth 15), ' if n == 0 else ''}"
            f"OFAC at {size:,} edges ==")
        r = run_job("point", work=str(work), ofac_facts=str(facts), sample=5, with_sg=n == 0)
        if "sg" in r:
            say(f"same generation {r['sg']['atom']}: {r['sg']['seconds']:.3f} s, {r['sg']['nodes']} proof nodes, "
                f"{r['sg']['runs_stored']} run(s) stored; {'met' if r['sg']['seconds'] < 5 else 'MISSED'} (< 5 s)")
        o = r["ofac"]
        say(f"proofs the full run's: {o['proofs_same_as_full_run']}; runs stored: {o['runs_stored']}; "
            f"load average {r['loadavg_1m'][0]} to {r['loadavg_1m'][1]}")
        say("  entities   demand (entities)   rounds   evaluation s           proof s   whole why s (+ access check, audit)")
        for kind, k in o["kinds"].items():
            say(f"  {kind:9}  {min(k['demand']):>6} to {max(k['demand']):<6}  {min(k['rounds']):>3} to {max(k['rounds']):<3}"
                f"  {k['evaluation']['median_s']:.4f} (max {k['evaluation']['max_s']:.4f})  {k['proof']['median_s']:.4f}"
                f"    {k['whole']['median_s']:.4f}   "
                f"{'met' if k['evaluation']['median_s'] <= 0.1 else 'MISSED'} (evaluation <= 0.1 s)")
        for f in o["fan_in"]:
            asked = (f"blocked(ZZ) owned by {f['owners']:,} entities (demand {f['demand']:,})" if f["owners"]
                     else "all of blocked, no demand (the evidence copied)")
            say(f"  evaluation of {asked}: {f['evaluation_s']:.3f} s")
        out[str(size)] = r
    return out
