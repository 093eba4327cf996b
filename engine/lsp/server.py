"""The Language Server Protocol over stdio, with pygls: each request is answered from analysis.py and
symbols.py. Diagnostics carry the checker's codes; positions follow the encoding the client negotiated."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from .. import __version__
from ..diagnostics import Diagnostic, SourceMap
from ..source import Span
from .analysis import Analysis, analyse
from .symbols import Completion, completions, definition, hover_markdown, symbol_at, used_file_at

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}
COMPLETION_KIND = {
    "predicate": types.CompletionItemKind.Function, "constant": types.CompletionItemKind.Constant,
    "keyword": types.CompletionItemKind.Keyword, "variable": types.CompletionItemKind.Variable,
    "field": types.CompletionItemKind.Field,
}


class RulebookServer(LanguageServer):
    """Keeps, per open document, its last analysis that parsed (hover and completion go on while the
    text does not parse) and the files it published diagnostics to (to clear them when they are gone)."""

    def __init__(self) -> None:
        super().__init__("warrant", __version__)
        self.parsed: dict[str, tuple[str, Analysis]] = {}
        self.published: dict[str, set[str]] = {}

    def path_of(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    def uri_of(self, path: str, root_uri: str) -> str:
        if path == self.path_of(root_uri) or not Path(path).is_absolute():
            return root_uri
        return from_fs_path(str(Path(path).resolve())) or root_uri

    def open_texts(self) -> dict[Path, str]:
        return {Path(self.path_of(uri)).resolve(): doc.source for uri, doc in self.workspace.text_documents.items()}

    def to_range(self, span: Span | None, sources: SourceMap) -> types.Range:
        """An LSP range (0-based, in the client's units) for a span (1-based, in characters)."""
        if span is None:
            return types.Range(types.Position(0, 0), types.Position(0, 0))
        source = sources.files.get(span.path)
        lines = source.text.splitlines(keepends=True) if source else []
        chars = types.Range(types.Position(span.line - 1, span.column - 1),
                            types.Position(span.end_line - 1, span.end_column - 1))
        return self.workspace.position_codec.range_to_client_units(lines, chars) if lines else chars


def lsp_diagnostic(server: RulebookServer, diag: Diagnostic, sources: SourceMap) -> types.Diagnostic:
    message = diag.message + (f"\nhint: {diag.hint}" if diag.hint else "")
    return types.Diagnostic(range=server.to_range(diag.span, sources), message=message, code=diag.code,
                            severity=SEVERITY.get(diag.severity), source="warrant")


def validate(server: RulebookServer, uri: str) -> None:
    """Check the document and publish its diagnostics, with those of the files it uses under their own URIs."""
    path = server.path_of(uri)
    analysis = analyse(path, server.open_texts())
    if analysis.program is not None:
        server.parsed[uri] = (path, analysis)
    by_uri: dict[str, list[types.Diagnostic]] = {uri: []}
    for diag in analysis.diagnostics:
        target = server.uri_of(diag.span.path, uri) if diag.span else uri
        by_uri.setdefault(target, []).append(lsp_diagnostic(server, diag, analysis.sources))
    for stale in server.published.get(uri, set()) - by_uri.keys():
        by_uri[stale] = []
    for target, diags in by_uri.items():
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=diags))
    server.published[uri] = set(by_uri)


def _symbol(server: RulebookServer, params: types.TextDocumentPositionParams):
    """The last parsed analysis of the document, and the symbol at the position (either may be None)."""
    path, analysis = server.parsed.get(params.text_document.uri, (None, None))
    if analysis is None:
        return None, None, None
    doc = server.workspace.get_text_document(params.text_document.uri)
    pos = doc.position_codec.position_from_client_units(doc.lines, params.position)
    line = doc.lines[pos.line] if pos.line < len(doc.lines) else ""
    return analysis, pos, symbol_at(analysis.program, line, pos.character)


def create_server() -> RulebookServer:
    """A server with every feature registered."""
    server = RulebookServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def changed(ls: RulebookServer, params) -> None:
        validate(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def closed(ls: RulebookServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        for target in ls.published.pop(uri, {uri}):
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=target, diagnostics=[]))
        ls.parsed.pop(uri, None)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RulebookServer, params: types.HoverParams) -> types.Hover | None:
        _, _, symbol = _symbol(ls, params)
        if symbol is None:
            return None
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=hover_markdown(symbol)))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def goto(ls: RulebookServer, params: types.DefinitionParams) -> types.Location | None:
        analysis, pos, symbol = _symbol(ls, params)
        if analysis is None:
            return None
        uri = params.text_document.uri
        used = used_file_at(analysis.program, ls.path_of(uri), pos.line + 1, pos.character)
        if used is not None:
            start = types.Position(0, 0)
            return types.Location(uri=ls.uri_of(str(used), uri), range=types.Range(start, start))
        span = symbol and definition(symbol, analysis.sources)
        if span is None:
            return None
        return types.Location(uri=ls.uri_of(span.path, uri), range=ls.to_range(span, analysis.sources))

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["(", " "]))
    def complete(ls: RulebookServer, params: types.CompletionParams) -> types.CompletionList:
        _, analysis = ls.parsed.get(params.text_document.uri, (None, None))
        doc = ls.workspace.get_text_document(params.text_document.uri)
        line = doc.lines[params.position.line] if params.position.line < len(doc.lines) else ""
        found = completions(analysis and analysis.program, line[:params.position.character])
        return types.CompletionList(is_incomplete=False, items=[_item(c) for c in found])

    return server


def _item(c: Completion) -> types.CompletionItem:
    doc = types.MarkupContent(kind=types.MarkupKind.Markdown, value=c.documentation) if c.documentation else None
    return types.CompletionItem(label=c.label, kind=COMPLETION_KIND[c.kind], detail=c.detail or None,
                                documentation=doc)


def serve() -> None:
    """Run the language server on standard input and output until the client ends it."""
    create_server().start_io()
