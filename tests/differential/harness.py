"""Run the engine over facts held in a throw-away in-memory SQLite database (no engine/store)."""

from __future__ import annotations

import sqlite3

from engine.store.facts import run_rows
from engine.eval import evaluate
from engine.eval.relations import ident
from engine.source import SourceFile
from engine.syntax.parser import parse_text
from engine.syntax.program import Program

META = ("_hash", "_source", "_source_kind", "_reliability", "_credibility")
NOW = "2024-06-30T12:00:00.000000Z"


def parse_program(text: str, path: str = "generated.rulebook") -> Program:
    rb = parse_text(SourceFile(path, text))
    return Program(rb, (rb,))


def fake_evidence(conn: sqlite3.Connection, program: Program, facts: dict[str, list[tuple]]) -> None:
    """One `ev_<pred>` table per evidence declaration: the declared columns plus record metadata."""
    for d in program.declarations:
        if d.is_evidence:
            cols = [ident(c.name) for c in d.columns]
            conn.execute(f'CREATE TABLE IF NOT EXISTS "ev_{d.name}" ({", ".join(cols + list(META))})')
    for pred, rows in facts.items():
        for i, r in enumerate(rows):
            conn.execute(
                f'INSERT INTO "ev_{pred}" VALUES ({",".join("?" * (len(r) + len(META)))})',
                list(r) + [f"h-{pred}-{i}-{r}", "s1", "registry", "B", 2],
            )


def evidence_sql(decl, as_of):
    return f'SELECT * FROM "ev_{decl.name}"', []


def new_conn() -> sqlite3.Connection:
    return sqlite3.connect(":memory:", isolation_level=None)


AS_OF = "2024-06-30"  # the run's date, for the engine and the naive evaluator alike


def run_engine(program: Program, facts: dict[str, list[tuple]], *, as_of: str | None = AS_OF,
               conn: sqlite3.Connection | None = None, **kw):
    """Evaluate; returns (conn, RunResult)."""
    conn = conn or new_conn()
    fake_evidence(conn, program, facts)
    result = evaluate(conn, program, evidence_sql, as_of=as_of, now=NOW, **kw)
    return conn, result


def norm(v):
    """A value as compared: numbers by value, but a whole number held as a float (5.0, which the language never
    gives) is told apart from the int 5."""
    if isinstance(v, float) and v.is_integer():
        return ("whole float", v)
    return v


def norm_set(rows) -> set[tuple]:
    return {tuple(norm(v) for v in r) for r in rows}


def stored_rows(conn, program: Program, pred: str, run_id: str) -> list[tuple]:
    """(args, _round, _rule) for every stored fact of `pred` in run `run_id`."""
    decl = program.declaration(pred)
    cols = "".join(f"{ident(c.name)}, " for c in decl.columns)
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (f"fact_{pred}",)).fetchone()
    if not exists:
        return []
    run, params = run_rows(run_id)
    q = f'SELECT {cols}_round, _rule FROM "fact_{pred}" WHERE {run}'
    return [(tuple(r[:-2]), r[-2], r[-1]) for r in conn.execute(q, params)]


def stored_facts(conn, program: Program, run_id: str) -> dict[str, set[tuple]]:
    return {d.name: {args for args, _, _ in stored_rows(conn, program, d.name, run_id)}
            for d in program.declarations if not d.is_evidence}


def dump_fact_tables(conn) -> str:
    """Every fact_* table, rows in storage order, as text (for byte-identical comparisons)."""
    out = []
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'fact_%' ORDER BY name")]
    for n in names:
        out.append(f"-- {n}")
        for row in conn.execute(f'SELECT * FROM "{n}"'):  # storage order
            out.append(repr(row))
    return "\n".join(out)
