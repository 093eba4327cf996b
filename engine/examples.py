"""Run the examples written in rulebooks (`warrant test`): each example is evaluated in a
fresh in-memory case file holding only its `given` facts, then its expectations are checked."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass

from .diagnostics import Diagnostic, error
from .eval import evaluate
from .eval.relations import META_COLUMNS, ident, table_name
from .source import Span
from .syntax import ast
from .syntax.program import Program

_META_ORDER = tuple(sorted(set(META_COLUMNS.values())))


@dataclass(frozen=True)
class ExampleResult:
    """The outcome of one example: passed, or the expectations that failed."""

    name: str
    span: Span
    failures: tuple[tuple[str, Span], ...]  # (what went wrong, the expectation's span)

    @property
    def passed(self) -> bool:
        return not self.failures

    def diagnostics(self) -> list[Diagnostic]:
        return [error("T001", f'example "{self.name}" failed: {message}', span,
                      "fix the rule or the example; `warrant why`/`whynot` on a case file explains the result")
                for message, span in self.failures]


def _value(term) -> object:
    return term.value


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
    conds = " AND ".join(f"{ident(c.name)} = ?" for c in decl.columns) or "1"
    sql = f"SELECT 1 FROM {table_name('fact', decl.name)} WHERE run_id = ? AND {conds} LIMIT 1"
    return conn.execute(sql, [run_id] + [_value(a) for a in atom.args]).fetchone() is not None


def show_atom(atom: ast.Atom) -> str:
    """An atom as written in a rulebook: blocked("A")."""
    return f"{atom.predicate}({', '.join(json.dumps(a.value) if isinstance(a.value, str) else str(a.value) for a in atom.args)})"


def run_example(program: Program, example: ast.Example) -> ExampleResult:
    """Evaluate one example in isolation and compare with its expectations."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        _given_tables(conn, program, example)
        result = evaluate(conn, program, lambda d, _as_of: (f"SELECT * FROM {table_name('ex', d.name)}", []),
                          as_of=example.as_of)
        holds = lambda a: _holds(conn, program, a, result.run_id)  # noqa: E731
        failures = [(f"expected {show_atom(a)} to hold, but it does not", a.span) for a in example.expect if not holds(a)]
        failures += [(f"expected {show_atom(a)} not to hold, but it does", a.span) for a in example.expect_not if holds(a)]
        return ExampleResult(example.name, example.span, tuple(failures))
    finally:
        conn.close()


def run_examples(program: Program) -> list[ExampleResult]:
    """Run every example of the program's root rulebook, in file order."""
    return [run_example(program, ex) for ex in program.examples]
