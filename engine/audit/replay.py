"""Replaying a stored run in bounded memory, reading the case file without taking its write lock.

The run is evaluated again, under its own id, into a private scratch database (an anonymous temporary
file, deleted when closed) to which the case file is attached read-only as `stored`, in one read
transaction. Unqualified table names resolve to the scratch database first, so the evaluator and the
proof builder work there unchanged: they write and read the replay's facts, and read the case file's
evidence. A read transaction in WAL mode blocks no writer; the replay's audit entry is the caller's.

Facts are compared predicate by predicate as SHA-256 digests of their rows (arguments, round, rule,
each value's type included by `repr`) streamed from ordered SELECTs; only a predicate whose digests
differ is compared row by row, by EXCEPT inside SQLite, to name the rows (at most `LIST_LIMIT` each).

A proof is a function of the run's facts (arguments and rounds), the evidence in force and the
rulebooks. With the facts identical, the proof of every conclusion rebuilt from the replay is the
stored run's proof byte for byte. Proof modes: `all` rebuilds both proofs of every conclusion and
compares their digests one conclusion at a time; `auto` does so only when the facts differ, to name
the conclusions whose proofs changed; `none` compares the facts alone.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sqlite3
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

from ..eval import evaluate
from ..eval.functions import register as register_functions
from ..eval.relations import ident, table_name
from ..proof.terms import GroundAtom, ProofError
from ..store.backend import POSTGRES, dialect, is_postgres_url
from ..store.facts import of_run
from ..syntax.program import Program
from .runs import FactsDiff

STORED = "stored"
LIST_LIMIT = 1000
PROOF_MODES = ("auto", "all", "none")

ProofText = Callable[[sqlite3.Connection, GroundAtom], str]


@dataclass(frozen=True)
class ReplayReport:
    """The outcome of a replay. `proofs_compared` counts the conclusions whose two proofs were rebuilt and
    compared; `proofs_differing` names those that differ (the first LIST_LIMIT; `proofs_differing_total`
    counts them all)."""

    run_id: str
    identical: bool
    facts_sha256: str
    diff: FactsDiff
    proofs_compared: int = 0
    proofs_differing: tuple[str, ...] = ()
    conclusions: int = 0
    proofs_differing_total: int = 0


@contextlib.contextmanager
def scratch(case_path: str) -> Iterator[sqlite3.Connection]:
    """A private temporary database with the case file attached read-only as `stored`, inside one transaction
    (a replay, a question asked of a rulebook without its current run, a why-not for a reader from whom records
    are withheld evaluate rules there). On PostgreSQL: a schema of its own in the case's database, first in the
    search path, inside a transaction of a connection of its own that is rolled back (store/backend_pg.py)."""
    if is_postgres_url(case_path):
        from ..store.backend_pg import scratch_schema
        with scratch_schema(case_path) as conn:
            yield conn
        return
    conn = register_functions(sqlite3.connect("", uri=True, isolation_level=None, timeout=60))
    try:
        conn.execute("PRAGMA journal_mode = MEMORY")
        uri = "file:" + urllib.parse.quote(os.path.abspath(case_path)) + "?mode=ro"
        conn.execute(f"ATTACH DATABASE ? AS {STORED}", [uri])
        conn.execute("BEGIN")
        yield conn
    finally:
        conn.close()


def schemas(conn) -> tuple[str, str]:
    """(the scratch schema, the case's) on a `scratch` connection: SQLite's main and the attached case file."""
    return getattr(conn, "schemas", ("main", STORED))


def replay_run(case_path: str, case_conn: sqlite3.Connection, program: Program, run_id: str, as_of,
               evidence_sql, proof_text: ProofText, proofs: str = "auto") -> ReplayReport:
    """Evaluate `run_id` again from the case file at `case_path` and compare it with the stored run:
    every fact exactly, and the proofs as `proofs` says. Writes nothing to the case file."""
    if proofs not in PROOF_MODES:
        raise ValueError(f"proofs must be one of {', '.join(PROOF_MODES)}, not {proofs!r}")
    with scratch(case_path) as conn:
        main, stored = schemas(conn)
        _mirror_table(conn, "runs")
        evaluate(conn, program, evidence_sql, as_of=as_of, run_id=run_id, collect=False)
        conn.execute(f"DELETE FROM {main}.runs")  # proofs describe the stored run: its own row, not the replay's
        conn.execute(f"INSERT INTO {main}.runs SELECT * FROM {stored}.runs WHERE id = ?", [run_id])
        digest, diff, conclusions = compare_stored_facts(conn, program, run_id)
        compared, differing, total = 0, [], 0
        if proofs == "all" or (proofs == "auto" and not diff.identical):
            compared, differing, total = compare_proofs(case_conn, conn, program, run_id, proof_text)
    return ReplayReport(run_id, diff.identical and not total, digest, diff, compared, tuple(differing),
                        conclusions, total)


def _mirror_table(conn: sqlite3.Connection, name: str) -> None:
    """An empty table in the scratch database made as the case file's table `name` was (no triggers)."""
    if dialect(conn) == POSTGRES:
        main, stored = schemas(conn)
        conn.execute(f'CREATE TABLE {main}."{name}" (LIKE {stored}."{name}")')
        return
    row = conn.execute(f"SELECT sql FROM {STORED}.sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone()
    if row is None:
        raise ValueError(f"the case file has no {name} table")
    conn.execute(row[0])


def _derived(program: Program) -> list:
    return sorted((d for d in program.declarations if not d.is_evidence), key=lambda d: d.name)


def _has_table(conn: sqlite3.Connection, schema: str, decl) -> bool:
    if dialect(conn) == POSTGRES:
        return conn.execute("SELECT to_regclass(?) IS NOT NULL", [f'{schema}."fact_{decl.name}"']).fetchone()[0]
    sql = f"SELECT 1 FROM {schema}.sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(sql, [f"fact_{decl.name}"]).fetchone() is not None


def _fact_columns(decl) -> list[str]:
    return [ident(c.name) for c in decl.columns] + ["_round", "_rule"]


def ordered_facts(conn: sqlite3.Connection, schema: str, decl, run_id: str) -> Iterable[tuple]:
    """The facts of one derived predicate in a run, (args..., round, rule), in key order, streamed."""
    if not _has_table(conn, schema, decl):
        return ()
    cols = ", ".join(_fact_columns(decl))
    return conn.execute(f"SELECT {cols} FROM {schema}.{table_name('fact', decl.name)} "
                        f"WHERE {of_run(param=':run', schema=schema)} ORDER BY {cols}", {"run": run_id})


def _digest(name: str, rows: Iterable[tuple], *hashes) -> int:
    n = 0
    for row in rows:
        data = repr((name,) + tuple(row)).encode()
        for h in hashes:
            h.update(data)
        n += 1
    return n


def rows_only_in(conn: sqlite3.Connection, decl, run_id: str, first: str, second: str,
                 limit: int = LIST_LIMIT) -> list[tuple]:
    """Facts of `decl` in `first` but not `second` (schemas), values and their types compared, sorted."""
    if not _has_table(conn, first, decl):
        return []
    cols = _fact_columns(decl)
    kind = "pg_typeof({})::text" if dialect(conn) == POSTGRES else "typeof({})"
    typed = ", ".join(cols + [kind.format(c) for c in cols])

    def select(schema: str) -> str:
        return f"SELECT {typed} FROM {schema}.{table_name('fact', decl.name)} WHERE {of_run(param=':run', schema=schema)}"

    sql = select(first) + (f" EXCEPT {select(second)}" if _has_table(conn, second, decl) else "")
    order = ", ".join(str(i + 1) for i in range(2 * len(cols)))
    rows = conn.execute(f"{sql} ORDER BY {order} LIMIT :limit", {"run": run_id, "limit": limit})
    return [tuple(r[:len(cols)]) for r in rows]


def compare_stored_facts(conn: sqlite3.Connection, program: Program, run_id: str) -> tuple[str, FactsDiff, int]:
    """(the stored run's facts digest, as `runs.facts_digest` computes it; how the replayed facts in `main`
    differ from the stored ones in `stored`; how many conclusions the stored run has)."""
    whole = hashlib.sha256()
    main, stored = schemas(conn)
    only_a, only_b, differing, conclusions = {}, {}, [], 0
    for decl in _derived(program):
        mine, theirs = hashlib.sha256(), hashlib.sha256()
        n = _digest(decl.name, ordered_facts(conn, stored, decl, run_id), whole, mine)
        _digest(decl.name, ordered_facts(conn, main, decl, run_id), theirs)
        conclusions += n if decl.kind == "conclusion" else 0
        only_a[decl.name], only_b[decl.name] = [], []
        if mine.digest() != theirs.digest():
            differing.append(decl.name)
            only_a[decl.name] = rows_only_in(conn, decl, run_id, stored, main)
            only_b[decl.name] = rows_only_in(conn, decl, run_id, main, stored)
    return whole.hexdigest(), FactsDiff(only_a, only_b, tuple(differing)), conclusions


def _atoms(conn: sqlite3.Connection, decl, run_id: str, schema: str, other: str) -> Iterator[tuple[GroundAtom, bool]]:
    """The distinct atoms of `decl` in `schema`, sorted, each with whether `other` holds it too."""
    if not _has_table(conn, schema, decl):
        return
    fact = table_name("fact", decl.name)
    cols = [ident(c.name) for c in decl.columns]
    same = "".join(f" AND o.{c} = s.{c}" for c in cols)
    also = (f"EXISTS (SELECT 1 FROM {other}.{fact} AS o WHERE {of_run('o', ':run', other)}{same})"
            if _has_table(conn, other, decl) else "0")
    shown = ", ".join(f"s.{c}" for c in cols) or "1"
    sql = f"SELECT DISTINCT {shown}, {also} FROM {schema}.{fact} AS s WHERE {of_run('s', ':run', schema)} ORDER BY {shown}"
    for row in conn.execute(sql, {"run": run_id}):
        yield GroundAtom(decl.name, tuple(row[:-1]) if cols else ()), bool(row[-1])


def _proof_digest(conn: sqlite3.Connection, atom: GroundAtom, proof_text: ProofText) -> str:
    try:
        text = proof_text(conn, atom)
    except ProofError as exc:
        text = f"no proof: {exc}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compare_proofs(case_conn: sqlite3.Connection, conn: sqlite3.Connection, program: Program, run_id: str,
                   proof_text: ProofText, limit: int = LIST_LIMIT) -> tuple[int, list[str], int]:
    """Rebuild the proof of every conclusion from the stored facts (`case_conn`) and from the replayed ones
    (`conn`), one conclusion at a time, and compare their SHA-256 digests: (conclusions compared, the first
    `limit` whose proofs differ or exist on one side only, how many differ in all)."""
    compared, differing, total = 0, [], 0
    main, kept = schemas(conn)
    for decl in (d for d in _derived(program) if d.kind == "conclusion"):
        stored = ((atom, both and _proof_digest(case_conn, atom, proof_text) == _proof_digest(conn, atom, proof_text),
                   both) for atom, both in _atoms(conn, decl, run_id, kept, main))
        replayed_only = ((atom, False, False) for atom, both in _atoms(conn, decl, run_id, main, kept) if not both)
        for atom, same, both in itertools.chain(stored, replayed_only):
            compared += both
            if not same:
                total += 1
                if len(differing) < limit:
                    differing.append(str(atom))
    return compared, differing, total
