"""Rulebook facts (E162, E163): `fact` and the rows of a `table` state plain values of a derived or conclusion
predicate, which then holds in every run. Unknown predicates and wrong arity are E101 and E102, the types of
the values E201 (types.py), like any atom."""

from __future__ import annotations

from ..diagnostics import Diagnostic, error
from ..syntax.ast import Const, Fact
from ..syntax.program import Program
from .names import predicate_ref
from .scope import columns_text, declarations, name_span


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    decls = declarations(program)
    for fact in program.facts:
        out += _fact(fact, decls)
    return out


def _fact(fact: Fact, decls) -> list[Diagnostic]:
    atom = fact.atom
    decl = decls.get(atom.predicate)
    if fact.row and decl is not None and decl.arity != len(atom.args):
        return [error("E102", f"this row has {len(atom.args)} value{'s' if len(atom.args) != 1 else ''}, and table "
                              f"{decl.name} has {decl.arity} column{'s' if decl.arity != 1 else ''}", fact.span,
                      f"give a value for each column, separated by commas: {columns_text(decl)}; end each row "
                      "with ; and the last with a full stop")]
    wrong = predicate_ref(atom, decls)
    if wrong:
        return wrong
    if decls[atom.predicate].is_evidence:
        return [error("E162", f"{atom.predicate} is evidence, and evidence comes from the case file", name_span(atom),
                      f"load it with warrant load, or declare {atom.predicate} derived to state it in the rulebook")]
    out = [error("E163", "a rulebook fact states plain values", arg.span,
                 'write a text in double quotes, a number, a date or true/false: fact high_risk_flag("Comoros")')
           for arg in atom.args if not isinstance(arg, Const)]
    if atom.meta:
        out.append(error("E163", "a rulebook fact has no metadata", atom.meta[0].span,
                         "its source is the citation after cites: remove the with part"))
    return out


__all__ = ["check"]
