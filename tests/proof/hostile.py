"""A real case file holding hostile names (loaded from a facts folder, run, its run id rewritten by raw SQL),
and checks that each output format keeps them inert: shared by the hostile-name regression and fuzz tests."""

from __future__ import annotations

import json
import re
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from engine import api
from engine.diagnostics import WarrantError
from engine.proof.escape import invisible
from engine.store.backend import POSTGRES, dialect
from engine.store.schema import open_store, table_columns, table_names, write_transaction

RULES = textwrap.dedent('''\
    rulebook mini "Mini" version "1"
    evidence listed(party: entity, list: text) "listed"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is on the SDN list".
    ''')


def make_case(folder: Path, name: str, rules: str = RULES, db=None) -> tuple[Path, str]:
    """A case file in `folder` (or the case `db`) where `name` is a blocked entity (its source and document
    named `name` too) and "2" + name is listed elsewhere (not blocked); returns (case file, run id)."""
    (folder / "mini.rules").write_text(rules, encoding="utf-8")
    facts = folder / "facts"
    facts.mkdir()
    manifest = {"sources": [{"id": "src", "name": name, "kind": name, "jurisdiction": name, "reliability": "B"}],
                "files": {"listed.json": {"source": "src", "credibility": 2, "document": name}}}
    (facts / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    rows = [{"party": name, "list": "SDN"}, {"party": "2" + name, "list": "OTHER"}]
    (facts / "listed.json").write_text(json.dumps(rows), encoding="utf-8")
    db = db or folder / "case.db"
    with api.Case.open(db) as case:
        run_id = case.run(api.load_rulebook(folder / "mini.rules"), facts=facts).run_id
    return db, run_id


def made_or_refused(folder: Path, name: str, rules: str = RULES) -> tuple[Path, str] | None:
    """make_case, or None when the case is on PostgreSQL and `name` holds a NUL character, which PostgreSQL's
    text cannot hold (a case file can): the load is then refused, S011, with nothing stored."""
    try:
        return make_case(folder, name, rules)
    except WarrantError as err:
        assert [d.code for d in err.diagnostics] == ["S011"] and "\x00" in name, err
        assert_refused_whole(folder / "case.db")
        return None


def assert_refused_whole(db) -> None:
    """The case `db` is on PostgreSQL and holds no run, load or source: a refused load stored nothing."""
    with api.Case.open(db) as case:
        assert dialect(case.conn) == POSTGRES and case.runs() == []
        assert not case.conn.execute("SELECT 1 FROM loads UNION ALL SELECT 1 FROM sources").fetchall()


def rename_run(db: Path, old: str, new: str) -> None:
    """Rewrite a run id everywhere in the case, as someone editing it by hand would (the append-only triggers
    dropped first; the case puts them back when next written)."""
    with open_store(db, create=False) as store, write_transaction(store):
        conn = store.conn
        if dialect(conn) == POSTGRES:
            for table in table_names(conn):
                conn.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}"')
        else:
            for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
                conn.execute(f'DROP TRIGGER "{trigger}"')
        conn.execute("UPDATE runs SET id = ? WHERE id = ?", (new, old))
        for table in table_names(conn):
            for column in ("run_id", "lineage"):  # a fact row's run_id and run_lineage's lineage: a run id too
                if column in [name for name, _ in table_columns(conn, table)]:
                    conn.execute(f'UPDATE "{table}" SET {column} = ? WHERE {column} = ?', (new, old))


_OUR_COLOURS = re.compile(r"\x1b\[[0-9;]*m")


def assert_terminal_safe(text: str) -> None:
    """No control, bidi or other invisible character but line feeds (and our own colour codes)."""
    bad = sorted({f"U+{ord(c):04X}" for c in _OUR_COLOURS.sub("", text) if c != "\n" and invisible(c)})
    assert not bad, f"raw invisible characters in output: {bad}"


def assert_dot_safe(text: str) -> None:
    """As terminal text, the tabs that indent each statement aside."""
    assert_terminal_safe(re.sub(r"^\t+", "", text, flags=re.M))


def assert_markdown_safe(text: str) -> None:
    assert "<" not in text, "raw < in Markdown"
    assert_terminal_safe(text)


TAGS = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "ol", "ul", "li", "a", "strong", "code",
        "table", "tr", "th", "td", "div"}
_SAFE_HREF = re.compile(r"#p\d+|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    handle_startendtag = handle_starttag


def assert_html_safe(text: str) -> None:
    """Only the elements our pages use, no event-handler attribute, links only to our own files."""
    parser = _Tags()
    parser.feed(text)
    parser.close()
    assert set(parser.tags) <= TAGS, set(parser.tags) - TAGS
    assert not [a for a, _ in parser.attrs if a.lower().startswith("on")]
    assert all(_SAFE_HREF.fullmatch(v or "") for a, v in parser.attrs if a == "href"), parser.attrs
    assert_terminal_safe(text)


def assert_svg_safe(svg: str) -> None:
    root = ET.fromstring(svg.encode("utf-8"))
    for el in root.iter():
        assert not el.tag.endswith("script")
        assert not [a for a in el.attrib if a.lower().startswith("on")]


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}
