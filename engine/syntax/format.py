"""`warrant fmt`: the canonical layout of a rulebook, the inverse of the parser.

The formatted text is checked before anyone sees it: it must parse to the same rulebook (the AST,
spans aside) and hold the same comments in the same order. Otherwise the formatter refuses (FormatError)
and the file is left as it was."""

from __future__ import annotations

import dataclasses
import difflib
import os
import tempfile
from pathlib import Path

from ..diagnostics import WarrantError, error
from ..source import SourceFile
from . import ast
from .comments import find_comments, has_comment_between, weave
from .layout import LayoutError
from .layout_items import blocks
from .parser import parse_text, parse_tree


class FormatError(Exception):
    """The formatter cannot lay out a file faithfully: an internal error; nothing is written."""


def format_text(source: SourceFile) -> str:
    """The canonical layout of a rulebook's text. WarrantError (located diagnostics) when it does not
    parse; FormatError when the formatter cannot reproduce it faithfully."""
    tree, original = parse_tree(source)
    comments = find_comments(source.text)
    try:
        text = weave(source.text, blocks(tree, source.text, has_comment_between(comments)), comments)
    except LayoutError as exc:
        raise FormatError(f"{source.path}: {exc}; the file is left unchanged") from None
    except Exception as exc:  # a parse tree of a shape this formatter does not expect: never a traceback
        raise _internal(source, f"{type(exc).__name__}: {exc}") from None
    _verify(source, original, comments, text)
    return text


def _verify(source: SourceFile, original: ast.Rulebook, comments, text: str) -> None:
    """FormatError unless `text` parses to the same rulebook with the same comments."""
    problem = None
    try:
        again = parse_text(SourceFile(source.path, text))
    except WarrantError as exc:
        problem = f"the formatted text does not parse ({exc.diagnostics[0].message})"
    else:
        if not same_rulebook(original, again):
            problem = "the formatted text would not mean the same"
        elif [c.text for c in find_comments(text)] != [c.text for c in comments]:
            problem = "the formatted text would not keep every comment in its place"
    if problem:
        raise _internal(source, problem)


def _internal(source: SourceFile, problem: str) -> FormatError:
    return FormatError(f"{source.path}: internal error: {problem}; the file is left unchanged "
                       "(please report this with the file)")


def same_rulebook(a: ast.Rulebook, b: ast.Rulebook) -> bool:
    """Whether two parses are the same rulebook, wherever and however it is written (spans and the
    text's hash aside)."""
    return dataclasses.replace(a, sha256="", path="") == dataclasses.replace(b, sha256="", path="")


@dataclasses.dataclass(frozen=True)
class Formatted:
    """A file as it is and as `warrant fmt` lays it out."""

    path: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        """A unified diff from the file to its formatted text ('' when unchanged)."""
        return "".join(difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
            fromfile=self.path, tofile=f"{self.path} (formatted)"))

    def write(self) -> None:
        """Replace the file with its formatted text in one step (a crash leaves the old file)."""
        path = Path(self.path)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".fmt")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(self.after)
            os.chmod(tmp, path.stat().st_mode & 0o7777)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def format_file(path: str) -> Formatted:
    """A rulebook file and its formatted text (nothing is written). WarrantError when it cannot be read
    or does not parse, FormatError when the formatter cannot reproduce it faithfully."""
    try:
        with open(path, encoding="utf-8", newline="") as f:  # as stored: line ends untranslated
            before = f.read()
    except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as exc:
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else "no such file"
        raise WarrantError(error("E010", f"cannot read rulebook {path}: {reason}", None, "check the path")) from None
    return Formatted(path, before, format_text(SourceFile(path, before.replace("\r\n", "\n"))))
