"""Evidence tables: one `ev_<predicate>` per evidence declaration, declared columns plus metadata."""

from __future__ import annotations

from ..syntax.ast import Declaration
from ..syntax.program import Program
from .errors import store_error
from .schema import EVIDENCE_PREFIX, Store, write_transaction

SQL_TYPES = {"entity": str, "text": str, "date": str, "number": float, "percent": float, "bool": int}
_SQL_NAMES = {str: "TEXT", float: "REAL", int: "INTEGER"}

META_COLUMNS: dict[str, type] = {
    "_hash": str, "_source": str, "_document": str, "_credibility": int,
    "_observed": str, "_valid_from": str, "_valid_to": str, "_recorded_at": str,
    "_action": str, "_batch": int,
}


def table_name(predicate: str) -> str:
    """The evidence table of `predicate` (names are validated by the parser: [a-z][a-z0-9_]*)."""
    return EVIDENCE_PREFIX + predicate


WINDOWED = "_valid_from IS NOT NULL OR _valid_to IS NOT NULL"


def retract_index(predicate: str) -> str:
    """The partial index of `predicate`'s retractions."""
    return table_name(predicate) + "_retract"


def windows_index(predicate: str) -> str:
    """The partial index of `predicate`'s records that have a validity window."""
    return table_name(predicate) + "_windows"


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def evidence_declarations(program: Program) -> list[Declaration]:
    """The program's evidence declarations, first of each name."""
    seen: dict[str, Declaration] = {}
    for decl in program.declarations:
        if decl.is_evidence and decl.name not in seen:
            seen[decl.name] = decl
    return list(seen.values())


def expected_columns(decl: Declaration) -> dict[str, type]:
    """Column name -> Python type (as sqlite-utils understands it) for the declaration's table."""
    columns = {c.name: SQL_TYPES[c.type] for c in decl.columns}
    columns.update(META_COLUMNS)
    return columns


def ensure_evidence_tables(store: Store, program: Program) -> None:
    """Create the evidence tables of `program` (idempotent). A table made from another declaration is an error."""
    with write_transaction(store.db):
        for decl in evidence_declarations(program):
            _ensure_table(store, decl)


def _ensure_table(store: Store, decl: Declaration) -> None:
    table = store.db.table(table_name(decl.name))
    wanted = expected_columns(decl)
    if table.exists():
        found = [(c.name, c.type.upper()) for c in table.columns]
        if found != [(name, _SQL_NAMES[t]) for name, t in wanted.items()]:
            raise store_error("S001", f"the case file {store.path} was made with a different declaration of "
                                      f"{decl.name!r} (columns {[n for n, _ in found if not n.startswith('_')]})")
        return
    table.create(wanted, foreign_keys=[("_source", "sources", "id")])
    create_indexes(store, decl)


def create_indexes(store: Store, decl: Declaration) -> None:
    """The indexes of `decl`'s table: unique `_hash`, retractions by their arguments, records with a
    validity window, the arguments, and each later argument (made when missing). Retractions and windows
    are few: partial indexes serve the in-force test, and tell at once whether there are any at all."""
    table = store.db.table(table_name(decl.name))
    retract = ", ".join([quote(c.name) for c in decl.columns] + ["_recorded_at"])
    store.db.execute(f"CREATE INDEX IF NOT EXISTS {quote(retract_index(decl.name))} ON {quote(table.name)} ({retract}) "
                     "WHERE _action = 'retract'")
    store.db.execute(f"CREATE INDEX IF NOT EXISTS {quote(windows_index(decl.name))} ON {quote(table.name)} "
                     f"(_valid_from, _valid_to) WHERE {WINDOWED}")
    table.create_index(["_hash"], index_name=f"{table.name}_hash", unique=True, if_not_exists=True)
    if decl.columns:
        table.create_index([c.name for c in decl.columns], index_name=f"{table.name}_args", if_not_exists=True)
    for col in decl.columns[1:]:  # proofs and queries look facts up by any argument, not only the first
        if col.type in ("entity", "text", "date"):
            table.create_index([col.name], index_name=f"{table.name}__{col.name}", if_not_exists=True)


def drop_indexes(store: Store, decl: Declaration) -> None:
    """Drop the full indexes `create_indexes` makes: a bulk load rebuilds them afterwards, sorted, which is much
    faster. The partial indexes stay: rows they do not hold cost them nothing."""
    partial = {retract_index(decl.name), windows_index(decl.name)}
    for index in store.db.table(table_name(decl.name)).indexes:
        if not index.name.startswith("sqlite_") and index.name not in partial:
            store.db.execute(f"DROP INDEX {quote(index.name)}")


def evidence_tables(store: Store) -> list[str]:
    """The names of the evidence tables in the case file."""
    return [name for name in store.db.table_names() if name.startswith(EVIDENCE_PREFIX)]
