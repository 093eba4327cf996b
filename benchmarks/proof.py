"""Proof rebuild time on a stored run (the 1M-edge OFAC case file).

Two figures per sampled blocked entity F (derived by R2, round h):
- `core`: the SQL that re-derives F, compiled with engine.eval.sqlgen.RuleCompiler over
  StoredRunTables (facts of the run with _round < h, evidence in force), the head bound to F,
  plus the query listing the contributions to the sum (who owns what, with record hashes);
- `full`: engine.proof.build.build_proof, the whole proof tree down to the evidence records,
  when that module is present.
"""

from __future__ import annotations

import random
import re
import statistics
import time

from engine.api import Case, load_rulebook
from engine.eval.relations import StoredRunTables
from engine.store.facts import of_run
from engine.eval.sqlgen import Query, RuleCompiler, _col, rule_vars
from engine.store import in_force_sql
from engine.syntax import ast
from engine.syntax.ast import Aggregate, atom_vars, literal_vars


def _named(sql: str, params: list, prefix: str) -> tuple[str, dict]:
    names = iter(f"{prefix}{i}" for i in range(len(params)))
    out = re.sub(r"\?", lambda _: ":" + next(names), sql)
    return out, {f"{prefix}{i}": p for i, p in enumerate(params)}


class Core:
    def __init__(self, conn, program, run_id: str, as_of: str):
        self.conn = conn
        self.decls = {d.name: d for d in program.declarations}
        self.constants = {c.name: c for c in program.constants}
        self.params = {"run_id": run_id, "as_of": as_of[:10]}
        ev = {}
        for d in program.declarations:
            if d.is_evidence:
                sql, ps = _named(*in_force_sql(d, as_of), prefix=f"ev_{d.name}_")
                ev[d.name] = sql
                self.params.update(ps)
        self.tables = StoredRunTables(self.decls, ev)
        self.rules = {r.id: r for r in program.rules}

    def compiler(self) -> RuleCompiler:
        return RuleCompiler(self.decls, self.constants,
                            lambda atom, is_delta, meta: self.tables.source(atom.predicate, "full", meta), None, {})

    def _bound(self, comp, rule, values) -> Query:
        q = Query()
        for arg, v in zip(rule.head.args, values):
            if isinstance(arg, ast.Var):
                q.exprs[arg.name] = comp.param(v)
                q.types[arg.name] = "entity"
        return q

    def rebuild(self, rule_id: str, values: list, h: int) -> tuple[list, list]:
        """(the derivations of the fact: bindings of the rule's variables; the aggregate's contributing rows)."""
        rule = self.rules[rule_id]
        comp = self.compiler()
        q = self._bound(comp, rule, values)
        comp.body(rule.body, q, {v.name for v in atom_vars(rule.head)})
        names = [n for n in rule_vars(rule) if n in q.exprs]
        sql = q.sql([f"{q.exprs[n]} AS {_col(n)}" for n in names])
        derivations = self.conn.execute(sql, dict(self.params, **comp.params, h=h)).fetchall()
        contributions = []
        for agg in (lit for lit in rule.body if isinstance(lit, Aggregate)):
            comp = self.compiler()
            inner = self._bound(comp, rule, values)
            comp.body(agg.body, inner, set(inner.exprs))
            locals_ = sorted({v.name for v in literal_vars(agg)[1:]} - set(inner.exprs))
            sql = inner.sql([inner.exprs[v] for v in locals_] + ["*"])
            contributions += self.conn.execute(sql, dict(self.params, **comp.params, h=h)).fetchall()
        return derivations, contributions


def _stats(times: list[float]) -> dict:
    ms = sorted(t * 1000 for t in times)
    return {"median_ms": statistics.median(ms), "p90_ms": ms[int(0.9 * (len(ms) - 1))], "max_ms": ms[-1],
            "min_ms": ms[0], "n": len(ms)}


def proof_job(db: str, rulebook: str, sample: int = 50, seed: int = 7, conclusion: str = "blocked") -> dict:
    program = load_rulebook(rulebook)
    with Case.open(db) as case:
        conn = case.conn
        run_id = case.latest_run()
        as_of = case.run_info(run_id)["as_of"]
        rows = conn.execute(f'SELECT party, _round FROM "fact_{conclusion}" WHERE {of_run()} AND _rule = :rule '
                            'ORDER BY party', {"run_id": run_id, "rule": "R2"}).fetchall()
        picked = random.Random(seed).sample(rows, min(sample, len(rows)))
        core = Core(conn, program, run_id, as_of)
        core.rebuild("R2", [picked[0][0]], picked[0][1])  # warm the statement cache
        core_times, sizes = [], []
        for party, h in picked:
            t = time.perf_counter()
            derivations, contributions = core.rebuild("R2", [party], h)
            core_times.append(time.perf_counter() - t)
            assert derivations, f"could not re-derive blocked({party}) from rounds < {h}"
            sizes.append(len(contributions))
        out = {"sampled": len(picked), "rounds_of_sample": sorted(h for _, h in picked),
               "contributions_median": statistics.median(sizes), "core": _stats(core_times)}
        try:
            from engine.proof.build import build_proof
        except ImportError:
            build_proof = None
        if build_proof is not None:
            full_times, nodes, failures = [], [], 0
            for party, _ in picked:
                t = time.perf_counter()
                try:
                    proof = build_proof(conn, program, run_id, f'{conclusion}("{party}")', in_force_sql)
                except Exception as exc:  # the builder is work in progress; count, do not hide
                    failures += 1
                    out["full_error"] = f"{type(exc).__name__}: {exc}"[:300]
                    continue
                full_times.append(time.perf_counter() - t)
                nodes.append(len(proof.nodes))
            if full_times:
                out["full"] = _stats(full_times)
                out["full"]["nodes_median"] = statistics.median(nodes)
                out["full"]["nodes_max"] = max(nodes)
            out["full_failures"] = failures
    return out
