"""Text of rule syntax and values, ground atoms, and explanation sentences: shared by builder and renderers."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

from ..numbers import number_text
from ..syntax import ast
from ..syntax.program import Program

Value = str | int | float | bool | None


class ProofError(Exception):
    """A question the proof layer cannot answer as asked (unknown predicate, wrong arity, fact absent...)."""


def value_text(v: Value) -> str:
    """A value as the rulebook language writes it: strings quoted, numbers without noise, `_` for unknown."""
    if v is None:
        return "_"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return number_text(v)
    return json.dumps(v, ensure_ascii=False)


def plain_value(v: Value) -> str:
    """A value for prose: strings unquoted."""
    return v if isinstance(v, str) else value_text(v)


def atom_text(predicate: str, args) -> str:
    return f"{predicate}({', '.join(value_text(a) for a in args)})"


def expr_text(e) -> str:
    if isinstance(e, ast.Var):
        return e.name
    if isinstance(e, ast.Wildcard):
        return "_"
    if isinstance(e, ast.Const):
        if e.type in ("duration", "time_duration"):
            return e.value
        return value_text(e.value) + ("%" if e.type == "percent" else "")
    if isinstance(e, ast.ConstRef):
        return e.name
    if isinstance(e, ast.Neg):
        return f"-{expr_text(e.operand)}"
    if isinstance(e, ast.BinOp):
        return f"({expr_text(e.left)} {e.op} {expr_text(e.right)})"
    if isinstance(e, ast.Call):
        return f"{e.func}({', '.join(map(expr_text, e.args))})"
    raise TypeError(e)


def rule_atom_text(a: ast.Atom) -> str:
    text = f"{a.predicate}({', '.join(expr_text(x) for x in a.args)})"
    if a.meta:
        text += " with " + ", ".join(f"{m.field} = {expr_text(m.value)}" for m in a.meta)
    return text


def literal_text(lit) -> str:
    if isinstance(lit, ast.Atom):
        return rule_atom_text(lit)
    if isinstance(lit, ast.Negation):
        return "not " + rule_atom_text(lit.atom)
    if isinstance(lit, ast.Comparison):
        return f"{expr_text(lit.left)} {lit.op} {expr_text(lit.right)}"
    if isinstance(lit, ast.Membership):
        return f"{expr_text(lit.value)} {membership_op(lit)} ({', '.join(expr_text(m) for m in lit.members)})"
    if isinstance(lit, ast.Disjunction):
        return "(" + " or ".join(conjunction_text(alt) for alt in lit.alternatives) + ")"
    if isinstance(lit, ast.NegatedConjunction):
        return f"not ({conjunction_text(lit.body)})"
    return f"{lit.var.name} = {aggregate_text(lit)}"


def conjunction_text(body) -> str:
    """Conditions as a rule writes them, joined with `and`."""
    return " and ".join(literal_text(x) for x in body)


def no_match_statement(conditions: str, binding: dict, as_of: str, run_id: str) -> str:
    """What a `not (...)` premise states: 'nothing satisfies listed(X, L) and L != "UN" with X = "A", as of ...'."""
    given = ", ".join(f"{k} = {value_text(v)}" for k, v in binding.items())
    return f"nothing satisfies {conditions}{' with ' + given if given else ''}, as of {as_of} in run {run_id}"


def membership_op(lit: ast.Membership) -> str:
    return "not in" if lit.negated else "in"


def membership_values_text(lit: ast.Membership, value, members) -> str:
    """A membership test with its values: '"Palau" in ("Comoros", "Palau")'."""
    return f"{value_text(value)} {membership_op(lit)} ({', '.join(value_text(m) for m in members)})"


def aggregate_text(agg: ast.Aggregate) -> str:
    body = " and ".join(literal_text(x) for x in agg.body)
    return f"{agg.func}({'distinct ' if agg.distinct else ''}{expr_text(agg.target)} for {body})"


def fill_explanation(text: str, values: dict) -> str:
    """`{Var}` -> the variable's value (strings unquoted); `{{`/`}}` -> literal braces; unknown names kept."""
    out, i = [], 0
    while i < len(text):
        two = text[i:i + 2]
        if two in ("{{", "}}"):
            out.append(two[0])
            i += 2
            continue
        if text[i] == "{":
            end = text.find("}", i + 1)
            name = text[i + 1:end] if end > 0 else ""
            if end > 0 and name in values:
                out.append(plain_value(values[name]))
                i = end + 1
                continue
        out.append(text[i])
        i += 1
    return "".join(out)


