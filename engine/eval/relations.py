"""Where each predicate's rows live during evaluation, and how a rule reads them.

Evidence in force for the run is copied once into `e_<pred>` (distinct arguments) and,
when a rule reaches its metadata, `m_<pred>` (one row per record); or, for a point question's
demanded stratum (demand.py), read in place: the in-force SELECT over the case file's table, whose
indexes the demand's lookups use. Derived predicates live in `r_<pred>` with `_round` (the round
that first derived the row) and `_rule`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..syntax.ast import Declaration
from ..store.facts import at_step, of_run

_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")

META_COLUMNS = {
    "source": "_source",
    "source_name": "_source_name",
    "source_kind": "_source_kind",
    "reliability": "_reliability",
    "credibility": "_credibility",
    "jurisdiction": "_jurisdiction",
    "document": "_document",
    "observed": "_observed",
    "valid_from": "_valid_from",
    "valid_to": "_valid_to",
    "recorded_at": "_recorded_at",
    "record": "_hash",
}


def ident(name: str) -> str:
    """A validated, quoted SQL identifier; refuses anything that is not a declared-name shape."""
    if not _IDENT.match(name):
        raise ValueError(f"not a valid identifier: {name!r}")
    return f'"{name}"'


def table_name(prefix: str, predicate: str) -> str:
    """The quoted name of a per-predicate table, e.g. r_blocked."""
    ident(predicate)
    return f'"{prefix}_{predicate}"'


@dataclass(frozen=True)
class Source:
    """How one atom occurrence is read: a table, its argument columns, and a row filter."""

    table: str
    columns: tuple[str, ...]
    condition: str | None = None  # uses {a} for the alias

    def where(self, alias: str) -> list[str]:
        return [self.condition.format(a=alias)] if self.condition else []


def lookup_columns(program, plan) -> dict[str, set[int]]:
    """Argument positions some rule looks a predicate up by (a constant, or a variable used again):
    the columns worth an index beyond the first, which the key already covers. The one recursive
    atom of a linear recursive rule is always read as the delta, by scanning, so it needs none."""
    from collections import Counter

    from ..syntax import ast

    out: dict[str, set[int]] = {}
    for stratum in plan:
        for rule in stratum.rules:
            atoms = [a for a, _, _ in ast.body_atoms(rule.body)]
            recursive = [a for a, neg, _ in ast.body_atoms(rule.body) if not neg and a.predicate in stratum.members]
            uses = Counter(v.name for a in atoms + [rule.head] for v in ast.atom_vars(a))
            for a in atoms:
                if len(recursive) == 1 and a is recursive[0]:
                    continue
                for i, arg in enumerate(a.args):
                    if isinstance(arg, (ast.Const, ast.ConstRef)) or (isinstance(arg, ast.Var) and uses[arg.name] > 1):
                        out.setdefault(a.predicate, set()).add(i)
    return out


def round_index(predicate: str, create: bool = True, name: str | None = None) -> str:
    """The statement that makes (or drops) the index of r_<predicate> by round, which a stratum's own
    evaluation reads; a stratum taken over whole does without it (filled faster). `name`: the index's
    name as the database wants it (eval/ddl.temp_index), SQLite's by default."""
    name = name or f'temp."r_{ident(predicate)[1:-1]}__round"'
    return f"CREATE INDEX {name} ON {table_name('r', predicate)} (_round)" if create else f"DROP INDEX IF EXISTS {name}"


def arg_columns(decl: Declaration) -> tuple[str, ...]:
    return tuple(ident(c.name) for c in decl.columns)


class RunTables:
    """The tables of one evaluation; `source()` picks the version an atom reads. Without `provenance` (only
    for measuring what it costs: `benchmarks/provenance.py`) rows are derived by round as usual, but their
    rule is not recorded, and the stored facts keep neither round nor rule: no proof can be built."""

    def __init__(self, declarations: dict[str, Declaration], provenance: bool = True,
                 in_place: dict[str, Source] | None = None, params: dict | None = None):
        self.decls = declarations
        self.provenance = provenance
        self.in_place = in_place or {}  # evidence not copied: its in-force SELECT (propagate.evidence_sources)
        self.params = params or {}  # the parameters of those SELECTs, for every statement that may read them
        # predicates whose facts this run shares with the run it continues, by their count: they are read from
        # fact_<pred> as the run's step sees them (store/facts.py, eval/incremental.py), not from r_<pred>
        self.shared: dict[str, int] = {}

    def share(self, lineage: str, step: int) -> None:
        """Let every statement compiled from now on read shared facts: of `lineage`, at `step`."""
        self.params.update(lineage=lineage, step=step)

    def source(self, predicate: str, version: str, with_meta: bool = False) -> Source:
        """version: 'all' (complete), 'full' (rounds before :k) or 'delta' (round :k - 1). Evidence read in
        place may repeat a row (one per record): rules insert OR IGNORE and aggregates read distinct rows."""
        decl = self.decls[predicate]
        cols = arg_columns(decl)
        if predicate in self.in_place:
            return self.in_place[predicate]
        if decl.is_evidence:
            return Source(table_name("m" if with_meta else "e", predicate), cols)
        cond = {"all": None, "full": "{a}._round < :k", "delta": "{a}._round = :k - 1"}[version]
        if predicate in self.shared:
            return Source(table_name("fact", predicate), cols, " AND ".join(filter(None, [at_step("{a}"), cond])))
        return Source(table_name("r", predicate), cols, cond)


class StoredRunTables:
    """Read a finished run back from the case file (for proofs): facts under a run id, rounds below :h."""

    def __init__(self, declarations: dict[str, Declaration], evidence_sql: dict[str, str]):
        self.decls = declarations
        self.evidence_sql = evidence_sql  # predicate -> SELECT of in-force records (named params)

    def source(self, predicate: str, version: str, with_meta: bool = False) -> Source:
        decl = self.decls[predicate]
        cols = arg_columns(decl)
        if decl.is_evidence:
            return Source(f"({self.evidence_sql[predicate]})", cols)
        cond = of_run("{a}") + (" AND {a}._round < :h" if version == "full" else "")
        return Source(table_name("fact", predicate), cols, cond)


def named_params(sql: str, params, prefix: str) -> tuple[str, dict]:
    """Rewrite `?`/`?NNN` placeholders outside quotes and comments as `:<prefix><i>`."""
    if isinstance(params, dict):
        return sql, dict(params)
    params = list(params or [])
    out, named, i, n = [], {}, 0, 0
    while i < len(sql):
        ch = sql[i]
        if ch in "'\"`[":
            close = "]" if ch == "[" else ch
            j = i + 1
            while j < len(sql):
                if sql[j] == close:
                    if close != "]" and j + 1 < len(sql) and sql[j + 1] == close:
                        j += 2
                        continue
                    break
                j += 1
            out.append(sql[i:j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = len(sql) if j < 0 else j
            out.append(sql[i:j])
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = len(sql) if j < 0 else j + 2
            out.append(sql[i:j])
            i = j
        elif ch == "?":
            m = re.match(r"\?(\d+)", sql[i:])
            if m:
                index = int(m.group(1)) - 1
                i += len(m.group(0))
            else:
                index = n
                n += 1
                i += 1
            name = f"{prefix}{index}"
            named[name] = params[index]
            out.append(":" + name)
        else:
            out.append(ch)
            i += 1
    return "".join(out), named
