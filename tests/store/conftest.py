"""Fixtures for the evidence store tests: the demo rulebook, a fresh case file, table dumps, loads of
generated files."""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from unittest import mock

import pytest

from engine.store import LoadError, Problem, load_facts, open_store
from engine.store.backend import POSTGRES, dialect
from engine.store.schema import table_names
from engine.syntax.program import load_program

FIXTURES = Path(__file__).parent.parent / "fixtures" / "store"


@pytest.fixture(scope="session")
def program():
    prog, diags, _ = load_program(FIXTURES / "demo.rules")
    assert prog is not None and not diags
    return prog


@pytest.fixture
def store(tmp_path):
    st = open_store(tmp_path / "case.db")
    yield st
    st.close()


@pytest.fixture
def facts(tmp_path):
    """A writer of files into a facts folder: facts('listed.csv', text) -> the folder."""
    folder = tmp_path / "facts"
    folder.mkdir()

    def write(name: str, text: str) -> Path:
        (folder / name).write_text(text, encoding="utf-8")
        return folder

    write.folder = folder
    return write


def dump(st) -> dict:
    """Every table's rows, sorted: the content of the case file."""
    out = {}
    for name in sorted(table_names(st.conn)):
        rows = st.conn.execute(f'SELECT * FROM "{name}"').fetchall()
        out[name] = sorted(rows, key=repr)
    return out


def stored(conn, table: str, columns: str = "*", last: bool = False) -> list[tuple]:
    """The rows of `table` (its `columns`) in the order stored, or only the last one stored when `last`: by
    rowid in a case file, by place in the table's heap (ctid) on PostgreSQL, where a load appends its records
    in file order (staging_pg) and an evidence record is never updated or deleted, so none moves (only the
    space of a load rolled back may be filled again, after a vacuum)."""
    order = "ctid" if dialect(conn) == POSTGRES else "rowid"
    tail = " DESC LIMIT 1" if last else ""
    return conn.execute(f'SELECT {columns} FROM "{table}" ORDER BY {order}{tail}').fetchall()


def rows(conn, table: str, where: str = "", params=()) -> list[dict]:
    """The rows of `table` (those `where` holds for), each as a dict by column name."""
    cur = conn.execute(f'SELECT * FROM "{table}"' + (f" WHERE {where}" if where else ""), params)
    names = [column[0] for column in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def count(conn, table: str) -> int:
    """How many rows `table` has."""
    return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]


def indexes(st, table: str) -> list[tuple]:
    """The indexes of `table` as (name, columns, unique, partial), sorted."""
    if dialect(st.conn) != POSTGRES:
        return sorted((ix.name, tuple(ix.columns), bool(ix.unique), bool(ix.partial))
                      for ix in st.db.table(table).indexes)
    found = st.conn.execute(
        "SELECT c.relname, ARRAY(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(n, o) "
        "JOIN pg_attribute AS a ON a.attrelid = x.indrelid AND a.attnum = k.n ORDER BY k.o), x.indisunique, "
        "x.indpred IS NOT NULL "
        "FROM pg_index AS x JOIN pg_class AS c ON c.oid = x.indexrelid WHERE x.indrelid = to_regclass(?)",
        [f'"{table}"'])
    return sorted((name, tuple(columns), unique, partial) for name, columns, unique, partial in found)


def reported(err) -> list[tuple]:
    """A LoadError's problems as (file name, line, column, value, reason)."""
    return [(Path(p.file).name, p.line, p.column, p.value, p.reason) for p in err.problems]


@dataclass
class Loaded:
    """What a load into a fresh case file left: every table but `loads`, the evidence rows of one table in
    the order stored, and the problems when it was refused (else None)."""

    content: dict
    in_order: list
    problems: list[Problem] | None


def load_files(program, files: dict[str, str], table: str = "ev_holding",
               now: str = "2024-06-01T12:00:00Z") -> Loaded:
    """Load a facts folder holding `files` (name -> text) into a fresh case file."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "facts"
        folder.mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        store = open_store(Path(tmp) / "case.db")
        try:
            load_facts(store, program, folder, now=now)
            problems = None
        except LoadError as err:
            problems = list(err.problems)
        content = {name: rows for name, rows in dump(store).items() if name != "loads"}
        in_order = stored(store.conn, table) if table in table_names(store.conn) else []
        store.close()
    return Loaded(content, in_order, problems)


def load_or_refuse(program, name: str, data: bytes, table: str = "ev_owns"):
    """Load one file of `data` into a fresh case file: (the LoadReport, the rows of `table` in the order stored),
    or (None, []) when the load is refused, after checking that every problem is located and the case file
    is unchanged."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "facts"
        folder.mkdir()
        (folder / name).write_bytes(data)
        store = open_store(Path(tmp) / "case.db")
        before = dump(store)
        try:
            report = load_facts(store, program, folder, now="2024-06-01T00:00:00Z")
            rows = stored(store.conn, table)
        except LoadError as err:
            assert err.problems and all(p.line >= 1 and p.col >= 1 and p.file for p in err.problems)
            assert dump(store) == before
            report, rows = None, []
        finally:
            store.close()
    return report, rows


@contextlib.contextmanager
def calls(owner, name: str) -> Iterator[list]:
    """While the block runs, record the arguments of every call of `owner.name` (which still runs)."""
    seen: list = []
    real = getattr(owner, name)

    def spy(*args, **kwargs):
        seen.append(args)
        return real(*args, **kwargs)

    with mock.patch.object(owner, name, spy):
        yield seen
