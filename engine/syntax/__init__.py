"""Stage 1: rulebook text -> typed, immutable AST with a span on every node."""

from .ast import *  # noqa: F401,F403
from .parser import parse_rulebook, parse_text, parse_atom  # noqa: F401
