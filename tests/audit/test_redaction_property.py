"""Acceptance property of redacted proofs (issue 16): for random proofs, markings and readers, no withheld
name, document or source appears in any rendering the reader receives (text, JSON, DOT, SVG, Markdown, HTML,
the why-not), no sum resting on a withheld stake shows its total, and the redacted proof verifies with the
independent checker over the records the reader may see. Bounded for CI (about 20 s); set
WARRANT_FUZZ_EXAMPLES (and HYPOTHESIS_PROFILE=explore for new examples) for a larger run."""

from __future__ import annotations

import json
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine import api
from engine.access.markings import Marking, Scheme
from engine.access.principals import Principal
from engine.access.reader import Reader, Withholding
from engine.audit.bundle import proof_records, run_facts
from engine.audit.checker import check_proof
from engine.proof import api as proof_api

from bundle_case import RULES

EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", "40"))
MARKINGS = [Marking("OFFICIAL"), Marking("OFFICIAL", ()), Marking("SECRET", ("UK",)), Marking("SECRET", ("FR", "UK")),
            Marking("SECRET", None, ("ORCON",)), Marking("TOP SECRET", ())]
LEVELS = Scheme().levels
ENTITIES = [f"co:n{i:02d}" for i in range(24)]
FORMATS = ("text", "json", "dot", "md", "html")
STATS: list[int] = []


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A random ownership network (fixed seed) loaded and run once; its conclusions and records."""
    root = tmp_path_factory.mktemp("redaction-property")
    rnd = random.Random(16)
    facts = root / "facts"
    facts.mkdir()
    listed = rnd.sample(ENTITIES, 6)
    rows = [f"{e},SDN,src{rnd.randrange(3)},doc-listed-{e[3:]}" for e in listed]
    (facts / "listed.csv").write_text("party,list,_source,_document\n" + "\n".join(rows) + "\n")
    edges = {(rnd.choice(ENTITIES), rnd.choice(ENTITIES)) for _ in range(45)}
    rows = [f"{o},{t},{rnd.choice([10, 15, 20, 25, 30, 35, 40, 55])},src{rnd.randrange(3)},doc-owns-{o[3:]}-{t[3:]}"
            for o, t in sorted(edges) if o != t]
    (facts / "owns.csv").write_text("owner,owned,percent,_source,_document\n" + "\n".join(rows) + "\n")
    sources = [{"id": f"src{i}", "name": f"Source number {i}", "kind": "registry", "reliability": "B"} for i in range(3)]
    (facts / "manifest.json").write_text(json.dumps({"sources": sources, "files": {}}))
    (root / "screen.rules").write_text(RULES)
    program = api.load_rulebook(root / "screen.rules")
    case = api.Case.open(root / "case.db", create=True)
    case.load(program, facts)
    run = case.run(program).run_id
    conclusions = [f'frozen("{row[0]}")' for row in case.conclusions(run)["frozen"]]
    hashes = [r[0] for name in ("listed", "owns") for r in case.conn.execute(f"SELECT _hash FROM ev_{name} ORDER BY _hash")]
    everything = [(r[0], [str(x) for x in r[1:]]) for q in ("SELECT _hash, party, list, _document FROM ev_listed",
                                                            "SELECT _hash, owner, owned, _document FROM ev_owns")
                  for r in case.conn.execute(q)]
    yield World(case=case, program=program, run=run, conclusions=conclusions, hashes=hashes,
                values=lambda hidden: {v for h, vs in everything if h not in hidden for v in vs})
    case.close()


class World(dict):
    def __repr__(self) -> str:  # hypothesis prints its arguments on failure
        return "World(...)"


def _mark(conn, hashes: list[str], picks: list[int]) -> dict[str, Marking]:
    conn.execute("CREATE TABLE IF NOT EXISTS record_markings (hash TEXT PRIMARY KEY, classification TEXT NOT NULL, "
                 "releasability TEXT, caveats TEXT)")
    marks = {h: MARKINGS[p] for h, p in zip(hashes, picks)}
    conn.executemany("INSERT OR REPLACE INTO record_markings VALUES (?, ?, ?, ?)",
                     [(h, m.classification, m.releasability_text(), ",".join(m.caveats) or None) for h, m in marks.items()])
    return marks


class _AsReader(api.Case):
    """The case file read as a principal it need not store (the property draws them at random)."""

    def __init__(self, store, principal: Principal):
        super().__init__(store)
        self._reader = principal

    @property
    def principal(self) -> Principal:
        return self._reader


readers = st.builds(Principal, name=st.just("reader"), kind=st.sampled_from(["user", "agency"]),
                    clearance=st.sampled_from(LEVELS), nationality=st.sampled_from(["UK", "FR", "US"]),
                    caveats=st.sampled_from([(), ("ORCON",)]))


def _withheld_strings(full, hidden: set[str], visible: set[str], root_args) -> set[str]:
    """Names and documents of the proof's withheld records that no record the reader may see holds."""
    seen = visible | {str(a) for a in root_args}
    out = set()
    for n in full.nodes.values():
        if n.kind == "evidence" and n.record in hidden:
            out |= {a for a in n.args if isinstance(a, str) and a not in seen and a != "SDN"}
            out |= {x for x in (n.document,) if x and x not in seen}
    return out


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])
@given(data=st.data(), reader=readers)
def test_no_withheld_value_reaches_the_reader_and_the_redacted_proof_verifies(world, data, reader):
    case, program, run = world["case"], world["program"], world["run"]
    picks = data.draw(st.lists(st.integers(0, len(MARKINGS) - 1), min_size=len(world["hashes"]),
                               max_size=len(world["hashes"])))
    marks = _mark(case.conn, world["hashes"], picks)
    hidden = {h for h, m in marks.items() if not reader.may_see(m, Scheme())}
    view = Withholding(Reader(case.conn, reader, Scheme()), program)
    assert view.hashes == hidden
    atoms = data.draw(st.lists(st.sampled_from(world["conclusions"]), min_size=1, max_size=2, unique=True))
    books = case._rulebook_texts(run)
    for atom in atoms:
        full = case._rebuilt_proof(program, run, atom)
        seen = view.reader.proof(full, program)
        data_json = json.loads(proof_api.render(seen, "json"))
        records = [r for r in proof_records(case.conn, program, data_json) if r["hash"] not in hidden]
        facts = {p: [r for r in rows if not view.holds_secret(r)] for p, rows in run_facts(case.conn, program, data_json).items()}
        verdict = check_proof(data_json, books, records, facts)
        assert verdict.valid, verdict
        named = [n for n in verdict.unverified if n.startswith("withheld ")]
        STATS.append(len(named))
        assert len(named) == sum(n.kind == "withheld" for n in seen.nodes.values())
        secret = _withheld_strings(full, hidden, world["values"](hidden), full.nodes[full.root].args)
        outputs = {fmt: proof_api.render(seen, fmt) for fmt in FORMATS}
        if atom == atoms[0]:
            outputs["svg"] = proof_api.render(seen, "svg")
            asked = data.draw(st.sampled_from(ENTITIES))
            whynot = _AsReader(case.store, reader).whynot(f'frozen("{asked}")', run)
            outputs["whynot"] = proof_api.render(whynot, "json") + proof_api.render(whynot, "text")
            secret.discard(asked)
        for fmt, text in outputs.items():
            leaked = sorted(s for s in secret if s in text)
            assert not leaked, (fmt, leaked)
        if named:
            assert outputs["text"].startswith(f"{atom} rests in part on evidence withheld from you")
        for n in seen.nodes.values():
            if n.kind == "aggregate" and any(not c.binding and c.value is None for c in n.contributions):
                assert n.total is None


def test_the_property_saw_redacted_proofs():
    """The examples above were not all trivial: some proofs had withheld parts, some none."""
    if STATS:
        assert any(STATS) and not all(STATS)
