"""Hostile names in evidence, sources and run ids (issue 19, defects 4-6): the report stays inside its
output folder, no renderer lets a name act as markup or terminal control, and one proof that cannot be
drawn does not stop the report."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main
from engine.diagnostics import WarrantError
from engine.proof import api as proof_api
from engine.proof.escape import dot_string, json_text, markdown, visible
from engine.proof.render_dot import RenderError, render_image
from engine.report import folder_name, write_report

from .hostile import (RULES, assert_dot_safe, assert_html_safe, assert_markdown_safe, assert_refused_whole,
                      assert_svg_safe, assert_terminal_safe, files_under, made_or_refused, make_case, rename_run)

IMG = "`<img src=x onerror=alert(15)>`"
TERMINAL = "evil\x1b[2J\x1b]0;title\x07"


def _report(db, out, *args):
    return CliRunner().invoke(main, ["report", "-o", str(out), "--db", str(db), *args])


@pytest.mark.parametrize("run_id", ["../pwned_dir", "../../pwned_dir", "ABSOLUTE", "..", ".", "index.md", "a/../../b"])
def test_report_never_writes_outside_its_folder(tmp_path, run_id):
    case_dir, box = tmp_path / "case", tmp_path / "box"
    case_dir.mkdir()
    box.mkdir()
    db, old = make_case(case_dir, "A")
    if run_id == "ABSOLUTE":
        run_id = str(tmp_path / "pwned_abs")
    rename_run(db, old, run_id)
    before = files_under(case_dir)
    result = _report(db, box / "out", "--run", run_id)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box", "case"]
    assert [p.name for p in box.iterdir()] == ["out"]
    assert files_under(case_dir) - before <= {case_dir / "case.db-wal", case_dir / "case.db-shm"}
    folders = [p for p in (box / "out").iterdir() if p.is_dir()]
    assert len(folders) == 1 and folders[0].name == folder_name(run_id) and len(list(folders[0].iterdir())) == 3
    index = (box / "out" / "index.md").read_text(encoding="utf-8")
    assert f"]({folders[0].name}/" in index


def test_folder_names_keep_plain_run_ids_and_hash_the_rest():
    assert folder_name("run-000001") == "run-000001"
    for hostile in ("../x", "/etc", "..", ".hidden", "a b", "x" * 65, "C:\\x", "index.html", "ru\u202en"):
        name = folder_name(hostile)
        assert "/" not in name and "\\" not in name and not name.startswith(".") and len(name) <= 53
        assert name != hostile and folder_name(hostile) == name
    assert folder_name("../x") != folder_name("../y")


def test_report_refuses_a_symlink_out_of_its_folder(tmp_path):
    db, run_id = make_case(tmp_path, "A")
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "out" / run_id).symlink_to(tmp_path / "elsewhere")
    result = _report(db, tmp_path / "out")
    assert result.exit_code == 2 and "O001" in result.output and "outside the output folder" in result.output
    assert list((tmp_path / "elsewhere").iterdir()) == []


def test_markdown_index_escapes_names_rulebooks_and_versions(tmp_path):
    hostile_rules = RULES.replace('version "1"', 'version "1<img src=x onerror=alert(1)>"')
    db, run_id = make_case(tmp_path, IMG, hostile_rules)
    result = _report(db, tmp_path / "out", "--title", "<script>alert(1)</script> | # x")
    assert result.exit_code == 0, result.output
    index_md = (tmp_path / "out" / "index.md").read_text(encoding="utf-8")
    assert_markdown_safe(index_md)
    assert "&lt;img src=x onerror=alert(15)&gt;" in index_md and "1&lt;img src=x onerror=alert(1)&gt;" in index_md
    assert "\\`" in index_md and "\\| \\# x" in index_md
    assert_html_safe((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    for path in (tmp_path / "out" / run_id).iterdir():
        text = path.read_text(encoding="utf-8")
        {"md": assert_markdown_safe, "html": assert_html_safe, "svg": assert_svg_safe}[path.suffix[1:]](text)


def test_terminal_escapes_in_evidence_are_shown_not_obeyed(tmp_path):
    db, run_id = make_case(tmp_path, TERMINAL + "\u202eabc\u200b")
    name = TERMINAL + "\u202eabc\u200b"
    atom = f'blocked("{name}")'  # the rule language takes these characters raw in a string
    with api.Case.open(db) as case:
        proof, whynot = case.why(atom), case.whynot(f'blocked("2{name}")')
    for obj in (proof, whynot):
        for fmt in ("text", "md", "html", "json"):
            assert_terminal_safe(proof_api.render(obj, fmt))
        assert_dot_safe(proof_api.render(obj, "dot"))
        assert_terminal_safe(proof_api.render(obj, "text", color=True))
    text = proof_api.render(proof, "text")
    assert "evil\\x1b[2J\\x1b]0;title\\x07\\u202eabc\\u200b is on the SDN list" in text
    assert json.loads(proof_api.render(proof, "json"))["nodes"][proof.root]["args"] == [name]
    cli = CliRunner().invoke(main, ["why", atom, "--db", str(db)])
    assert cli.exit_code == 0 and "\x1b" not in cli.output and "\\x1b[2J" in cli.output


@pytest.mark.parametrize("name", ["nul\x00x", "bell\x07", "\x01\x02\x7f\x85\x9b", "a\u2028b\ufffe\uffff"])
def test_names_with_controls_draw_as_svg(tmp_path, name):
    made = made_or_refused(tmp_path, name)
    if made is None:
        return
    db, run_id = made
    result = _report(db, tmp_path / "out")
    assert result.exit_code == 0, result.output
    svgs = list((tmp_path / "out" / run_id).glob("*.svg"))
    assert len(svgs) == 1
    assert_svg_safe(svgs[0].read_text(encoding="utf-8"))
    assert visible(name) in svgs[0].read_text(encoding="utf-8").replace("&#45;", "-")


def test_a_nul_is_refused_on_postgresql_and_nothing_stored(tmp_path, postgres_url):
    """PostgreSQL's text cannot hold a NUL character, which a case file holds: the load says so (S011)."""
    with pytest.raises(WarrantError) as err:
        make_case(tmp_path, "nul\x00x", db=postgres_url)
    assert [d.code for d in err.value.diagnostics] == ["S011"]
    assert_refused_whole(postgres_url)


