"""One evaluation run: snapshot the evidence in force, reach the fixpoint, store the facts.

Everything happens in one transaction on the case file: a run either stores all its
facts under a new run id, or (on any error, including the round limit) nothing at all.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from ..syntax.ast import Declaration, body_atoms
from ..syntax.program import Program
from ..store.backend import POSTGRES, SQLITE, dialect, has_table
from ..store.facts import at_step, begin, hint_planner, is_latest, of_run
from . import ddl
from .functions import register as register_functions
from .in_force import program_on
from .plan import make_plan
from .relations import RunTables, ident, lookup_columns, table_name
from .guards import RuleError
from .incremental import Previous, Reuse, full, incremental_fixpoint, why_not_incremental
from .limits import LimitError, is_interrupt, time_limit, time_limit_error
from .seminaive import RoundLimitError, Trace, fixpoint
from .demand import Demand
from .propagate import evidence_sources
from .slice import needed, read_in_place, sliced_fixpoint
from .stated import insert_stated_facts

EvidenceSQL = Callable[[Declaration, str | None], tuple[str, list]]


class EvalError(Exception):
    """A run that could not complete; nothing from it was stored."""


@dataclass(frozen=True)
class RunResult:
    run_id: str
    rulebook: dict
    as_of: str
    rounds: int
    conclusions: dict[str, list[list]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    reuse: Reuse | None = None  # how the run was made: incremental from a previous run, or full and why
    spans: tuple[tuple[int, int], ...] = ()  # each stratum's (first round, rounds); none for a partial run

    def to_json(self) -> dict:
        return {"run_id": self.run_id, "rulebook": self.rulebook, "as_of": self.as_of, "conclusions": self.conclusions}


def _uses_meta(program: Program) -> set[str]:
    return {a.predicate for r in program.rules for a, _, _ in body_atoms(r.body) if a.meta}


def snapshot_evidence(conn, program: Program, evidence_sql: EvidenceSQL, as_of: str | None,
                      only: Callable[[str], bool] = lambda name: True) -> None:
    """Copy the evidence in force into the run's temp tables: e_<pred> (distinct arguments), m_<pred> (records);
    with `only`, of the predicates it accepts."""
    with_meta = _uses_meta(program)
    lookup = lookup_columns(program, make_plan(program))
    for decl in program.declarations:
        if not decl.is_evidence or not only(decl.name):
            continue
        sql, params = evidence_sql(decl, as_of)
        cols = ", ".join(ident(c.name) for c in decl.columns)
        typed = ", ".join(ddl.column(conn, c.name, c.type) for c in decl.columns)
        if decl.columns:  # clustered on all the columns: deduplicated, and covering for lookups on the first
            ddl.fill_keyed(conn, table_name("e", decl.name), typed, cols, f"SELECT {cols} FROM ({sql}) AS _in_force",
                           params)
        else:  # a nullary predicate: one row when some record is in force, none otherwise
            conn.execute(f"CREATE TEMP TABLE {table_name('e', decl.name)} AS SELECT DISTINCT 0 AS _unit "
                         f"FROM ({sql}) AS _in_force", params)
        for i, c in enumerate(decl.columns):
            if i == 0 or i not in lookup.get(decl.name, ()):
                continue
            conn.execute(f'CREATE INDEX {ddl.temp_index(conn, f"e_{decl.name}__{c.name}")} '
                         f'ON {table_name("e", decl.name)} ({ident(c.name)})')
        if dialect(conn) == POSTGRES:  # no autovacuum for temporary tables: without statistics, plans are guesses
            conn.execute(f"ANALYZE {table_name('e', decl.name)}")
        if decl.name in with_meta:
            conn.execute(f"CREATE TEMP TABLE {table_name('m', decl.name)} AS SELECT * FROM ({sql}) AS _in_force", params)
            first = ident(decl.columns[0].name) if decl.columns else "_hash"
            conn.execute(f'CREATE INDEX {ddl.temp_index(conn, f"m_{decl.name}__k")} ON {table_name("m", decl.name)} ({first})')


def make_derived_tables(conn, program: Program) -> None:
    """The run's temp tables r_<pred> for the derived predicates, with the indexes its rules probe."""
    lookup = lookup_columns(program, make_plan(program))
    for decl in program.declarations:
        if decl.is_evidence:
            continue
        cols = [ident(c.name) for c in decl.columns]
        typed = [ddl.column(conn, c.name, c.type) for c in decl.columns]
        if cols:  # clustered on the key: one B-tree for the facts, and the round index covers the delta
            conn.execute(f"CREATE TEMP TABLE {table_name('r', decl.name)} ({', '.join(typed + ['_round INTEGER', '_rule TEXT'])}, "
                         f"PRIMARY KEY ({', '.join(cols)})){ddl.clustered(conn)}")
        else:  # a nullary predicate holds or not: at most one row, keyed by a constant
            conn.execute(f"CREATE TEMP TABLE {table_name('r', decl.name)} (_unit INTEGER NOT NULL DEFAULT 0, "
                         f"_round INTEGER, _rule TEXT, PRIMARY KEY (_unit)){ddl.clustered(conn)}")
        conn.execute(ddl.round_index(conn, decl.name))
        for i, c in enumerate(decl.columns):
            if i == 0 or i not in lookup.get(decl.name, ()):
                continue
            conn.execute(f'CREATE INDEX {ddl.temp_index(conn, f"r_{decl.name}__{c.name}")} '
                         f'ON {table_name("r", decl.name)} ({ident(c.name)})')


