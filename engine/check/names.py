"""Names and arity (E1xx): every predicate, constant, rule id and metadata field is declared once and used right."""

from __future__ import annotations

from ..diagnostics import Diagnostic, error
from ..syntax.ast import (
    META_FIELDS, TYPES, Aggregate, Atom, BinOp, Call, ConstRef, Declaration, Neg, Negation, Wildcard, body_atoms,
)
from ..syntax.foreign import function_message, is_function_name
from ..syntax.library import FUNCTIONS
from ..syntax.program import Program
from .scope import (
    BUILTIN_CONSTANTS, columns_text, declarations, did_you_mean, name_span, repeats, rule_exprs, walk_literals,
)

META_LIST = ", ".join(META_FIELDS)


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    out += _declarations(program)
    out += _constants(program)
    out += _rule_ids(program)
    decls = declarations(program)
    for rule in program.rules:
        out += _head(rule.head, decls)
        under_not = {id(a) for a, negated, _ in body_atoms(rule.body) if negated}  # inside not (...) too
        for lit, _ in walk_literals(rule.body):
            if isinstance(lit, Atom):
                out += _body_atom(lit, decls, negated=id(lit) in under_not)
            elif isinstance(lit, Negation):
                out += _body_atom(lit.atom, decls, negated=True)
            elif isinstance(lit, Aggregate) and lit.distinct and lit.func != "count":
                out.append(error("E120", f"distinct is only allowed with count, not with {lit.func}", lit.span,
                                 f"{lit.func} already takes one value per distinct combination of the aggregate's "
                                 "variables; remove distinct"))
        out += _constant_refs(rule_exprs(rule), program, _atom_args(rule))
    return out


def _declarations(program: Program) -> list[Diagnostic]:
    out = []
    for d, first in repeats(program.declarations, lambda d: d.name):
        out.append(error("E103", f"predicate {d.name} is declared twice: here and at {first.span}", d.span,
                         "a predicate is declared once across a rulebook and the rulebooks it uses; "
                         "rename one of them"))
    for d in program.declarations:
        if d.name in FUNCTIONS:
            out.append(error("E173", f"{d.name} is a function of the language and cannot name a predicate", d.span,
                             f"choose another name, such as {d.name}_of"))
        for col in d.columns:
            if col.type not in TYPES:
                guess = did_you_mean(col.type, TYPES)
                out.append(error("E107", f"unknown column type {col.type} in {d.name}", col.type_span,
                                 (guess + " " if guess else "") + "the types are " + ", ".join(TYPES)))
        for col, _ in repeats(d.columns, lambda c: c.name):
            out.append(error("E115", f"column {col.name} appears twice in {d.name}", col.span,
                             "give every column its own name"))
    return out


def _constants(program: Program) -> list[Diagnostic]:
    out = [error("E105", f"{c.name} is built in (the assessment date of the run) and cannot be redefined",
                 c.span, "choose another name") for c in program.constants if c.name in BUILTIN_CONSTANTS]
    for c, first in repeats(program.constants, lambda c: c.name):
        if c.name not in BUILTIN_CONSTANTS:
            out.append(error("E104", f"{c.name} is defined twice: here and at {first.span}", c.span,
                             "a threshold or constant is defined once across a rulebook and the rulebooks it uses"))
    return out


def _rule_ids(program: Program) -> list[Diagnostic]:
    return [error("E106", f"rule id {r.id} is used twice: here and at {first.id_span}", r.id_span,
                  "rule ids identify a rule in every proof; give each rule its own id")
            for r, first in repeats(program.written_rules, lambda r: r.id)]


def predicate_ref(atom: Atom, decls: dict[str, Declaration]) -> list[Diagnostic]:
    """E101 unknown predicate, E102 wrong arity."""
    decl = decls.get(atom.predicate)
    if decl is None and is_function_name(atom.predicate):
        message, hint = function_message(atom.predicate)
        return [error("E028", message, name_span(atom), hint)]
    if decl is None:
        hint = did_you_mean(atom.predicate, decls) or (
            f"declare it first, e.g. evidence {atom.predicate}(name: entity) or derived {atom.predicate}(...)")
        return [error("E101", f"unknown predicate {atom.predicate}", name_span(atom), hint)]
    if len(atom.args) != decl.arity:
        return [error("E102", f"{decl.name} takes {decl.arity} argument{'s' if decl.arity != 1 else ''}, "
                              f"not {len(atom.args)}",
                      atom.span, f"declared at {decl.span} as {decl.name}({columns_text(decl)})")]
    return []


