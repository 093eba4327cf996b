"""The language server answers a real client over stdio: `warrant lsp` runs as a subprocess and pygls's
LanguageClient speaks JSON-RPC to it (initialize, didOpen/didChange -> diagnostics, hover, definition,
completion). One server serves the whole module, so the file takes a few seconds."""

from __future__ import annotations

import asyncio
import sys
from collections import defaultdict

import pytest
from lsprotocol import types
from pygls.lsp.client import LanguageClient

COMMON = """\
rulebook common "Shared" version "1"

evidence listed(who: entity, list: text) "an entry on a sanctions list"
conclusion blocked(who: entity) "property is blocked"
threshold majority = 50% until 2024-07-02, 40% from 2024-07-03

rule LIST "Listed persons are blocked" cites "31 CFR 501.801":
  blocked(X) if listed(X, "SDN").
  because "{X} is on the SDN list".
"""

MAIN = """\
rulebook main "Main" version "1"

use "common.rules"

evidence owns(owner: entity, owned: entity, share: percent) "a shareholding"

rule OWN-50 "Owned by blocked persons" cites "OFAC FAQ 398":
  blocked(Y) if Total = sum(P for owns(X, Y, P) and blocked(X)) and Total >= majority.
  because "{Y} is owned {Total}%".
"""
RULE_LINE = 7  # 0-based line of the rule's body in MAIN
BODY = MAIN.splitlines()[RULE_LINE]


class Editor:
    """A client session: runs requests on its own event loop and keeps every diagnostics notification."""

    def __init__(self, folder):
        self.folder = folder
        self.loop = asyncio.new_event_loop()
        self.client = LanguageClient("warrant-test", "1")
        self.published: dict[str, list[list[types.Diagnostic]]] = defaultdict(list)
        self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(
            lambda params: self.published[params.uri].append(list(params.diagnostics)))
        self.versions: dict[str, int] = {}

    def run(self, awaitable, timeout: float = 20):
        return self.loop.run_until_complete(asyncio.wait_for(awaitable, timeout))

    def uri(self, name: str) -> str:
        return (self.folder / name).as_uri()

    def start(self) -> None:
        self.run(self.client.start_io(sys.executable, "-m", "engine.cli", "lsp"))
        self.run(self.client.initialize_async(types.InitializeParams(
            capabilities=types.ClientCapabilities(), root_uri=self.folder.as_uri())))
        self.client.initialized(types.InitializedParams())

    def stop(self) -> None:
        self.run(self.client.shutdown_async(None))
        self.client.exit(None)
        self.run(self.client.stop())
        self.loop.close()

    def diagnostics_after(self, send, uri: str) -> list[types.Diagnostic]:
        """Send a notification and wait for the diagnostics of `uri` it causes."""
        before = len(self.published[uri])
        send()

        async def arrived():
            while len(self.published[uri]) <= before:
                await asyncio.sleep(0.01)
            return self.published[uri][-1]

        return self.run(arrived())

    def open(self, name: str, text: str) -> list[types.Diagnostic]:
        uri, self.versions[name] = self.uri(name), 1
        item = types.TextDocumentItem(uri=uri, language_id="warrant", version=1, text=text)
        return self.diagnostics_after(
            lambda: self.client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item)), uri)

    def send_change(self, name: str, text: str) -> None:
        self.versions[name] += 1
        doc = types.VersionedTextDocumentIdentifier(uri=self.uri(name), version=self.versions[name])
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=doc, content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))

    def change(self, name: str, text: str) -> list[types.Diagnostic]:
        return self.diagnostics_after(lambda: self.send_change(name, text), self.uri(name))

    def at(self, name: str, line: int, word: str, nth: int = 0):
        text = MAIN.splitlines()[line] if name == "main.rules" else COMMON.splitlines()[line]
        column = text.index(word) if nth == 0 else [i for i in range(len(text)) if text.startswith(word, i)][nth]
        return types.TextDocumentIdentifier(uri=self.uri(name)), types.Position(line=line, character=column + 1)

    def hover(self, name: str, line: int, word: str, nth: int = 0) -> str | None:
        doc, pos = self.at(name, line, word, nth)
        found = self.run(self.client.text_document_hover_async(types.HoverParams(text_document=doc, position=pos)))
        return found and found.contents.value

    def definition(self, name: str, line: int, word: str, nth: int = 0) -> types.Location:
        doc, pos = self.at(name, line, word, nth)
        return self.run(self.client.text_document_definition_async(
            types.DefinitionParams(text_document=doc, position=pos)))


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lsp")
    (folder / "common.rules").write_text(COMMON, encoding="utf-8")
    (folder / "main.rules").write_text(MAIN, encoding="utf-8")
    session = Editor(folder)
    session.start()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def opened(editor):
    """main.rules opened with an unknown predicate, then corrected: (diagnostics of each version)."""
    wrong = editor.open("main.rules", MAIN.replace("and blocked(X))", "and blockd(X))"))
    right = editor.change("main.rules", MAIN)
    return wrong, right


