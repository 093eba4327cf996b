"""Resolve `use` into a Program: a rulebook with the rulebooks it uses, in dependency order."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable

from ..diagnostics import Diagnostic, SourceMap, WarrantError, error
from ..source import SourceFile
from .ast import Constant, Declaration, Example, Fact, Rule, Rulebook
from .branches import expand_rule


@dataclass(frozen=True)
class Program:
    """Everything one rulebook brings into scope. Clashes are reported by the checker."""

    root: Rulebook
    rulebooks: tuple[Rulebook, ...]  # dependencies first, root last

    @property
    def declarations(self) -> tuple[Declaration, ...]:
        return tuple(d for rb in self.rulebooks for d in rb.declarations)

    @property
    def constants(self) -> tuple[Constant, ...]:
        return tuple(c for rb in self.rulebooks for c in rb.constants)

    @property
    def written_rules(self) -> tuple[Rule, ...]:
        """The rules as the rulebooks write them, one per id (`or` included)."""
        return tuple(r for rb in self.rulebooks for r in rb.rules)

    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        """The rules evaluated: a rule written with `or` stands for one rule per branch (syntax.branches)."""
        return tuple(plain for r in self.written_rules for plain in expand_rule(r))

    @property
    def facts(self) -> tuple[Fact, ...]:
        """The facts the rulebooks state (`fact`, `table`), dependencies first."""
        return tuple(f for rb in self.rulebooks for f in rb.facts)

    @property
    def examples(self) -> tuple[Example, ...]:
        return self.root.examples

    def declaration(self, name: str) -> Declaration | None:
        """The first declaration of `name` (duplicates are a checker error)."""
        return next((d for d in self.declarations if d.name == name), None)

    def constant(self, name: str) -> Constant | None:
        return next((c for c in self.constants if c.name == name), None)

    @property
    def sha256(self) -> str:
        """Hash of every file's hash, in dependency order: the identity of the rules applied."""
        h = hashlib.sha256()
        for rb in self.rulebooks:
            h.update(f"{rb.id}:{rb.sha256}\n".encode())
        return h.hexdigest()


def load_program(path: str | Path, sources: SourceMap | None = None,
                 read: Callable[[Path], str] | None = None) -> tuple[Program | None, list[Diagnostic], SourceMap]:
    """Parse `path` and every file it uses. Returns the program (None on failure), diagnostics and sources.
    `read` gives a file's text (default: from disk; the language server passes the editor's unsaved text)."""
    from .parser import parse_text  # here: a Program read back from the cache needs no parser

    read = read or (lambda file: file.read_text(encoding="utf-8"))
    sources = sources if sources is not None else SourceMap()
    diags: list[Diagnostic] = []
    order: list[Rulebook] = []
    seen: set[Path] = set()

    def visit(file: Path, shown: str, use_span=None) -> None:
        key = file.resolve()
        if key in seen:
            return
        seen.add(key)
        try:
            source = SourceFile(shown, read(file))
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as exc:
            reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "no such file"
            diags.append(error("E010", f"cannot read rulebook {shown}: {reason}", use_span,
                               "check the path; `use` paths are relative to the file that uses them"))
            return
        sources.add(source)
        try:
            rb = parse_text(source)
        except WarrantError as exc:
            diags.extend(exc.diagnostics)
            return
        for use in rb.uses:
            target = file.parent / use.path
            visit(target, _shown(Path(shown).parent / use.path), use.span)
        order.append(rb)

    visit(Path(path), str(path))
    if diags or not order:
        return None, diags, sources
    return Program(order[-1], tuple(order)), diags, sources


def _shown(p: Path) -> str:
    text = str(p)
    return text[2:] if text.startswith("./") else text
