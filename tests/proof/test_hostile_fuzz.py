"""Fuzz: hostile names, loaded from a real facts folder (as entity, source name, kind, jurisdiction and
document) and written into the run id by raw SQL, go through every renderer and the case report.

Each must finish without an exception; text, Markdown, HTML and DOT show no raw control or invisible
character; Markdown has no raw `<`; HTML has only our own elements, no event handler, links only to our
files; JSON parses and gives the stored name back exactly; `dot` draws the DOT source and the SVG parses
as XML; nothing is written outside the output folder.

CI draws 25 names (three `dot` runs each); HYPOTHESIS_PROFILE=explore draws 300 new ones, and
WARRANT_FUZZ_EXAMPLES=N any number.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import api
from engine.proof import api as proof_api
from engine.report import write_report

from .hostile import (assert_dot_safe, assert_html_safe, assert_markdown_safe, assert_svg_safe, assert_terminal_safe,
                      files_under, made_or_refused, make_case, rename_run)

_DEFAULT = "25" if os.environ.get("HYPOTHESIS_PROFILE", "ci") == "ci" else "300"
EXAMPLES = int(os.environ.get("WARRANT_FUZZ_EXAMPLES", _DEFAULT))

SEEDS = ["`<img src=x onerror=alert(15)>`", "evil\x1b[2J\x1b]0;title\x07", "nul\x00x", "rlo\u202eabc\u200b",
         '"]; a -> b [label="', "<script>alert(1)</script>", "*a* _b_ [c](d) | # ~~e~~ > f & g",
         "\\", "a\\", "\\N\\G\\l", "../pwned_dir", "/tmp/pwned_abs", "..", "line\nbreak\r\n", "\ufeff\u2028\u2029x",
         "\x85\x9b31m", "\ufffe\uffff\U000e0041", "<<b>x</b>>", "'\"&amp;", "x" * 3000]
NAMES = st.one_of(
    st.sampled_from(SEEDS),
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
    st.text(st.characters(max_codepoint=0x3000, blacklist_categories=("Cs",)), min_size=200, max_size=2000),
).filter(lambda s: s.strip())


def rule_string(text: str) -> str:
    """`text` as a string of the rule language."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _render_all(obj) -> None:
    for fmt, check in (("text", assert_terminal_safe), ("md", assert_markdown_safe), ("html", assert_html_safe),
                       ("dot", assert_dot_safe), ("json", assert_terminal_safe), ("svg", assert_svg_safe)):
        check(proof_api.render(obj, fmt))
    assert_terminal_safe(proof_api.render(obj, "text", color=True))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                        HealthCheck.filter_too_much])
@given(NAMES)
def test_hostile_names_through_every_renderer_and_the_report(name):
    with tempfile.TemporaryDirectory() as tmp:
        top = Path(tmp)
        (top / "case").mkdir()
        (top / "box").mkdir()
        made = made_or_refused(top / "case", name)
        if made is None:
            return
        db, old = made
        rename_run(db, old, name)
        with api.Case.open(db) as case:
            stored = case.conclusions(name)["blocked"]
            assert len(stored) == 1
            (entity,) = stored[0]
            proof = case.why(f"blocked({rule_string(entity)})", name)
            whynot = case.whynot(f"blocked({rule_string('2' + entity)})", name)
            _render_all(proof)
            _render_all(whynot)
            assert json.loads(proof_api.render(proof, "json"))["nodes"][proof.root]["args"] == [entity]
            assert json.loads(proof_api.render(whynot, "json"))["run"]["run_id"] == name
            failures: list[str] = []
            write_report(case, top / "box" / "out", [name], title=name, on_failure=failures.append)
        assert failures == []
        assert sorted(p.name for p in top.iterdir()) == ["box", "case"]
        assert [p.name for p in (top / "box").iterdir()] == ["out"]
        out = top / "box" / "out"
        assert_markdown_safe((out / "index.md").read_text(encoding="utf-8"))
        assert_html_safe((out / "index.html").read_text(encoding="utf-8"))
        written = [p for p in files_under(out) if p.is_file() and p.parent != out]
        assert len(written) == 3
        for path in written:
            text = path.read_text(encoding="utf-8")
            {".md": assert_markdown_safe, ".html": assert_html_safe, ".svg": assert_svg_safe}[path.suffix](text)
