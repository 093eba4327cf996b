"""Fact files built from structure (line ends CR, LF and CR LF mixed, trailing content, nesting, huge numbers,
long header lines, byte-order marks, duplicate keys, lookalike names) and then mutated byte by byte. Each
load either is refused with located problems and leaves the case file unchanged, or stores exactly the
records the csv or json module reads from the same file. WARRANT_FUZZ_EXAMPLES sets how many files each
test draws (HYPOTHESIS_PROFILE=explore for new ones)."""

from __future__ import annotations

import csv
import io
import json
import os
from unittest import mock

from hypothesis import HealthCheck, given, settings, strategies as st

from engine.store import parallel

from .conftest import load_or_refuse

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NAMES = st.sampled_from(["co:1", "Acme", "\u0410cme", "Ac\u200bme", "A\u202eB", "Beta, Ltd", "x\ufeffy", "株", "a\"b"])
NUMBERS = st.sampled_from(["10", "0", "100", "12.5", " 7", "5_0", "٥٠", "1e999", "7" * 400, "7" * 5000, "-1", ""])
ENDS = st.sampled_from(["\n", "\r", "\r\n"])
JUNK = st.sampled_from(["", "", "]", "[]", "x", "\ufeff", "{}", "\n\n", "[[[[[[[[", "[" * 1200])


def _csv_text(rows: list[tuple[str, str, str]], ends: list[str], header: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="")
    writer.writerow(header.split(","))
    for row, end in zip(rows, ends):
        out.write(end)
        writer.writerow(row)
    return out.getvalue() + (ends[-1] if ends else "")


@st.composite
def csv_files(draw) -> bytes:
    rows = draw(st.lists(st.tuples(NAMES, NAMES, NUMBERS), max_size=12))
    ends = draw(st.lists(ENDS, min_size=len(rows) + 1, max_size=len(rows) + 1))
    header = draw(st.sampled_from(["owner,owned,percent", "owned,percent,owner", "owner,owned,percent,_source",
                                   "owner,owned,percent" + "x" * (130 * 1024)]))
    if header.endswith("_source"):
        rows = [(*row, "") for row in rows]
    text = _csv_text(rows, ends, header)
    bom = draw(st.sampled_from(["", "", "\ufeff"]))
    return (bom + text + draw(JUNK).replace("[", ",") * draw(st.integers(0, 1))).encode()


@st.composite
def json_files(draw) -> tuple[str, bytes]:
    names = NAMES | st.just("a\ud800")  # a lone surrogate: only JSON can write one
    objects = draw(st.lists(st.fixed_dictionaries({"owner": names, "owned": names, "percent": st.one_of(
        NUMBERS, st.integers(-10, 10 ** 500), st.sampled_from([1.5, 100.0, float("inf")]))}), max_size=8))
    texts = [json.dumps(obj, ensure_ascii=draw(st.booleans())) for obj in objects]
    texts = [t.replace('"owned"', '"owner": "dup", "owned"', 1) if draw(st.integers(0, 9)) == 0 else t for t in texts]
    if draw(st.integers(0, 9)) == 0 and texts:
        texts[0] = texts[0][:-1] + ', "x": ' + "[" * 1100 + "]" * 1100 + "}"
    if draw(st.booleans()):
        body = "".join(t + draw(ENDS) for t in texts)
        return "owns.jsonl", (body + draw(JUNK)).encode("utf-8", "surrogatepass")
    separators = [draw(st.sampled_from([",", ",\n", ",\r\n", " ,\r"])) for _ in texts]
    body = "[" + "".join(t + s for t, s in zip(texts, separators)).rstrip(",\r\n ") + "]"
    return "owns.json", (draw(st.sampled_from(["", "\ufeff"])) + body + draw(JUNK)).encode("utf-8", "surrogatepass")


MUTATIONS = st.lists(st.tuples(st.integers(0, 10 ** 6), st.sampled_from(["insert", "delete", "replace"]),
                               st.sampled_from([b"\r", b"\n", b"\r\n", b"\x00", b"\xef\xbb\xbf", b'"', b",", b"\xff",
                                                b"[", b"]", b"{", b"}", b"5", b"\xd0\x90", b"\xe2\x80\x8b"])),
                     max_size=3)


def _mutate(data: bytes, mutations) -> bytes:
    for at, kind, piece in mutations:
        at = at % (len(data) + 1)
        if kind == "insert":
            data = data[:at] + piece + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + len(piece):]
        else:
            data = data[:at] + piece + data[at + len(piece):]
    return data


def _expected_records(name: str, data: bytes) -> list | None:
    """What the csv or json module reads from the file (records after the header), or None if it refuses."""
    try:
        text = data.decode("utf-8-sig")
        if name.endswith(".csv"):
            return [r for r in csv.reader(io.StringIO(text, newline="")) if r][1:]
        if name.endswith(".jsonl"):
            return [_strict(line) for line in io.StringIO(text, newline=None) if line.strip()]  # universal newlines
        return _strict(text)
    except (ValueError, csv.Error, RecursionError):
        return None


def _strict(text: str):
    def unique(pairs):
        assert len(dict(pairs)) == len(pairs)
        return dict(pairs)
    try:
        return json.loads(text, object_pairs_hook=unique)
    except AssertionError:
        raise ValueError("duplicate key") from None


def _check(program, name: str, data: bytes) -> None:
    with mock.patch.object(parallel, "MIN_BYTES", 0):  # the two-process lane too, whatever the size
        report, rows = load_or_refuse(program, name, data)
    if report is None:
        return
    stored = [(row[0], row[1]) for row in rows]
    expected = _expected_records(name, data)
    assert expected is not None, "loaded a file the csv or json module refuses"
    assert report.rows_read == len(expected)
    if name.endswith(".csv"):
        header = next(r for r in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")) if r)
        wanted = [(r[header.index("owner")], r[header.index("owned")]) for r in expected]
    else:
        wanted = [(r["owner"], r["owned"]) for r in expected]
    assert sorted(set(stored)) == sorted(set(wanted))


@FUZZ
@given(data=csv_files(), mutations=MUTATIONS)
def test_structural_csv_files_load_what_the_csv_module_reads_or_are_refused(program, data, mutations):
    _check(program, "owns.csv", _mutate(data, mutations))


@FUZZ
@given(file=json_files(), mutations=MUTATIONS)
def test_structural_json_files_load_what_the_json_module_reads_or_are_refused(program, file, mutations):
    name, data = file
    _check(program, name, _mutate(data, mutations))
