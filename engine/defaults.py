"""Limits a run takes unless told otherwise. A module of its own, with no imports, so that the command
line can show them in its help without loading the engine."""

DEFAULT_MAX_ROUNDS = 100_000
DEFAULT_MAX_SECONDS = 3600.0  # an hour: the 1M-edge benchmark runs in about 5 s
DEFAULT_MAX_FACTS = 50_000_000  # derived facts of all predicates; the 3,000-node closure makes 9 million