def test_a_proof_that_cannot_be_drawn_does_not_stop_the_report(tmp_path, monkeypatch):
    db, run_id = make_case(tmp_path, "A")
    with api.Case.open(db) as case:
        case.run(api.load_rulebook(tmp_path / "mini.rules"))  # a second run, so two proofs are asked for

    def refuse(source, fmt):
        raise RenderError("Graphviz `dot` could not draw the graph (svg): Error: <boom>")

    monkeypatch.setattr(proof_api, "render_image", refuse)
    result = _report(db, tmp_path / "out", "--run", run_id)
    assert result.exit_code == 1
    assert "warning: run run-000001: svg of blocked(\"A\") not written" in result.output
    index_md = (tmp_path / "out" / "index.md").read_text(encoding="utf-8")
    assert "graph not drawn: Graphviz \\`dot\\` could not draw the graph (svg): Error: &lt;boom&gt;" in index_md
    assert "[narrative](run-000001/" in index_md
    assert "graph not drawn" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert sorted(p.suffix for p in (tmp_path / "out" / run_id).iterdir()) == [".html", ".md"]


def test_dot_failure_is_an_error_not_a_traceback():
    with pytest.raises(RenderError, match="could not draw the graph"):
        render_image("digraph proof { a -> }", "svg")


def test_escaping_layers():
    assert visible("a\x1b[2J\x00\t\n\u202e\u200b\U000e0041\xa0é\\") == \
        "a\\x1b[2J\\x00\\t\\n\\u202e\\u200b\\U000e0041\\xa0é\\"
    assert markdown("<a href='x'>*b* [c](d) `e` | # &amp;~") == \
        "&lt;a href='x'&gt;\\*b\\* \\[c\\](d) \\`e\\` \\| \\# &amp;amp;\\~"
    assert dot_string('a\\"b\x1b') == 'a\\\\"b\\\\x1b' and type(dot_string("<b>")).__name__ == "NoHtml"
    raw = json.dumps(["x\u202ey\x85\U000e0041\ufeff"], ensure_ascii=False)
    safe = json_text(raw)
    assert json.loads(safe) == json.loads(raw) and safe == '["x\\u202ey\\u0085\\udb40\\udc41\\ufeff"]'


def test_query_shows_terminal_escapes(tmp_path):
    db, _ = make_case(tmp_path, TERMINAL)
    result = CliRunner().invoke(main, ["query", "listed(P, L)", "--db", str(db)])
    assert result.exit_code == 0 and "\x1b" not in result.output and "\x07" not in result.output
    assert "evil\\x1b[2J\\x1b]0;title\\x07\tSDN" in result.output