def _drop_temp(conn) -> None:
    for name in ddl.temp_tables(conn):
        conn.execute(f'DROP TABLE "{name}"')  # temporary tables: both databases look there first


def _fact_table(conn, decl: Declaration, hint: bool) -> str:
    """fact_<pred>, made when missing: (lineage, arguments..., round, rule, born, died), keyed by lineage,
    arguments and step (store/facts.py); with `hint`, on SQLite, with statistics for the planner."""
    cols = [ident(c.name) for c in decl.columns]
    typed = [ddl.column(conn, c.name, c.type) for c in decl.columns]
    fact = table_name("fact", decl.name)
    columns = ", ".join(["run_id TEXT NOT NULL"] + typed + ["_round INTEGER", "_rule TEXT", "_born INTEGER NOT NULL",
                                                             "_died INTEGER"])
    if cols:  # one B-tree clustered on (lineage, args, step): a run's rows are read in key order
        made = not has_table(conn, f"fact_{decl.name}")
        conn.execute(f"CREATE TABLE IF NOT EXISTS {fact} ({columns}, PRIMARY KEY (run_id, {', '.join(cols)}, _born))"
                     f"{ddl.clustered(conn)}")
        if made and hint and dialect(conn) == SQLITE:
            hint_planner(conn, f"fact_{decl.name}", len(cols))
    else:
        conn.execute(f"CREATE TABLE IF NOT EXISTS {fact} ({columns})")
        conn.execute(f'CREATE INDEX IF NOT EXISTS "fact_{decl.name}__key" ON {fact} (run_id, _born)')
    return fact


def _persist(conn, program: Program, lineage: str, step: int, provenance: bool = True,
             shared: dict[str, int] | None = None, hint: bool = True) -> dict[str, int]:
    """Store the run's facts, and return how many each derived predicate has: all of them at a lineage's first
    step; at a later step, only the rows that differ from the step before (superseding the rows that left),
    none of the `shared` predicates', stored already (by their counts). `hint`: see `_fact_table`."""
    shared = shared or {}
    counts = {}
    kept = ["_round", "_rule"] if provenance else ["NULL", "NULL"]
    at = {"lineage": lineage, "step": step}
    for decl in program.declarations:
        if decl.is_evidence:
            continue
        cols = [ident(c.name) for c in decl.columns]
        fact, r = _fact_table(conn, decl, hint), table_name("r", decl.name)
        if decl.name in shared:
            counts[decl.name] = shared[decl.name]
            continue
        if step:
            _supersede(conn, fact, r, cols, at)
        order = ", ".join(cols) if cols else "_rule"
        new = "" if not step else f" WHERE NOT EXISTS (SELECT 1 FROM {fact} AS f WHERE {_same('f', 'n', cols)})"
        cur = conn.execute(f"INSERT INTO {fact} SELECT :lineage, {', '.join(cols + kept)}, :step, NULL "
                           f"FROM {r} AS n{new} ORDER BY {order}", at)
        counts[decl.name] = conn.execute(f"SELECT COUNT(*) FROM {r}").fetchone()[0] if step else cur.rowcount
    return counts


