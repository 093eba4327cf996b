"""Whatever bytes a fact file holds, a load either succeeds or raises LoadError naming the problems:
never another exception, and never a partial load."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings, strategies as st

from engine.store import LoadError, load_facts, open_store

from .conftest import dump

PIECES = st.sampled_from(["owner", "owned", "percent", "_source", "_valid_to", "_action", ",", "\n", "\r\n", '"',
                          "A", "50", "-1", "2024-01-01", "retract", "\xff", "é", " ", "\x00", "{", "[", "]", "}",
                          ":", '"owner"', "1e999", "nan"])
TEXTS = st.lists(PIECES, max_size=40).map("".join)
HEADERS = st.sampled_from(["owner,owned,percent\n", "owner,owned,percent,_source\n", "owned,percent,owner\n", ""])



@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["owns.csv", "owns.json", "owns.jsonl"]), header=HEADERS, body=TEXTS)
def test_any_bytes_load_or_are_refused_with_located_problems(program, name, header, body):
    data = (header + body).encode("utf-8").replace("\xff".encode("utf-8"), b"\xff")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "facts"
        folder.mkdir()
        (folder / name).write_bytes(data)
        store = open_store(Path(tmp) / "case.db")
        before = dump(store)
        try:
            load_facts(store, program, folder, now="2024-06-01T00:00:00Z")
        except LoadError as err:
            assert err.problems and all(p.line >= 1 and p.col >= 1 for p in err.problems)
            assert dump(store) == before
        store.close()
