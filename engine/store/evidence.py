"""Evidence tables: one `ev_<predicate>` per evidence declaration, declared columns plus metadata."""

from __future__ import annotations

from ..syntax.ast import Declaration
from ..syntax.program import Program
from .errors import store_error
from .backend import POSTGRES, dialect
from .schema import (EVIDENCE_PREFIX, SQL_TYPE_NAMES, Store, create_table_sql, quote, table_columns, table_names,
                     write_transaction)

# numbers in INTEGER columns: whole numbers are exact 64-bit integers, decimals REAL (engine/numbers.py)
SQL_TYPES = {"entity": str, "text": str, "date": str, "timestamp": str, "number": int, "percent": int,
             "bool": int}

# on PostgreSQL: numbers are exact decimals (numeric), whole numbers that are not numbers bigint
POSTGRES_TYPES = {"entity": "TEXT", "text": "TEXT", "date": "TEXT", "timestamp": "TEXT", "number": "NUMERIC",
                  "percent": "NUMERIC", "bool": "BIGINT", str: "TEXT", int: "BIGINT"}

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


def postgres_columns(decl: Declaration) -> dict[str, str]:
    """Column name -> PostgreSQL type of the declaration's table."""
    columns = {c.name: POSTGRES_TYPES[c.type] for c in decl.columns}
    columns.update({name: POSTGRES_TYPES[kind] for name, kind in META_COLUMNS.items()})
    return columns


def ensure_evidence_tables(store: Store, program: Program, indexes: bool = True) -> None:
    """Create the evidence tables of `program` (idempotent). A table made from another declaration is an error.
    With `indexes` false a new table gets only its partial indexes: the caller (a load) makes the others."""
    with write_transaction(store):
        for decl in evidence_declarations(program):
            _ensure_table(store, decl, indexes)


def _shape(columns: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Columns as a declaration decides them: on PostgreSQL a whole-number column may be numeric, as `migrate`
    makes every number column of a case file (SQLite's INTEGER holds a percent's decimals too)."""
    return [(name, "NUMERIC" if kind == "BIGINT" else kind) for name, kind in columns]


def _ensure_table(store: Store, decl: Declaration, indexes: bool = True) -> None:
    name = table_name(decl.name)
    postgres = dialect(store.conn) == POSTGRES
    wanted = postgres_columns(decl) if postgres else expected_columns(decl)
    found = table_columns(store.conn, name)
    if found:
        if _shape(found) != _shape([(column, t if postgres else SQL_TYPE_NAMES[t]) for column, t in wanted.items()]):
            raise store_error("S001", f"the case file {store.path} was made with a different declaration of "
                                      f"{decl.name!r} (columns {[n for n, _ in found if not n.startswith('_')]})")
        return
    # the reference to `sources` is declared, never enforced (SQLite's foreign keys are off; a load checks
    # every record's source itself, L011): on PostgreSQL, which would check it row by row, it is left out
    references = None if postgres else {"_source": ("sources", "id")}
    store.conn.execute(create_table_sql(name, wanted, references=references))
    create_indexes(store, decl, full=indexes)


def batch_index(predicate: str) -> tuple[str, str, str]:
    """(name, columns, condition) of the index of `predicate`'s records by load batch, which an incremental
    run reads the records loaded since the previous run through (store/changes.py), on PostgreSQL only: a
    case file finds them by rowid, without an index to maintain on every load."""
    return f"{table_name(predicate)}_batch", "_batch", ""


def analyze(store: Store, predicates) -> None:
    """On PostgreSQL, statistics of the evidence tables of `predicates`, which a load has just added records to,
    so that a run right after it is planned by their sizes and values: autovacuum comes to them only later, and
    until then, at 1M records, the test for retractions (asof.every_record_in_force) read the whole table (0.3 s)
    where its partial index answers at once. SQLite plans without."""
    if dialect(store.conn) == POSTGRES:
        for name in sorted(predicates):
            store.conn.execute(f"ANALYZE {quote(table_name(name))}")


def create_indexes(store: Store, decl: Declaration, full: bool = True) -> None:
    """The indexes of `decl`'s table: unique `_hash`, retractions by their arguments, records with a
    validity window, the arguments, each later argument, and on PostgreSQL the load batch (made when missing;
    with `full` false only the first two). Retractions and windows are few: partial indexes serve the in-force
    test, and tell at once whether there are any at all."""
    table = table_name(decl.name)
    args = [quote(c.name) for c in decl.columns]
    indexes = [(retract_index(decl.name), ", ".join(args + ["_recorded_at"]), "WHERE _action = 'retract'"),
               (windows_index(decl.name), "_valid_from, _valid_to", f"WHERE {WINDOWED}")]
    if full:
        indexes.append((f"{table}_hash", '"_hash"', ""))
        if args:
            indexes.append((f"{table}_args", ", ".join(args), ""))
        indexes += [(f"{table}__{col.name}", quote(col.name), "")  # proofs look facts up by any argument
                    for col in decl.columns[1:] if col.type in ("entity", "text", "date", "timestamp")]
        if dialect(store.conn) == POSTGRES:
            indexes.append(batch_index(decl.name))
    if dialect(store.conn) == POSTGRES:  # there CREATE INDEX IF NOT EXISTS needs the table's owner, even for nothing
        have = {r[0] for r in store.conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() "
                                                 "AND tablename = ?", [table])}
        indexes = [i for i in indexes if i[0].encode()[:63].decode() not in have]  # names cut at 63 bytes
    for index, columns, where in indexes:
        unique = "UNIQUE " if index == f"{table}_hash" else ""
        store.conn.execute(f"CREATE {unique}INDEX IF NOT EXISTS {quote(index)} ON {quote(table)} ({columns}) {where}")


def drop_indexes(store: Store, decl: Declaration) -> None:
    """Drop the full indexes `create_indexes` makes: a bulk load rebuilds them afterwards, sorted, which is much
    faster. The partial indexes stay: rows they do not hold cost them nothing."""
    partial = {retract_index(decl.name), windows_index(decl.name)}
    rows = store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                                 "AND sql IS NOT NULL ORDER BY name", [table_name(decl.name)])
    for (index,) in rows.fetchall():
        if index not in partial:
            store.conn.execute(f"DROP INDEX {quote(index)}")


def evidence_tables(store: Store) -> list[str]:
    """The names of the evidence tables in the case file."""
    return [name for name in table_names(store.conn) if name.startswith(EVIDENCE_PREFIX)]
