"""The facts a rulebook states (`fact`, `table`): in every run they are rows of their predicate's table from
the start, in round 0 like evidence, marked with STATED as their rule, so that a proof shows them as the
rulebook's own and every rule may read them."""

from __future__ import annotations

from .. import numbers
from ..syntax.program import Program
from .relations import ident, table_name

STATED = "#fact"  # in the `_rule` column: no rule id starts with #


def insert_stated_facts(conn, program: Program) -> None:
    """Add every stated fact to the run's table r_<pred> (once, however often it is stated)."""
    decls = {d.name: d for d in program.declarations}
    for fact in program.facts:
        decl = decls[fact.atom.predicate]
        cols = [ident(c.name) for c in decl.columns] + ["_round", "_rule"]
        values = [numbers.stored(arg.value) for arg in fact.atom.args] + [0, STATED]  # `5.0` is the number 5
        conn.execute(f"INSERT OR IGNORE INTO {table_name('r', decl.name)} ({', '.join(cols)}) "
                     f"VALUES ({', '.join('?' * len(values))})", values)


__all__ = ["STATED", "insert_stated_facts"]
