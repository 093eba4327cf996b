"""The language server for rulebooks (`warrant lsp`): diagnostics as you type, hover, go-to-definition and
completion, a thin layer over the checker (engine.check) and the parsed program (engine.syntax.program).

analysis.py checks a document with the editor's unsaved text; symbols.py answers questions about the names of
a program; server.py speaks the Language Server Protocol (pygls, the `lsp` extra)."""