def meta_fields(atom: Atom) -> list[Diagnostic]:
    """E114 unknown metadata field, E116 the same field twice."""
    out = []
    seen = set()
    for item in atom.meta:
        if item.field not in META_FIELDS:
            guess = did_you_mean(item.field, META_FIELDS)
            out.append(error("E114", f"unknown metadata field {item.field}", item.span,
                             (guess + " " if guess else "") + "the fields are " + META_LIST))
        elif item.field in seen:
            out.append(error("E116", f"metadata field {item.field} is given twice", item.span,
                             "give each field once"))
        seen.add(item.field)
    return out


def _head(head: Atom, decls: dict[str, Declaration]) -> list[Diagnostic]:
    out = predicate_ref(head, decls)
    decl = decls.get(head.predicate)
    if decl is not None and decl.is_evidence:
        out.append(error("E109", f"{head.predicate} is evidence and cannot be the head of a rule", name_span(head),
                         "evidence comes only from the case file; declare a derived or conclusion predicate "
                         "for what the rule concludes"))
    for arg in head.args:
        if isinstance(arg, Wildcard):
            out.append(error("E110", "_ cannot appear in a rule head", arg.span,
                             "a conclusion must say who or what it is about: use a variable bound in the body"))
    if head.meta:
        out.append(error("E112", "a rule head cannot carry with", head.meta[0].span,
                         "with reads the metadata of evidence in a rule body"))
    return out


def _body_atom(atom: Atom, decls: dict[str, Declaration], negated: bool) -> list[Diagnostic]:
    out = predicate_ref(atom, decls)
    for expr in [m.value for m in atom.meta]:
        if isinstance(expr, (BinOp, Neg, Call)):
            out.append(error("E111", "no calculation in a with value", expr.span,
                             "bind it first with a new variable, e.g. Limit = Start + 30, then write with valid_from = "
                             "Limit"))
    if atom.meta:
        decl = decls.get(atom.predicate)
        if negated:
            out.append(error("E113", "with cannot be used on a condition under not", atom.meta[0].span,
                             "to exclude evidence with some metadata, move the positive condition with with "
                             "into a derived predicate and negate that"))
        elif decl is not None and not decl.is_evidence:
            out.append(error("E112", f"with is only for evidence, and {atom.predicate} is {decl.kind}",
                             atom.meta[0].span, "read the metadata on the evidence condition itself"))
        out += meta_fields(atom)
    return out


def _atom_args(rule) -> set[int]:
    """The ids of the expressions written as arguments of the rule's head and conditions."""
    atoms = [rule.head] + [lit.atom if isinstance(lit, Negation) else lit for lit, _ in walk_literals(rule.body)
                           if isinstance(lit, (Atom, Negation))]
    return {id(arg) for atom in atoms for arg in atom.args}


def _constant_refs(exprs, program: Program, atom_args: set[int]) -> list[Diagnostic]:
    known = {c.name for c in program.constants} | set(BUILTIN_CONSTANTS)
    out = []
    for expr in exprs:
        if isinstance(expr, ConstRef) and expr.name not in known:
            guess = did_you_mean(expr.name, known)
            if not guess and id(expr) in atom_args:
                out.append(error("E032", f"{expr.name} is used like a variable, but a variable starts with a "
                                         "capital letter", expr.span,
                                 f"write {expr.name.capitalize()}; a lower-case name is a threshold or constant, "
                                 f"and no {expr.name} is defined"))
                continue
            hint = guess or (f"variables start with a capital letter ({expr.name.capitalize()}); "
                             f"a lower-case name is a threshold or constant: threshold {expr.name} = 50")
            out.append(error("E108", f"unknown constant {expr.name}", expr.span, hint))
    return out


__all__ = ["check", "predicate_ref", "meta_fields"]
