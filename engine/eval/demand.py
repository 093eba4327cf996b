"""Demand restriction (magic sets) of the stratum a point question asks about.

A question such as `sg("a", Y)` binds some arguments. Before the asked predicate's stratum is
evaluated, the facts it could need are computed as *demand* tables, one per predicate of the stratum,
over its bound positions (its adornment): seeded with the question's constants, and closed by each
rule: a demanded head, joined with the rule's positive atoms of lower strata and evidence (already
complete), demands the bound positions of each same-stratum atom of the body (aggregate bodies
included). A position stays bound only if every call site binds it; a predicate left with none is not
restricted. The stratum is then evaluated as usual, but each rule of a predicate with demand derives
only heads whose bound arguments are demanded (a filter on the head, `Restriction.head_filter`, which a
grouped aggregate also applies to its groups), so its joins start from the demand, not the evidence.

Why the facts kept are a full run's, with their rounds: the demand of a fact covers every same-stratum
fact any derivation of it uses (the closure above over-approximates: comparisons, negations and other
atoms are ignored), so by induction on rounds each demanded fact is derived in the same round by the
same rules; the stratum starts in the same round because it is the slice's last (slice.py). Its
proof, which reads only such facts, is the full run's. The stratum may end in fewer rounds: nothing
after it is evaluated.

The evidence only this stratum reads (`in_place`) is not copied: its rules and the demand's joins read
the case file's in-force records in place, through the indexes on the columns they join on.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .. import numbers
from ..syntax.ast import Aggregate, Atom, Const, Var, body_atoms
from . import ddl
from .plan import Stratum
from .relations import RunTables, table_name


@dataclass(frozen=True)
class Demand:
    """The asked atom: its predicate, and each argument's value or None where it is free."""

    predicate: str
    args: tuple


def _usable(lits, members: frozenset[str]) -> list[Atom]:
    """The positive atoms of lower strata or evidence among `lits` (joined for demand: by their arguments
    only; conditions on an atom's metadata are ignored, as comparisons are, which can only demand more)."""
    return [a for a in lits if isinstance(a, Atom) and a.predicate not in members]


def _call_sites(rule, members: frozenset[str]):
    """(same-stratum body atom, the atoms joined to demand it) for each positive same-stratum atom."""
    outer = _usable(rule.body, members)
    for lit in rule.body:
        if isinstance(lit, Atom) and lit.predicate in members:
            yield lit, outer
        elif isinstance(lit, Aggregate):
            inner = outer + _usable(lit.body, members)
            for a in lit.body:
                if isinstance(a, Atom) and a.predicate in members:
                    yield a, inner


def _vars(atoms) -> set[str]:
    return {a.name for atom in atoms for a in atom.args if isinstance(a, Var)}


def _reached(known: set[str], joined: list[Atom]) -> set[str]:
    """`known` and the variables of the atoms linked to it through shared variables, transitively."""
    known, rest = set(known), list(joined)
    while found := [a for a in rest if _vars([a]) & known]:
        for a in found:
            rest.remove(a)
            known |= _vars([a])
    return known


def _head_vars(rule, bound: frozenset[int]) -> set[str]:
    return {a.name for i, a in enumerate(rule.head.args) if i in bound and isinstance(a, Var)}


def adornments(stratum: Stratum, demand: Demand, decls: dict) -> dict[str, frozenset[int]]:
    """The bound positions of each predicate of the stratum: those every call site binds (none at all
    when a caller has none: everything it derives may be needed)."""
    bound = {p: set(range(decls[p].arity)) for p in stratum.predicates}
    bound[demand.predicate] &= {i for i, v in enumerate(demand.args) if v is not None}
    changed = True
    while changed:
        changed = False
        for rule in stratum.rules:
            known_head = _head_vars(rule, frozenset(bound[rule.head.predicate]))
            for atom, joined in _call_sites(rule, stratum.members):
                known = _reached(known_head, joined)
                pos = {i for i, a in enumerate(atom.args) if isinstance(a, Const) or (isinstance(a, Var) and a.name in known)}
                pos = pos if bound[rule.head.predicate] else set()
                if not bound[atom.predicate] <= pos:
                    bound[atom.predicate] &= pos
                    changed = True
    return {p: frozenset(b) for p, b in bound.items()}


def _col(i: int) -> str:
    return f'"c{i}"'


def _connected(rule, atom: Atom, joined: list[Atom], bound: dict[str, frozenset[int]]) -> list[Atom]:
    """The atoms of `joined` linked by shared variables to the head's bound arguments (the others would
    only multiply the join: leaving them out demands more, never less)."""
    linked = _reached(_head_vars(rule, bound[rule.head.predicate]), joined)
    return [a for a in joined if _vars([a]) & linked]


