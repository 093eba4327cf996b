"""Stage 1: rulebook text -> typed, immutable AST with a span on every node."""

from ..lazy import lazy_exports
from .ast import *  # noqa: F401,F403

__getattr__, __dir__ = lazy_exports(__name__, {".parser": ("parse_rulebook", "parse_text", "parse_atom")})
