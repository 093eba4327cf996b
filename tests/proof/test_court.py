"""The court view (engine/proof/court.py): plain words, names, citations, numbered exhibits, alternatives as
"either ... or ...", repeated steps as references, names never broken, hostile names inert, large proofs in parts.

Update the golden files with WARRANT_UPDATE_GOLDEN=1 pytest tests/proof/test_court.py.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap

import pytest

from engine import api
from engine.proof import render, why
from engine.proof.court import court_view
from engine.proof.render_court_dot import court_pages, court_tree, label, render_court_dot

from .cases import faq401
from .harness import load_rules, make_case, provider
from .hostile import RULES, assert_dot_safe, assert_svg_safe, assert_terminal_safe
from .hostile import make_case as hostile_case
from .test_proof import golden

HASH = re.compile(r"\b[0-9a-f]{16,64}\b")
TWO_RULES = RULES + textwrap.dedent('''\
    rule R2 "Listed anywhere but OTHER" cites "House policy 4":
      blocked(P) if listed(P, L) and L != "OTHER".
      because "{P} is listed on {L}".
    ''')


@pytest.fixture(scope="module")
def faq():
    program, conn, run = faq401()
    return why(conn, program, run, 'prohibited("A")', provider)


@pytest.mark.parametrize("fmt", ["text", "md"])
def test_golden_court_view(faq, fmt):
    golden(f"prohibited_A.court.{fmt}", render(faq, fmt, court=True, names={"A": "Alpha Shipping Ltd"}))


def test_court_view_hides_the_evaluation(faq):
    text = render(faq, "text", court=True)
    analyst = render(faq, "text")
    assert "round" in analyst and not re.search(r"\bround\b", text)
    assert "P = " in analyst and not re.search(r"\b[A-Z]\w* = ", text)
    for n in faq.nodes.values():
        if n.kind == "evidence":
            assert n.record not in text.split("Exhibits")[0]   # in the exhibit table only
            assert n.record in text.split("Exhibits")[1]
    assert "R3" not in text and "31 CFR 589.201" in text        # the citation, not the rule id


def test_exhibits_are_numbered_once_each_in_order_of_use(faq):
    view = court_view(faq)
    records = {n.id for n in faq.nodes.values() if n.kind == "evidence"}
    assert [e.number for e in view.exhibits] == list(range(1, len(records) + 1))
    assert {e.record for e in view.exhibits} == {faq.nodes[r].record for r in records}
    used = [k for s in view.steps for g in s.grounds for i in g.items for k in i.exhibits]
    assert sorted(set(used)) == [e.number for e in view.exhibits]
    assert "not graded" not in {e.grade for e in view.exhibits}


def test_names_replace_ids_and_a_missing_grade_says_not_graded(tmp_path):
    db, run = hostile_case(tmp_path, "co:a")
    with api.Case.open(db) as case:
        proof = case.why('blocked("co:a")', run)
    view = court_view(proof, {"co:a": "Alpha Shipping Ltd"})
    assert view.steps[0].statement == "blocked: Alpha Shipping Ltd"
    assert "Alpha Shipping Ltd is on the SDN list" == view.steps[0].grounds[0].reason
    assert "co:a" not in render(proof, "text", court=True, names={"co:a": "Alpha Shipping Ltd"}).split("Exhibits")[0]
    ungraded = proof.model_copy(update={"nodes": {k: n.model_copy(update={"grade": None}) if n.kind == "evidence"
                                                  else n for k, n in proof.nodes.items()}})
    assert court_view(ungraded).exhibits[0].grade == "not graded"


def test_alternative_rules_read_either_or_and_a_shared_record_is_one_exhibit(tmp_path):
    db, run = hostile_case(tmp_path, "B", TWO_RULES)
    with api.Case.open(db) as case:
        proof = case.why('blocked("B")', run)
        text = case.court(proof)
    assert len(proof.nodes[proof.root].derivations) == 2
    assert "It holds on either of 2 grounds" in text
    assert "   Either (a) Under Listed (31 CFR 501.801):" in text and "   or (b) Under Listed anywhere" in text
    assert len(court_view(proof).exhibits) == 1 and text.count("(exhibit 1)") == 2
    dot = render(proof, "dot", court=True)
    assert 'label="either (a)"' in dot and 'label="or (b)"' in dot


def test_a_step_needed_twice_is_explained_once():
    program = load_rules("faq401.rules")
    conn, run = make_case(program, {"listed": [("X", "SDN")], "owns": [("X", "A", 30), ("X", "B", 60),
                                                                         ("A", "B", 30)]})
    proof = why(conn, program, run, 'blocked("B")', provider)
    text = render(proof, "text", court=True)
    firsts = [ln for ln in text.splitlines() if re.match(r"\d+\. blocked: X$", ln)]
    assert len(firsts) == 1, text
    assert re.search(r"see \d+ (above|below)", text)
    tree = court_tree(court_view(proof))
    names = [b.name for b in _boxes(tree) if b.style != "ref"]
    assert len(names) == len(set(names))                      # every step drawn once: a tree, no crossings


def _boxes(box):
    yield box
    for child, _ in box.children:
        yield from _boxes(child)


def test_labels_wrap_at_spaces_only():
    long_id = "co:gulfstar-ship-management-international-holdings-limited"
    text = label(("b", f"blocked: {long_id}, and some words that need wrapping at forty columns"))
    assert long_id in text
    assert all(len(part) <= 80 for part in re.sub(r"<[^>]+>", "\n", text).split("\n"))


@pytest.mark.parametrize("name, shown", [('"]; a -> b [label="', '"]; a -> b [label="'),
                                         ("<script>alert(1)</script>", "<script>alert(1)</script>"),
                                         ("co:a", "x\u202e\x1b[2J <script>")])
def test_hostile_names_are_inert_in_the_court_view(tmp_path, name, shown):
    db, run = hostile_case(tmp_path, name)
    with api.Case.open(db) as case:
        proof = case.why(f"blocked({json.dumps(name)})", run)
        names = {name: shown}
        text, html, dot = (render(proof, f, court=True, names=names) for f in ("text", "html", "dot"))
    assert_terminal_safe(text)
    assert_dot_safe(dot)
    assert "<script" not in html
    if "<script>" in shown:
        assert "&lt;script&gt;" in html
    if shutil.which("dot"):
        svg = render(proof, "svg", court=True, names=names)
        assert_svg_safe(svg)
        assert "<title>a</title>" not in svg and "<title>b</title>" not in svg  # no injected nodes
        assert "<svg" in html                                                   # the graph is in the page


@pytest.fixture(scope="module")
def big():
    from .big import fan_in
    program = load_rules("faq401.rules")
    conn, run = make_case(program, fan_in(levels=4))
    return why(conn, program, run, 'blocked("H")', provider)


def test_a_500_node_proof_is_drawn_in_parts_with_every_step_once(big):
    assert len(big.nodes) >= 500
    view = court_view(big)
    parts = court_pages(view)
    assert len(parts) > 1
    drawn = [b.name for part in parts for root in part for b in _boxes(root) if b.style != "ref"]
    assert len(drawn) == len(set(drawn))
    assert {f"s{s.number}" for s in view.steps} <= set(drawn)
    for part in parts:
        assert sum(1 for root in part for b in _boxes(root) if b.children) <= 6
    notes = [b.rows[0][1] for part in parts for root in part for b in _boxes(root) if b.style == "ref"]
    for note in notes:
        m = re.search(r"part (\d+)", note)
        assert m is None or 1 <= int(m[1]) <= len(parts)
    dot = render_court_dot(view, parts[0], title="part 1")
    assert dot.count("->") < len(big.nodes) / 4


def test_cli_why_court_and_analyst(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main

    db, _ = hostile_case(tmp_path, "co:a", TWO_RULES)
    run = CliRunner()
    court = run.invoke(main, ["why", 'blocked("co:a")', "--db", str(db), "--court"])
    assert court.exit_code == 0, court.output
    assert "Either (a) Under Listed (31 CFR 501.801):" in court.output and not re.search(r"\bround\b", court.output)
    analyst = run.invoke(main, ["why", 'blocked("co:a")', "--db", str(db)])
    assert analyst.exit_code == 0 and "round 1" in analyst.output and "Either" not in analyst.output
    refused = run.invoke(main, ["why", 'blocked("co:a")', "--db", str(db), "--court", "--format", "json"])
    assert refused.exit_code != 0 and "no json form" in refused.output


def test_html_links_steps_and_exhibits(faq):
    page = render(faq, "html", court=True)
    assert 'see <a href="#s2">2</a> below' in page and '(exhibits <a href="#e3">3</a>, <a href="#e4">4</a>)' in page
    assert '<li id="s2">' in page and '<tr id="e3">' in page


def test_the_pdf_without_dejavu_falls_back_to_latin_1(tmp_path, monkeypatch):
    pypdf = pytest.importorskip("pypdf")
    if not shutil.which("dot"):
        pytest.skip("Graphviz `dot` draws the figure")
    from engine.proof import court_pdf
    monkeypatch.setattr(court_pdf, "_font_file", lambda style="": None)
    db, run = hostile_case(tmp_path, "co:a")
    with api.Case.open(db) as case:
        proof = case.why('blocked("co:a")', run)
    pdf = render(proof, "pdf", court=True, names={"co:a": "Ωmega Шипинг <b>Ltd</b>"})
    text = "".join(p.extract_text() for p in pypdf.PdfReader(__import__("io").BytesIO(pdf)).pages)
    assert "\\u03a9mega" in text and "<b>Ltd</b>" in text     # escaped, not dropped; markup stays text


def test_why_all_court_writes_one_court_view_per_fact(tmp_path):
    from click.testing import CliRunner

    from engine.cli import main

    db, _ = hostile_case(tmp_path, "co:a", TWO_RULES)
    out = tmp_path / "court"
    done = CliRunner().invoke(main, ["why", "--all", "blocked", "--court", "--format", "md", "-o", str(out),
                                     "--db", str(db)])
    assert done.exit_code == 0, done.output
    files = sorted(out.iterdir())
    assert len(files) == 1 and "*Either (a)*" in files[0].read_text()


def test_a_met_equality_of_a_value_with_itself_is_not_said(faq):
    from engine.proof.model import ComparisonNode
    same = ComparisonNode(id="c-same", text='"A" = "A"', left="A", op="=", right="A", holds=True)
    other = ComparisonNode(id="c-other", text="30 >= 25", left=30, op=">=", right=25, holds=True)
    root = faq.nodes[faq.root]
    d = faq.nodes[root.derivations[0]]
    d = d.model_copy(update={"children": d.children + [same.id, other.id]})
    proof = faq.model_copy(update={"nodes": {**faq.nodes, d.id: d, same.id: same, other.id: other}})
    text = render(proof, "text", court=True)
    assert "A is equal to A" not in text and "30 is at least 25" in text


def test_the_html_figure_parts_link_to_each_other(big):
    if not shutil.which("dot"):
        pytest.skip("Graphviz `dot` draws the figure")
    page = render(big, "html", court=True)
    parts = re.findall(r'<div class="graph" id="part(\d+)">', page)
    assert [int(p) for p in parts] == list(range(1, len(parts) + 1)) and len(parts) > 1
    targets = {int(t) for t in re.findall(r'href="#part(\d+)"', page)}
    assert targets and targets <= set(range(1, len(parts) + 1))


def _assert_court_html_safe(page: str) -> None:
    """No script, no event handler, links only to the page's own anchors; as terminal text otherwise."""
    from html.parser import HTMLParser

    seen: list = []

    class Tags(HTMLParser):
        def handle_starttag(self, tag, attrs):
            seen.append((tag, attrs))

    Tags().feed(page)
    assert not [t for t, _ in seen if t in ("script", "iframe", "object", "embed", "foreignobject")]
    attrs = [(a.lower(), v or "") for _, at in seen for a, v in at]
    assert not [a for a, _ in attrs if a.startswith("on")]
    assert all(v.startswith("#") for a, v in attrs if a in ("href", "xlink:href", "src"))
    assert_terminal_safe(page)


def test_hostile_names_fuzzed_through_every_court_format():
    from hypothesis import HealthCheck, given, settings

    from .hostile import assert_markdown_safe, made_or_refused
    from .test_hostile_fuzz import NAMES, rule_string

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(NAMES)
    def check(name):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as tmp:
            made = made_or_refused(Path(tmp), name)
            if made is None:
                return
            with api.Case.open(made[0]) as case:
                proof = case.why(f"blocked({rule_string(name)})", made[1])
        names = {name: name[::-1]}
        assert_terminal_safe(render(proof, "text", court=True, names=names))
        assert_markdown_safe(render(proof, "md", court=True, names=names))
        assert_dot_safe(render(proof, "dot", court=True, names=names))
        if shutil.which("dot"):
            assert_svg_safe(render(proof, "svg", court=True, names=names))
            _assert_court_html_safe(render(proof, "html", court=True, names=names))

    check()
