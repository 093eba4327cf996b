"""The evidence store: one SQLite case file of sources, rulebooks and evidence records, never overwritten."""

from ..lazy import lazy_exports

_EXPORTS = {
    ".asof": ("every_record_in_force", "in_force_sql", "record_by_hash"),
    ".errors": ("CODES", "STORE_CODES", "LoadError", "Problem"),
    ".evidence": ("ensure_evidence_tables", "evidence_tables", "table_name"),
    ".loading": ("FileReport", "LoadReport", "load_facts"),
    ".rulebooks": ("register_program",),
    ".schema": ("SCHEMA_VERSION", "Store", "open_store", "write_transaction"),
}
__all__ = sorted(name for names in _EXPORTS.values() for name in names)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