def _same(a: str, b: str, cols: list[str]) -> str:
    """`a`, a row of the run being made (at_step), holds the fact, round and rule of `b`."""
    same = "".join(f" AND {a}.{c} = {b}.{c}" for c in cols)
    return f"{at_step(a)}{same} AND {a}._round IS {b}._round AND {a}._rule IS {b}._rule"


def _supersede(conn, fact: str, r: str, cols: list[str], at: dict) -> None:
    """Mark the rows of the step before that this run does not hold (argument, round and rule) as ended here."""
    same = "".join(f" AND n.{c} = f.{c}" for c in cols)
    conn.execute(f"UPDATE {fact} AS f SET _died = :step WHERE {at_step('f')} AND NOT EXISTS "
                 f"(SELECT 1 FROM {r} AS n WHERE n._round IS f._round AND n._rule IS f._rule{same})", at)


def stored_conclusions(conn, program: Program, run_id: str) -> dict[str, list[list]]:
    """Every conclusion of a stored run, by predicate, rows sorted."""
    out = {}
    for decl in sorted((d for d in program.declarations if d.kind == "conclusion"), key=lambda d: d.name):
        cols = ", ".join(ident(c.name) for c in decl.columns) or "1"
        rows = conn.execute(f"SELECT {cols} FROM {table_name('fact', decl.name)} WHERE {of_run()} ORDER BY {cols}",
                            {"run_id": run_id}).fetchall()
        out[decl.name] = [list(r)[:len(decl.columns)] for r in rows]
    return out


RUNS_TABLE = ("CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, rulebook_sha256 TEXT, as_of TEXT, started_at TEXT, "
              "finished_at TEXT, status TEXT, counts TEXT)")


def _next_run_id(conn) -> str:
    conn.execute(RUNS_TABLE)
    n = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    return f"run-{n + 1:06d}"


def _record_rulebooks(conn, run_id: str, program: Program) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS run_rulebooks (run_id TEXT, position INTEGER, rulebook_id TEXT, sha256 TEXT, "
                 "PRIMARY KEY (run_id, position))")
    conn.executemany("INSERT INTO run_rulebooks VALUES (?, ?, ?, ?)",
                     [(run_id, i, rb.id, rb.sha256) for i, rb in enumerate(program.rulebooks)])


def _undo(conn) -> None:
    """Roll the run back: to its savepoint, unless an interrupt already rolled back the whole transaction."""
    if conn.in_transaction:
        conn.execute("ROLLBACK TO warrant_run")
        conn.execute("RELEASE warrant_run")
    _drop_temp(conn)


def _continues(conn, previous: Previous) -> bool:
    """Whether a run taking over `previous` continues its lineage (storing only what it changes): on SQLite,
    when `previous` is its lineage's last step (store/facts.py)."""
    return dialect(conn) == SQLITE and is_latest(conn, previous.run_id)


def _mode(program: Program, previous: Previous | None, day: str, full_reason: str) -> Reuse:
    """Whether a run on `day` may take over `previous` (a Reuse naming it), or is full and why."""
    if previous is None:
        return full(full_reason)
    reason = why_not_incremental(program, previous.as_of[:10], day)
    return full(reason) if reason else Reuse(previous.run_id)


