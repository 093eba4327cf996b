"""The evidence store: one SQLite case file of sources, rulebooks and evidence records, never overwritten."""

from .asof import every_record_in_force, in_force_sql, record_by_hash
from .errors import CODES, STORE_CODES, LoadError, Problem
from .evidence import ensure_evidence_tables, evidence_tables, table_name
from .loading import FileReport, LoadReport, load_facts
from .rulebooks import register_program
from .schema import SCHEMA_VERSION, Store, open_store, write_transaction

__all__ = [
    "CODES", "STORE_CODES", "SCHEMA_VERSION", "FileReport", "LoadError", "LoadReport", "Problem", "Store",
    "ensure_evidence_tables", "every_record_in_force", "evidence_tables", "in_force_sql", "load_facts", "open_store",
    "record_by_hash", "register_program", "table_name", "write_transaction",
]