@dataclass(frozen=True, order=True)
class GroundAtom:
    predicate: str
    args: tuple

    def __str__(self) -> str:
        return atom_text(self.predicate, self.args)


def nearest(name: str, choices) -> str:
    """' (did you mean X?)' or ''."""
    close = difflib.get_close_matches(name, sorted(set(choices)), n=1, cutoff=0.5)
    return f"; did you mean {close[0]}?" if close else ""


def check_predicate(program: Program, predicate: str, arity: int | None = None) -> ast.Declaration:
    decl = program.declaration(predicate)
    if decl is None:
        names = [d.name for d in program.declarations]
        raise ProofError(f"unknown predicate {predicate}{nearest(predicate, names)}"
                         f" (declared: {', '.join(sorted(set(names)))})")
    if arity is not None and arity != decl.arity:
        cols = ", ".join(f"{c.name}: {c.type}" for c in decl.columns)
        raise ProofError(f"{predicate} takes {decl.arity} argument(s) ({cols}), not {arity}")
    return decl


_WS = r"[ \t\f\r\n]*"
_PLAIN_STRING = r'"([^"\\\n]*)"'
_PLAIN_ATOM = re.compile(rf"([a-z][a-z0-9_]*){_WS}\({_WS}((?:{_PLAIN_STRING})(?:{_WS},{_WS}(?:{_PLAIN_STRING}))*)?{_WS}\)")


def _plain_ground_atom(program: Program, text: str) -> GroundAtom | None:
    """`blocked("A")` read without loading the parser: a declared predicate of its arity whose arguments are
    strings without escapes; None for anything else (the parser reads it, and reports what is wrong)."""
    match = _PLAIN_ATOM.fullmatch(text.strip())
    if match is None:
        return None
    args = tuple(re.findall(_PLAIN_STRING, match[2] or ""))
    decl = program.declaration(match[1])
    return GroundAtom(match[1], args) if decl is not None and decl.arity == len(args) else None


def parse_atom(program: Program, atom: "str | GroundAtom | ast.Atom") -> GroundAtom:
    """A ground atom from text such as `blocked("A")`, an AST atom with constant arguments, or a GroundAtom."""
    if isinstance(atom, GroundAtom):
        check_predicate(program, atom.predicate, len(atom.args))
        return atom
    if isinstance(atom, str) and (plain := _plain_ground_atom(program, atom)) is not None:
        return plain
    if isinstance(atom, str):
        from lark.exceptions import LarkError

        from ..syntax.grammar import parser
        from ..syntax.parser import _ToAst

        try:
            atom = _ToAst("<atom>").transform(parser("atom").parse(atom.strip()))
        except LarkError as exc:
            raise ProofError(f"cannot read {atom!r} as a fact: write it like blocked(\"A\") "
                             f"(strings in double quotes)") from exc
    decl = check_predicate(program, atom.predicate, len(atom.args))
    values = []
    for arg, col in zip(atom.args, decl.columns):
        if isinstance(arg, ast.Const):
            values.append(arg.value)
        elif isinstance(arg, ast.ConstRef) and program.constant(arg.name):
            values.append(program.constant(arg.name).value.value)
        else:
            raise ProofError(f"argument {col.name} of {atom.predicate} must be a value, not {expr_text(arg)}")
    return GroundAtom(atom.predicate, tuple(values))