def test_an_error_is_published_with_its_code_and_range(opened):
    wrong, _ = opened
    (diag,) = wrong
    assert diag.code == "E101" and diag.severity == types.DiagnosticSeverity.Error
    assert "unknown predicate blockd" in diag.message and "did you mean blocked?" in diag.message
    start = BODY.index("blocked(X))")
    assert (diag.range.start.line, diag.range.start.character) == (RULE_LINE, start)
    assert (diag.range.end.line, diag.range.end.character) == (RULE_LINE, start + len("blockd"))


def test_the_corrected_text_clears_the_diagnostics(opened):
    _, right = opened
    assert right == []


def test_a_syntax_error_as_you_type(editor, opened):
    (diag,) = editor.change("main.rules", MAIN.replace("because", "becaus"))
    assert diag.code.startswith("E0") and diag.range.start.line == RULE_LINE + 1
    assert editor.change("main.rules", MAIN) == []


def test_hover_on_a_predicate_shows_its_declaration_and_description(editor, opened):
    text = editor.hover("main.rules", RULE_LINE, "blocked", nth=1)
    assert "conclusion blocked(who: entity)" in text and "property is blocked" in text
    assert "common.rules" in text


def test_hover_on_a_threshold_shows_its_values_and_periods(editor, opened):
    text = editor.hover("main.rules", RULE_LINE, "majority")
    assert "threshold majority = 50% until 2024-07-02, 40% from 2024-07-03" in text


def test_hover_on_a_rule_id_shows_its_title_and_citation(editor, opened):
    text = editor.hover("main.rules", RULE_LINE - 1, "OWN-50")
    assert "Owned by blocked persons" in text and "OFAC FAQ 398" in text


def test_hover_on_a_variable_is_empty(editor, opened):
    assert editor.hover("main.rules", RULE_LINE, "Total") is None


def test_definition_of_a_predicate_is_in_the_used_file(editor, opened):
    found = editor.definition("main.rules", RULE_LINE, "blocked")
    assert found.uri == editor.uri("common.rules")
    line = COMMON.splitlines()[3]
    assert (found.range.start.line, found.range.start.character) == (3, line.index("blocked"))


def test_definition_of_a_threshold_and_of_the_used_file(editor, opened):
    found = editor.definition("main.rules", RULE_LINE, "majority")
    assert found.uri == editor.uri("common.rules") and found.range.start.line == 4
    used = editor.definition("main.rules", 2, "common")
    assert used.uri == editor.uri("common.rules")


def test_completion_offers_predicates_thresholds_and_keywords(editor, opened):
    doc, _ = editor.at("main.rules", RULE_LINE, "blocked")
    found = editor.run(editor.client.text_document_completion_async(
        types.CompletionParams(text_document=doc, position=types.Position(line=RULE_LINE, character=2))))
    items = {item.label: item for item in found.items}
    assert items["owns"].kind == types.CompletionItemKind.Function
    assert items["owns"].detail == "evidence owns(owner: entity, owned: entity, share: percent)"
    assert items["listed"].kind == items["blocked"].kind == types.CompletionItemKind.Function
    assert items["majority"].kind == types.CompletionItemKind.Constant
    assert items["if"].kind == items["because"].kind == types.CompletionItemKind.Keyword


def test_a_used_file_open_in_the_editor_is_read_unsaved_and_its_errors_published_under_its_uri(editor, opened):
    wrong = COMMON.replace('listed(X, "SDN")', 'listd(X, "SDN")')
    own = editor.open("common.rules", wrong)
    assert [d.code for d in own if d.severity == types.DiagnosticSeverity.Error] == ["E101"]
    from_main = editor.diagnostics_after(lambda: editor.send_change("main.rules", MAIN), editor.uri("common.rules"))
    assert [(d.code, d.range.start.line) for d in from_main] == [("E101", 7)]
    assert all(d.severity == types.DiagnosticSeverity.Warning for d in editor.change("common.rules", COMMON))
