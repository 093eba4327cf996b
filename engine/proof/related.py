"""What else a run concluded about the entities of a fact that does not hold: for why-not, so that an answer
"blocked("co:a") does not hold" also says "but this run concluded unknown_stake("X", "co:a"): the stake of X
in co:a is not known" (a finding that the evidence is incomplete) or "caution("co:a")", with each one's
explanation. Only conclusions, and only those naming one of the fact's entities."""

from __future__ import annotations

import sqlite3

from ..eval.relations import ident, table_name
from ..store.backend import POSTGRES, dialect, has_table
from ..syntax.program import Program
from .terms import atom_text
from ..store.facts import run_rows

LIMIT = 10


def related_conclusions(conn: sqlite3.Connection, program: Program, run_id: str, predicate: str,
                        args, explain) -> list[str]:
    """Notes "also concluded in this run: ATOM: EXPLANATION" for the run's conclusions (other than
    `predicate`) that name an entity among `args`, at most LIMIT, sorted; `explain(atom)` gives a
    conclusion's explanation ('' when it has none)."""
    decls = {d.name: d for d in program.declarations}
    asked = decls.get(predicate)
    if asked is None:
        return []
    entities = sorted({v for c, v in zip(asked.columns, args) if c.type == "entity" and isinstance(v, str)})
    found: list[str] = []
    for decl in sorted((d for d in program.declarations if d.kind == "conclusion" and d.name != predicate),
                       key=lambda d: d.name):
        columns = [c.name for c in decl.columns if c.type == "entity"]
        if not columns or not entities:
            continue
        names = ", ".join(ident(c.name) for c in decl.columns)
        where = " OR ".join(f"{ident(c)} IN ({', '.join('?' * len(entities))})" for c in columns)
        if dialect(conn) == POSTGRES and not has_table(conn, f"fact_{decl.name}"):  # a failed statement would
            continue  # end the transaction there
        try:
            run, params = run_rows(run_id)
            rows = conn.execute(f"SELECT DISTINCT {names} FROM {table_name('fact', decl.name)} "
                                f"WHERE {run} AND ({where}) ORDER BY {names} LIMIT {LIMIT}",
                                [*params, *entities * len(columns)]).fetchall()
        except sqlite3.OperationalError:  # the run stored no fact of it
            continue
        found += [atom_text(decl.name, row) for row in rows]
    return [f"also concluded in this run: {atom}" + (f": {why}" if (why := explain(atom)) else "")
            for atom in sorted(found)[:LIMIT]]
