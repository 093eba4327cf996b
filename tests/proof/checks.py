"""An independent checker of proofs against the stored run and the fake evidence tables."""

from __future__ import annotations

import operator

from engine.store.facts import run_rows
from engine.eval.relations import ident

OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq, "!=": operator.ne}


def _fact_round(conn, program, run_id, predicate, args):
    decl = program.declaration(predicate)
    where = " AND ".join(f"{ident(c.name)} = ?" for c, a in zip(decl.columns, args) if a is not None)
    vals = [a for a in args if a is not None]
    run, params = run_rows(run_id)
    sql = f'SELECT MIN(_round) FROM "fact_{predicate}" WHERE {run}' + (f" AND {where}" if where else "")
    return conn.execute(sql, params + vals).fetchone()[0]


def _records(conn, program, predicate, args):
    decl = program.declaration(predicate)
    where = " AND ".join(f"{ident(c.name)} = ?" for c, a in zip(decl.columns, args) if a is not None)
    vals = [a for a in args if a is not None]
    return conn.execute(f'SELECT _hash FROM "ev_{predicate}"' + (f" WHERE {where}" if where else ""), vals).fetchall()


def check_proof(conn, program, proof) -> None:
    nodes = proof.nodes
    assert proof.root in nodes and nodes[proof.root].kind == "fact"
    for nid, n in nodes.items():
        assert n.id == nid
        for k in proof.children(nid):
            assert k in nodes, f"dangling {k}"
        if n.kind == "fact":
            assert n.holds
            if n.role == "evidence":
                assert n.evidence
                continue
            assert n.derivations, f"{n.text} has no derivation"
            assert _fact_round(conn, program, proof.run.run_id, n.predicate, n.args) == n.round
            for d_id in n.derivations:
                d = nodes[d_id]
                if d.kind == "omitted":
                    continue
                assert d.conclusion == nid
                check_premises(conn, program, proof, d.premises, n.round)
        elif n.kind == "evidence":
            hashes = [r[0] for r in _records(conn, program, n.predicate, n.args)]
            assert n.record in hashes, f"record {n.record} of {n.text} not in the store"


def check_premises(conn, program, proof, premises, h) -> None:
    nodes = proof.nodes
    for p in premises:
        kids = [nodes[k] for k in p.nodes]
        if p.kind == "atom":
            assert kids, f"no support for {p.text}"
            for k in kids:
                if k.kind == "fact":
                    assert k.round is not None and k.round < h, f"{k.text} round {k.round} not below {h}"
                else:
                    assert k.kind == "evidence"
                    if "_" not in p.text:
                        assert k.text == p.text, f"record {k.text} does not match {p.text}"
        elif p.kind == "negation":
            (a,) = kids
            assert a.kind == "absence"
            if a.evidence:
                assert not _records(conn, program, a.predicate, a.args), f"{a.text} is present"
            else:
                assert _fact_round(conn, program, proof.run.run_id, a.predicate, a.args) is None, f"{a.text} holds"
        elif p.kind == "comparison":
            (c,) = kids
            assert c.holds and OPS[c.op](c.left, c.right)
        else:
            (g,) = kids
            values = [c.value for c in g.contributions]
            expect = {"sum": lambda v: sum(v), "count": lambda v: len(v) if not g.distinct else len(set(v)),
                      "min": min, "max": max}[g.function](values) if values else (0 if g.function in ("sum", "count") else None)
            assert abs(expect - g.total) < 1e-9, f"{g.expression}: contributions give {expect}, total {g.total}"
            if g.compared:
                assert g.compared.holds and OPS[g.compared.op](g.total, g.compared.value)
            for c in g.contributions:
                assert c.nodes
                for k in c.nodes:
                    if nodes[k].kind == "fact":
                        assert nodes[k].round < h
