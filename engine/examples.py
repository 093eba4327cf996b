"""Run the examples written in rulebooks (`warrant test`): each example is evaluated in a
fresh in-memory case file holding only its `given` facts, then its expectations are checked.
A failed expectation is explained from that evaluation: the why-not of a fact that should hold,
or the proof of one that should not."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

from . import numbers
from .diagnostics import Diagnostic, error
from .eval import evaluate
from .eval.functions import register as register_functions
from .eval.relations import META_COLUMNS, ident, table_name
from .eval.sqlgen import CompileError
from .proof import api as proof_api
from .proof.build import ALL_ROUNDS, Context
from .proof.terms import ProofError, atom_text
from .source import Span
from .syntax import ast
from .syntax.program import Program
from .store.facts import run_rows

_META_ORDER = tuple(sorted(set(META_COLUMNS.values())))


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one example: passed, or the expectations that failed."""

    name: str
    span: Span
    failures: tuple[tuple[str, Span], ...]  # (what went wrong, the expectation's span)
    explanations: tuple[str, ...] = ()  # for each failure: the why-not or the proof, as text
    as_of: str = ""  # the assessment date the example ran on
    exercised: frozenset[str] = frozenset()  # ids (and branch keys) of the rules that derived a fact, if asked

    @property
    def passed(self) -> bool:
        return not self.failures

    def diagnostics(self) -> list[Diagnostic]:
        return [error("T001", f'example "{self.name}" failed: {message}', span,
                      "fix the rule or the example; below, the example's own evaluation explains the result")
                for message, span in self.failures]


def _value(term) -> object:
    return numbers.stored(term.value)  # a given 5.0 is the number 5


def _given_tables(conn: sqlite3.Connection, program: Program, example: ast.Example) -> None:
    for decl in program.declarations:
        if decl.is_evidence:
            cols = [ident(c.name) for c in decl.columns] + list(_META_ORDER)
            conn.execute(f"CREATE TABLE {table_name('ex', decl.name)} ({', '.join(cols)})")
    for atom in example.given:
        decl = program.declaration(atom.predicate)
        args = [_value(a) for a in atom.args]
        meta = {META_COLUMNS[m.field]: _value(m.value) for m in atom.meta}
        meta.setdefault("_source", "example")
        meta.setdefault("_hash", hashlib.sha256(json.dumps([atom.predicate, args, sorted(meta.items())], default=str).encode()).hexdigest())
        row = args + [meta.get(m) for m in _META_ORDER]
        conn.execute(f"INSERT INTO {table_name('ex', decl.name)} VALUES ({', '.join('?' * len(row))})", row)


def _holds(conn: sqlite3.Connection, program: Program, atom: ast.Atom, run_id: str) -> bool:
    decl = program.declaration(atom.predicate)
    conds = " AND ".join(f"{ident(c.name)} = ?" for c in decl.columns) or "1 = 1"
    run, params = run_rows(run_id)
    sql = f"SELECT 1 FROM {table_name('fact', decl.name)} WHERE {run} AND {conds} LIMIT 1"
    return conn.execute(sql, params + [_value(a) for a in atom.args]).fetchone() is not None


def show_atom(atom: ast.Atom) -> str:
    """An atom as written in a rulebook: blocked("A")."""
    return atom_text(atom.predicate, [a.value for a in atom.args])


def _explain(conn: sqlite3.Connection, program: Program, run_id: str, atom: ast.Atom, evidence, holds: bool) -> str:
    """The proof of `atom` (when it holds) or its why-not, as indented text without the run's header line."""
    try:
        answer = (proof_api.why if holds else proof_api.whynot)(conn, program, run_id, show_atom(atom), evidence)
    except (ProofError, CompileError, sqlite3.Error) as exc:
        return f"(cannot explain it: {exc})"
    return str(proof_api.render(answer, "text")).split("\n", 1)[-1].rstrip("\n")


def _exercised(conn: sqlite3.Connection, program: Program, run_id: str, evidence) -> frozenset[str]:
    """The rules that derive at least one fact of the run (a derivation of some fact of their head predicate,
    whether or not another rule derived it first), by id and, for a branch of a rule with `or`, by key
    (`R1#2`)."""
    ctx = Context(conn, program, run_id, evidence, None)
    found: set[str] = set()
    for decl in ctx.decls.values():
        if decl.is_evidence:
            continue
        rules = ctx.rules_for(decl.name)
        facts = [args for args, _ in ctx.fact_rows(decl.name, [None] * decl.arity, ALL_ROUNDS)]
        for rule in rules:
            if any(ctx.derivation_rows(rule, list(args), ALL_ROUNDS)[1] for args in facts):
                found |= {rule.id, rule.key}  # the key names the branch of a rule written with `or`
    return frozenset(found)


def run_example(program: Program, example: ast.Example, coverage: bool = False) -> ExampleResult:
    """Evaluate one example in isolation and compare with its expectations; with `coverage`, also find
    the rules its evaluation exercised."""
    conn = register_functions(sqlite3.connect(":memory:", isolation_level=None))
    try:
        _given_tables(conn, program, example)
        evidence = lambda d, _as_of: (f"SELECT * FROM {table_name('ex', d.name)}", [])  # noqa: E731
        result = evaluate(conn, program, evidence, as_of=example.as_of)
        holds = lambda a: _holds(conn, program, a, result.run_id)  # noqa: E731
        wrong = [(a, False, f"expected {show_atom(a)} to hold, but it does not") for a in example.expect
                 if not holds(a)]
        wrong += [(a, True, f"expected {show_atom(a)} not to hold, but it does") for a in example.expect_not
                  if holds(a)]
        return ExampleResult(
            example.name, example.span, tuple((message, a.span) for a, _, message in wrong),
            tuple(_explain(conn, program, result.run_id, a, evidence, held) for a, held, _ in wrong),
            result.as_of, _exercised(conn, program, result.run_id, evidence) if coverage else frozenset())
    finally:
        conn.close()


def run_examples(program: Program, coverage: bool = False) -> list[ExampleResult]:
    """Run every example of the program's root rulebook, in file order."""
    return [run_example(program, ex, coverage) for ex in program.examples]
