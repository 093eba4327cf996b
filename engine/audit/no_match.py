"""The checker's own search behind a `not (...)` premise: is there a way for its conditions to hold together,
over the records in force and the run's facts? A nested-loop join in plain Python, independent of the
evaluator's SQL: positive conditions bind variables in order, then `=` gives a variable its value and every
other condition is tested once its variables have values."""

from __future__ import annotations

from typing import Callable, Iterator

from ..syntax import ast

Rows = Callable[[str], list[list]]  # predicate -> the argument lists of its records in force, or of its facts
Value = Callable[[object, dict], object]  # (expression, binding) -> its value


class Search:
    def __init__(self, rows: Rows, value: Value, same: Callable[[object, object], bool]):
        self.rows, self.value, self.same = rows, value, same

    def first(self, body: tuple, binding: dict) -> dict | None:
        """A binding extending `binding` under which every condition of `body` holds, or None."""
        atoms = [lit for lit in body if isinstance(lit, ast.Atom)]
        tests = [lit for lit in body if not isinstance(lit, ast.Atom)]
        for joined in self._join(atoms, dict(binding)):
            found = self._tested(tests, joined)
            if found is not None:
                return found
        return None

    def _join(self, atoms: list, b: dict) -> Iterator[dict]:
        if not atoms:
            yield b
            return
        for args in self.rows(atoms[0].predicate):
            nb = self._unify(atoms[0].args, args, b)
            if nb is not None:
                yield from self._join(atoms[1:], nb)

    def _unify(self, pattern, args, b: dict) -> dict | None:
        nb = dict(b)
        for p, v in zip(pattern, args):
            if isinstance(p, ast.Wildcard):
                continue
            if isinstance(p, ast.Var) and p.name not in nb:
                nb[p.name] = v
            elif not self.same(self.value(p, nb), v):
                return None
        return nb

    def _tested(self, tests: list, b: dict) -> dict | None:
        b, pending = dict(b), list(tests)
        while pending:
            step = next((t for t in pending if not isinstance(t, ast.NegatedConjunction)
                         and (self._assigns(t, b) or _bound(t, b))), None) or next(
                (t for t in pending if isinstance(t, ast.NegatedConjunction)), None)
            if step is None:
                return None  # a condition whose variables never get a value holds for no binding
            pending.remove(step)
            if _bound(step, b) and not self.holds(step, b):
                return None
        return b

    def _assigns(self, t, b: dict) -> bool:
        """Give `X = expression` its value when X has none and the expression can be computed."""
        if not isinstance(t, ast.Comparison) or t.op != "=":
            return False
        for var, other in ((t.left, t.right), (t.right, t.left)):
            if isinstance(var, ast.Var) and var.name not in b and all(v.name in b for v in ast.expr_vars(other)):
                b[var.name] = self.value(other, b)
                return True
        return False

    def holds(self, t, b: dict) -> bool:
        """Whether one condition holds under a binding that gives all its variables a value."""
        if isinstance(t, ast.Comparison):
            return compare(t.op, self.value(t.left, b), self.value(t.right, b), self.same)
        if isinstance(t, ast.Membership):
            value = self.value(t.value, b)
            return any(self.same(value, self.value(m, b)) for m in t.members) != t.negated
        if isinstance(t, ast.Negation):
            return self._unify_any(t.atom, b) is None
        return self.first(t.body, b) is None  # a nested not (...)

    def _unify_any(self, atom: ast.Atom, b: dict) -> dict | None:
        return next((nb for args in self.rows(atom.predicate) if (nb := self._unify(atom.args, args, b)) is not None),
                    None)


def _bound(t, b: dict) -> bool:
    if isinstance(t, ast.NegatedConjunction):  # tested last; its own variables get their values inside
        return True
    names = ast.atom_vars(t.atom) if isinstance(t, ast.Negation) else ast.literal_vars(t)
    return all(v.name in b for v in names)


def compare(op: str, left, right, same) -> bool:
    """A comparison as the rulebook language defines it, numbers compared as numbers."""
    return {"=": lambda: same(left, right), "!=": lambda: not same(left, right), "<": lambda: left < right,
            "<=": lambda: left <= right, ">": lambda: left > right, ">=": lambda: left >= right}[op]()


__all__ = ["Search", "compare"]
