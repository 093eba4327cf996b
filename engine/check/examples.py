"""Examples (E13x): `given` facts are ground evidence, `expect` facts are ground conclusions."""

from __future__ import annotations

from ..diagnostics import Diagnostic, error
from ..syntax.ast import Atom, Const
from ..syntax.program import Program
from .names import meta_fields, predicate_ref
from .scope import declarations, name_span, repeats


def _ground(atom: Atom, code: str, what: str) -> list[Diagnostic]:
    out = []
    for expr in list(atom.args) + [m.value for m in atom.meta]:
        if not isinstance(expr, Const):
            out.append(error(code, f"{what} facts take plain values, not variables, _, names or calculations",
                             expr.span, 'write the value itself, e.g. "Acme Ltd", 25, 2024-07-03 or true'))
    return out


def check(program: Program) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    decls = declarations(program)
    for example, first in repeats(program.examples, lambda e: e.name):
        out.append(error("E135", f'example "{example.name}" is defined twice: here and at {first.span}',
                         example.span, "give every example its own name"))
    for example in program.examples:
        for atom in example.given:
            out += predicate_ref(atom, decls)
            decl = decls.get(atom.predicate)
            if decl is not None and not decl.is_evidence:
                out.append(error("E131", f"given facts must be evidence, and {atom.predicate} is {decl.kind}",
                                 name_span(atom), "an example gives evidence and expects what the rules conclude"))
            out += _ground(atom, "E130", "given")
            out += meta_fields(atom)
        for atom in example.expect + example.expect_not:
            out += predicate_ref(atom, decls)
            decl = decls.get(atom.predicate)
            if decl is not None and decl.is_evidence:
                out.append(error("E132", f"{atom.predicate} is evidence; an example can only expect what rules "
                                         "derive", name_span(atom),
                                 "expect a derived or conclusion predicate; put evidence in given"))
            out += _ground(atom, "E133", "expected")
            if atom.meta:
                out.append(error("E134", "expect takes no with", atom.meta[0].span,
                                 "metadata belongs to evidence in given"))
    return out


__all__ = ["check"]
