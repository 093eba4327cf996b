"""Point questions without a run (issue 15): `why` on one atom, answered by a partial evaluation
(engine/point.py: the slice of strata it needs, and of its own stratum what the atom demands).

- same generation: a complete binary tree of depth 15 (32,767 nodes; up, down and one flat fact:
  65,533 facts), sg(X, Y) if flat(X, Y); sg(X, Y) if up(X, U) and sg(U, V) and down(V, Y). A full
  fixpoint would hold about 358 million tuples; the question asks for one pair of leaves.
- OFAC: the benchmark's OFAC case file loaded and not run; `why blocked(E)` for entities a full run
  (made afterwards, untimed) derives by the 50 % rule, and each proof compared with that run's.

Each figure is the whole `Case.why` call with the rulebook given and no current run: the evaluation of
the slice in a scratch database (evidence copied in), the proof, the access check and the audit entry.
Target: the same-generation question under 5 s; the OFAC question at most 100 ms of evaluation.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

from .common import BENCH

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


def point_job(work: str, ofac_facts: str, sample: int) -> dict:
    """Time `Case.why` without a run on the same-generation tree and on the OFAC case file; check the OFAC
    proofs against a full run's (the partial evaluation under that run's id and clocks)."""
    from engine.api import Case, load_rulebook
    from engine.eval.demand import Demand
    from engine.point import answer_partially
    from engine.proof import api as proof_api

    out = {}
    work_dir = Path(work)
    a, b = write_sg(work_dir / "sg_facts")
    (work_dir / "sg.rules").write_text(SG_RULES)
    program = load_rulebook(work_dir / "sg.rules")
    with Case.open(work_dir / "sg.db") as case:
        case.load(program, work_dir / "sg_facts")
        t0 = time.perf_counter()
        proof = case.why(f'sg("{a}", "{b}")', program=program)
        out["sg"] = {"seconds": time.perf_counter() - t0, "atom": f'sg("{a}", "{b}")', "nodes": len(proof.nodes),
                     "runs_stored": len(case.runs())}
    program = load_rulebook(BENCH / "ofac_bench.rules")
    with Case.open(work_dir / "ofac_run.db") as case:  # a full run, to pick the atoms and check the proofs
        case.load(program, ofac_facts)
        run = case.run(program, collect=False)
        atoms = [f'blocked("{p}")' for (p,) in case.conn.execute(
            "SELECT party FROM fact_blocked WHERE run_id = ? ORDER BY _rule = 'R2' DESC, _round DESC, party LIMIT ?",
            [run.run_id, sample])]
        clocks = case.clocks(run.run_id)
        provider = case._provider(clocks)
        same = all(answer_partially(
            case.store.path, program, provider, clocks, Demand("blocked", (atom[9:-2],)),
            lambda conn, run_id: proof_api.render(proof_api.why(conn, program, run_id, atom, provider, clocks.as_of),
                                                  "json"), run_id=run.run_id)
            == proof_api.render(case.why(atom, run.run_id), "json") for atom in atoms)
    with Case.open(work_dir / "ofac_point.db") as case:  # loaded, never run
        case.load(program, ofac_facts)
        times = []
        for atom in atoms:
            t0 = time.perf_counter()
            case.why(atom, program=program)
            times.append(time.perf_counter() - t0)
        stored = len(case.runs())
    out["ofac"] = {"atoms": atoms, "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times),
                   "proofs_same_as_full_run": same, "runs_stored": stored}
    return out


def bench_point(work: Path, size: int, say) -> dict:
    from .common import run_job
    from .gen import write_ofac

    facts = work / f"ofac_{size}"
    if not (facts / "owns.csv").exists():
        write_ofac(facts, size)
    say(f"\n== point questions without a run: same generation (depth {DEPTH}), OFAC at {size:,} edges ==")
    r = run_job("point", work=str(work), ofac_facts=str(facts), sample=5)
    say(f"same generation {r['sg']['atom']}: {r['sg']['seconds']:.3f} s, {r['sg']['nodes']} proof nodes, "
        f"{r['sg']['runs_stored']} run(s) stored; {'met' if r['sg']['seconds'] < 5 else 'MISSED'} (< 5 s)")
    o = r["ofac"]
    say(f"OFAC why blocked(E), {len(o['atoms'])} entities: median {o['median_s']:.3f} s (min {o['min_s']:.3f}, max "
        f"{o['max_s']:.3f}); proofs the full run's: {o['proofs_same_as_full_run']}; "
        f"{'met' if o['median_s'] <= 0.1 else 'MISSED'} (<= 0.1 s)")
    return r
