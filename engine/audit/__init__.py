"""Stage 6: the audit trail and reproducibility.

log.py      the append-only, hash-chained audit log and its verification
runs.py     comparing the facts of stored runs
replay.py   replaying a run in bounded memory, reading the case file only
checker/    the independent proof checker (imports nothing from engine.eval)
"""

from .log import AuditEntry, ChainReport, append, entries, verify  # noqa: F401
