"""Whatever bytes a fact file holds, a load either succeeds or raises LoadError naming the problems:
never another exception, and never a partial load."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from .conftest import load_or_refuse

PIECES = st.sampled_from(["owner", "owned", "percent", "_source", "_valid_to", "_action", ",", "\n", "\r\n", '"',
                          "A", "50", "-1", "2024-01-01", "retract", "\xff", "é", " ", "\x00", "{", "[", "]", "}",
                          ":", '"owner"', "1e999", "nan"])
TEXTS = st.lists(PIECES, max_size=40).map("".join)
HEADERS = st.sampled_from(["owner,owned,percent\n", "owner,owned,percent,_source\n", "owned,percent,owner\n", ""])



@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(["owns.csv", "owns.json", "owns.jsonl"]), header=HEADERS, body=TEXTS)
def test_any_bytes_load_or_are_refused_with_located_problems(program, name, header, body):
    data = (header + body).encode("utf-8").replace("\xff".encode("utf-8"), b"\xff")
    load_or_refuse(program, name, data)