def evaluate(conn: sqlite3.Connection, program: Program, evidence_sql: EvidenceSQL, *, as_of: str | None = None,
             max_rounds: int = 100_000, trace: Trace | None = None, now: str | None = None,
             run_id: str | None = None, collect: bool = True, max_seconds: float | None = None,
             max_facts: int | None = None, provenance: bool = True, previous: Previous | None = None,
             full_reason: str = "asked for", ask: str | Demand | None = None) -> RunResult:
    """Evaluate `program` over the evidence in force at `as_of` and store the facts under a new run id
    (or under `run_id`, which must not be in use: replay uses it inside a savepoint it rolls back).
    With `collect`, the result lists every conclusion; otherwise read them later with `stored_conclusions`.
    Past `max_rounds`, `max_seconds` or `max_facts` (None or 0: no limit), or when a rule fails or stores a
    non-finite number, it raises EvalError and stores nothing (the time limit rolls back the enclosing
    transaction too). `provenance=False` is for benchmarks only (see RunTables): such a run has no proofs.
    With `previous`, strata whose inputs did not change are taken over from that run (incremental.py): the
    same facts, rounds and rules as a full run; `full_reason` says why a run without `previous` is full.
    With `ask` (a predicate), only the strata it needs are evaluated (slice.py), with the facts and rounds a
    full run gives them, and other derived predicates are left empty: a partial run, never to be stored as
    a run of record (engine/point.py evaluates it in a scratch database). With `ask` a Demand (an atom with
    some arguments bound), its own stratum derives only the facts that atom needs (demand.py), and the
    evidence only that stratum reads is read in place from the case file's tables, not copied."""
    started = now or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    as_of_date = (as_of or started)[:10]
    written = program
    program = program_on(program, as_of_date)
    decls = {d.name: d for d in program.declarations}
    constants = {c.name: c for c in program.constants}
    if dialect(conn) == SQLITE:  # on PostgreSQL the functions live in the case's database (functions_pg.py)
        register_functions(conn)  # the caller's connection may be one that engine.store did not open
        conn.execute("PRAGMA temp.cache_size = -262144")  # the run's working tables live in temp: 256 MiB, not 2 MiB
    conn.execute("SAVEPOINT warrant_run")
    try:
        with time_limit(conn, max_seconds):
            run_id = run_id or _next_run_id(conn)
            reuse = _mode(written, previous if provenance and ask is None else None, as_of_date, full_reason)
            deferred = previous.told() if reuse.incremental else frozenset()  # copied when a stratum reads them
            lineage, step = begin(conn, run_id, previous.run_id if reuse.incremental and _continues(conn, previous)
                                  else None)
            snapshot = partial(snapshot_evidence, conn, program, evidence_sql, as_of)
            asked = ask.predicate if isinstance(ask, Demand) else ask
            need = needed(program, make_plan(program), asked) if asked is not None else None
            outside = read_in_place(make_plan(program), need, ask, decls) if isinstance(ask, Demand) else frozenset()
            tables = RunTables(decls, provenance, *evidence_sources(decls, outside, lambda d: evidence_sql(d, as_of)))
            if step:
                tables.share(lineage, step)
            snapshot(only=lambda name: name not in deferred and name not in outside and (need is None or name in need))
            make_derived_tables(conn, program)
            insert_stated_facts(conn, program)
            spans: list[tuple[int, int]] = []
            if reuse.incremental:
                rounds, reuse = incremental_fixpoint(conn, program, make_plan(program), tables, constants, as_of_date,
                                                     previous, _uses_meta(program),
                                                     lambda names: snapshot(only=names.__contains__),
                                                     lambda decl: evidence_sql(decl, as_of), max_rounds, trace,
                                                     max_facts, spans, shares=bool(step))
            if not reuse.incremental:  # then incremental_fixpoint copied nothing
                snapshot(only=deferred.__contains__)
                rounds = (fixpoint(conn, make_plan(program), tables, constants, as_of_date, max_rounds, trace, max_facts,
                                   spans)
                          if need is None else
                          sliced_fixpoint(conn, make_plan(program), need, tables, constants, as_of_date, max_rounds,
                                          trace, max_facts, ask if isinstance(ask, Demand) else None))
            # a partial run is read only in the scratch database it is made in: no run continues it
            counts = _persist(conn, program, lineage, step, provenance, tables.shared, hint=ask is None)
            conclusions = stored_conclusions(conn, program, run_id) if collect else {}
        rulebook = {"id": program.root.id, "version": program.root.version, "sha256": program.sha256}
        conn.execute(RUNS_TABLE)  # a run id given: the table may not be there yet
        conn.execute(
            "INSERT INTO runs (id, rulebook_sha256, as_of, started_at, finished_at, status, counts) VALUES (?, ?, ?, ?, ?, 'complete', ?)",
            (run_id, program.sha256, as_of or started, started, started, json.dumps(counts, sort_keys=True)),
        )
        _record_rulebooks(conn, run_id, program)
        _drop_temp(conn)
        conn.execute("RELEASE warrant_run")
    except BaseException as exc:
        _undo(conn)
        if is_interrupt(exc):
            raise EvalError(str(time_limit_error(max_seconds or 0))) from exc
        if isinstance(exc, (RoundLimitError, LimitError, RuleError)):
            raise EvalError(str(exc)) from exc
        raise
    return RunResult(run_id, rulebook, as_of_date, rounds, conclusions, counts, reuse,
                     tuple(spans) if provenance and need is None else ())
