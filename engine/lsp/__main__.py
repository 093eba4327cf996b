"""`python -m engine.lsp`: the language server over stdio."""

from .server import serve

serve()
