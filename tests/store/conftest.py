"""Fixtures for the evidence store tests: the demo rulebook, a fresh case file, table dumps."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.store import open_store
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
    for name in sorted(st.db.table_names()):
        rows = st.db.execute(f'SELECT * FROM "{name}"').fetchall()
        out[name] = sorted(rows, key=repr)
    return out


def reported(err) -> list[tuple]:
    """A LoadError's problems as (file name, line, column, value, reason)."""
    return [(Path(p.file).name, p.line, p.column, p.value, p.reason) for p in err.problems]
