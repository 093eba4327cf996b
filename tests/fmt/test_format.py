"""`warrant fmt` (engine/syntax/format.py): idempotent, faithful (same AST, every comment kept in order)
on every rulebook the project holds, and refusing what it cannot lay out instead of dropping it."""

from __future__ import annotations

import dataclasses
import typing

import pytest
from lark import Tree

from engine.diagnostics import WarrantError
from engine.source import SourceFile
from engine.syntax import ast
from engine.syntax import format as fmt
from engine.syntax.comments import find_comments
from engine.syntax.format import FormatError, format_file, format_text, same_rulebook
from engine.syntax.grammar import parser
from engine.syntax.layout import Line, LayoutError
from engine.syntax.layout_items import blocks
from engine.syntax.parser import parse_text, parse_tree

from docs.blocks import HEADER, blocks as blocks_of

from .corpus import ROOT, texts

TEXTS = texts()


def _parses(text: str) -> bool:
    try:
        parse_text(SourceFile("x.rules", text))
    except WarrantError:
        return False
    return True


PARSING = {name: text for name, text in TEXTS.items() if _parses(text)}


def test_the_corpus_is_large():
    assert sum(n.startswith("rulebooks/") for n in PARSING) >= 7
    assert sum(n.startswith("docs/") for n in PARSING) >= 30
    assert len(PARSING) >= 120


@pytest.mark.parametrize("name", sorted(PARSING))
def test_idempotent_same_rulebook_same_comments(name):
    source = SourceFile(name, PARSING[name])
    out = format_text(source)
    assert format_text(SourceFile(name, out)) == out
    assert same_rulebook(parse_text(source), parse_text(SourceFile(name, out)))
    assert [c.text for c in find_comments(out)] == [c.text.rstrip() for c in find_comments(source.text)]
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert all(line == line.rstrip() for line in out.splitlines())


def test_every_comment_of_the_shipped_rulebooks_survives_in_order():
    for path in sorted((ROOT / "rulebooks").glob("*.rules")):
        text = path.read_text(encoding="utf-8")
        comments = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("#")]
        assert comments and [c.text for c in find_comments(format_text(SourceFile(str(path), text)))] == comments


def test_comment_scan_agrees_with_the_grammars_lexer():
    """find_comments is a scan mirroring STRING and COMMENT of grammar/rulebook.lark: lark must agree."""
    for name, text in PARSING.items():
        lexed = [(t.start_pos, str(t).rstrip()) for t in parser().lex(text, dont_ignore=True) if t.type == "COMMENT"]
        assert [(c.start, c.text) for c in find_comments(text)] == lexed, name


def test_spans_never_take_part_in_equality():
    for cls in vars(ast).values():
        if dataclasses.is_dataclass(cls) and cls.__module__ == ast.__name__:
            hints = typing.get_type_hints(cls, vars(ast))
            for f in dataclasses.fields(cls):
                if "Span" in str(hints[f.name]):
                    assert not f.compare, f"{cls.__name__}.{f.name} takes part in =="


def test_same_rulebook_ignores_layout_and_sees_meaning():
    a = 'rulebook r "R" version "1"\nthreshold t = 50%\nrule A "a" cites "c": p(X) if q(X) and X > t. because "b".\n'
    b = 'rulebook r "R"\n version "1" threshold t=50%  rule A "a"\n cites "c":\n p(X) if\n q(X)\n and X>t.because "b".'
    c = a.replace("50%", "51%")
    parse = lambda text, path="a.rules": parse_text(SourceFile(path, text))  # noqa: E731
    assert same_rulebook(parse(a), parse(b, "elsewhere/b.rules"))
    assert not same_rulebook(parse(a), parse(c))


def test_tokens_are_written_as_the_source_has_them():
    text = ('rulebook r "R" version "1"\nconstant a = 50.0\nconstant b = 50.10\nthreshold c = 12.50%\n'
            'constant d = "tab\\t quote \\" backslash \\\\ other \\q"\n')
    out = format_text(SourceFile("v.rules", text))
    for token in ("50.0", "50.10", "12.50%", '"tab\\t quote \\" backslash \\\\ other \\q"'):
        assert token in out


def test_line_ends_become_newlines(tmp_path):
    path = tmp_path / "crlf.rules"
    path.write_bytes(b'rulebook r "R" version "1"\r\n\r\nevidence p(x: text)\r\n')
    result = format_file(str(path))
    assert result.changed and result.after == 'rulebook r "R" version "1"\n\nevidence p(x: text)\n'


def _with_unknown_condition(source: SourceFile):
    tree, rulebook = parse_tree(source)
    rule = next(item for item in tree.children if item.data == "rule")
    body = rule.children[5]
    body.children[0] = Tree("future_condition", [body.children[0]], body.children[0].meta)
    return tree, rulebook


RULEBOOK = 'rulebook r "R" version "1"\nrule A "a" cites "c":\n  p(X) if q(X) and r(X).\n  because "b".\n'


def test_a_construct_the_formatter_does_not_know_is_refused():
    tree, _ = _with_unknown_condition(SourceFile("u.rules", RULEBOOK))
    with pytest.raises(LayoutError, match=r"the condition `future_condition` at line 3, column 11"):
        blocks(tree, RULEBOOK, lambda lo, hi: False)


def test_an_unknown_construct_leaves_the_file_unchanged(tmp_path, monkeypatch):
    path = tmp_path / "u.rules"
    path.write_text(RULEBOOK.replace("\n  p(X)", " p(X)"), encoding="utf-8")
    monkeypatch.setattr(fmt, "parse_tree", _with_unknown_condition)
    with pytest.raises(FormatError, match="cannot lay out the condition `future_condition`.*left unchanged"):
        format_file(str(path))


def test_output_that_would_not_mean_the_same_is_refused(monkeypatch):
    def dropping(tree, source, has_comment):  # a layout that loses the body's last condition
        out = blocks(tree, source, has_comment)
        rule = out[1]
        body = Line(rule.lines[1].text.replace(" and r(X)", ""), rule.lines[1].end)
        return [out[0], dataclasses.replace(rule, lines=(rule.lines[0], body, *rule.lines[2:]))]

    monkeypatch.setattr(fmt, "blocks", dropping)
    with pytest.raises(FormatError, match="internal error: the formatted text would not mean the same"):
        format_text(SourceFile("d.rules", RULEBOOK))


def test_output_that_loses_a_comment_is_refused(monkeypatch):
    weave = fmt.weave
    monkeypatch.setattr(fmt, "weave", lambda source, laid_out, comments: weave(source, laid_out, []))
    with pytest.raises(FormatError, match="would not keep every comment"):
        format_text(SourceFile("c.rules", "# kept\n" + RULEBOOK))


def test_the_docs_formatting_example_is_what_fmt_writes():
    before, after = [b.text for b in blocks_of("language.md") if b.heading == "## Formatting"]
    assert format_text(SourceFile("doc.rules", HEADER + before)) == HEADER + "\n" + after