def _propagation(rule, atom: Atom, joined: list[Atom], bound: dict[str, frozenset[int]], tables: RunTables):
    """The INSERT adding to atom's demand what a demanded head of `rule` asks of it, with its parameters."""
    joined = _connected(rule, atom, joined, bound)
    exprs: dict[str, str] = {}
    where, params, froms = ["h._step = :step - 1"], [], [f'{table_name("d", rule.head.predicate)} AS h']
    for i, a in enumerate(rule.head.args):
        if i in bound[rule.head.predicate] and isinstance(a, Var):
            if a.name in exprs:
                where.append(f"{exprs[a.name]} = h.{_col(i)}")
            exprs.setdefault(a.name, f"h.{_col(i)}")
    for j, other in enumerate(joined):
        src = tables.source(other.predicate, "all")
        froms.append(f"{src.table} AS a{j}")
        where.extend(src.where(f"a{j}"))
        for c, a in zip(src.columns, other.args):
            col = f"a{j}.{c}"
            if isinstance(a, Const):
                where.append(f"{col} = :k{len(params)}")
                params.append(numbers.stored(a.value))
            elif isinstance(a, Var) and a.name in exprs:
                where.append(f"{exprs[a.name]} = {col}")
            elif isinstance(a, Var):
                exprs[a.name] = col
    picked = []
    for i in sorted(bound[atom.predicate]):
        a = atom.args[i]
        if isinstance(a, Const):
            picked.append(f":k{len(params)}")
            params.append(numbers.stored(a.value))
        else:
            picked.append(exprs[a.name])
    joins = froms[0] + "".join(f" CROSS JOIN {f}" for f in froms[1:2]) + "".join(f", {f}" for f in froms[2:])
    sql = (f"INSERT OR IGNORE INTO {table_name('d', atom.predicate)} SELECT DISTINCT {', '.join(picked)}, :step "
           f"FROM {joins} WHERE {' AND '.join(where)}")  # CROSS JOIN: the last step's demand is the outer loop
    return sql, dict(tables.params, **{f"k{i}": v for i, v in enumerate(params)})


@dataclass(frozen=True)
class Restriction:
    """The bound positions of each predicate of the stratum that has demand (its table `d_<pred>`)."""

    bound: dict[str, frozenset[int]]

    def values(self, rule) -> dict[str, str]:
        """Each head variable at a bound position -> the SELECT of the values the demand allows it."""
        pos = self.bound.get(rule.head.predicate, frozenset())
        out: dict[str, str] = {}
        for i in sorted(pos):
            a = rule.head.args[i]
            if isinstance(a, Var):
                out.setdefault(a.name, f"SELECT {_col(i)} FROM {table_name('d', rule.head.predicate)}")
        return out

    def head_filter(self, predicate: str, head_sql: list[str], leads: bool = True) -> str | None:
        """The condition that the head's bound arguments (their SQL, in column order) are demanded; unless
        it `leads` (a rule's first application: the demand drives the join), it only filters what the
        delta finds (`+`: SQLite does not look the arguments up by it, scanning the whole demand each round)."""
        pos = sorted(self.bound.get(predicate, ()))
        if not pos:
            return None
        picked = [head_sql[i] if leads else f"+{head_sql[i]}" for i in pos]
        lhs = picked[0] if len(picked) == 1 else f"({', '.join(picked)})"
        return f"{lhs} IN (SELECT {', '.join(_col(i) for i in pos)} FROM {table_name('d', predicate)})"


def in_place(stratum: Stratum, demand: Demand, decls: dict, elsewhere: set[str]) -> frozenset[str]:
    """The evidence the stratum may read in place for `demand`: what only rules of predicates with demand
    read (a rule without it would scan the records each round), and no other stratum of the slice
    (`elsewhere`, the predicates their rules read)."""
    bound = adornments(stratum, demand, decls)
    read: dict[str, bool] = {}
    for rule in stratum.rules:
        for atom, _, _ in body_atoms(rule.body):
            if decls[atom.predicate].is_evidence:
                read[atom.predicate] = read.get(atom.predicate, True) and bool(bound[rule.head.predicate])
    return frozenset(p for p, limited in read.items() if limited and p not in elsewhere)


def restrict(conn: sqlite3.Connection, stratum: Stratum, demand: Demand, tables: RunTables) -> Restriction:
    """Compute the stratum's demand tables (temp tables, dropped with the run's); returns what they bound,
    for the stratum's rules to keep to (`Restriction`)."""
    bound = adornments(stratum, demand, tables.decls)
    limited = [p for p in stratum.predicates if bound[p]]
    for p in limited:
        cols = ", ".join(_col(i) for i in sorted(bound[p]))
        types = ", ".join(_col(i) + ddl.typed(conn, tables.decls[p].columns[i].type) for i in sorted(bound[p]))
        conn.execute(f"CREATE TEMP TABLE {table_name('d', p)} ({types}, _step INTEGER, PRIMARY KEY ({cols})){ddl.clustered(conn)}")
        conn.execute(f'CREATE INDEX {ddl.temp_index(conn, f"d_{p}__step")} ON {table_name("d", p)} (_step)')
    if demand.predicate in limited:
        seed = [numbers.stored(demand.args[i]) for i in sorted(bound[demand.predicate])]
        conn.execute(f"INSERT INTO {table_name('d', demand.predicate)} VALUES ({', '.join('?' * len(seed))}, 0)", seed)
    steps = [_propagation(rule, atom, joined, bound, tables)
             for rule in stratum.rules if rule.head.predicate in limited
             for atom, joined in _call_sites(rule, stratum.members) if atom.predicate in limited]
    added, step = True, 0
    while added:  # semi-naive: each step joins only the demand the step before added
        added, step = False, step + 1
        for sql, params in steps:
            added = conn.execute(sql, dict(params, step=step)).rowcount > 0 or added
    ddl.analyze(conn, *(table_name("d", p) for p in limited))
    return Restriction({p: bound[p] for p in limited})


__all__ = ["Demand", "Restriction", "adornments", "in_place", "restrict"]
