"""Comments, which the parser ignores: found in the text and woven back into laid-out lines.

A comment keeps its order among the tokens. One that ends a source line after a token stays at the end
of the output line holding that token; any other goes on a line of its own above the output line that
holds the next token (at that line's indentation). Between items, blank lines around comments are kept
(at most one), and items are separated by one blank line, or none between declarations, thresholds,
constants or uses that the source wrote without one."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from .layout import BLANK_LINE, Block, Line

_APART = ("header", "rule", "example", "table")  # items always followed by a blank line
_STRING_OR_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')  # STRING and COMMENT of the grammar
_TRAILING_GAP = re.compile(r"[ \t,.:()]*(?:(?:and|if)[ \t,.:()]*)?")  # what may come between a line and its comment


@dataclass(frozen=True)
class Comment:
    start: int  # source offset of the `#`
    text: str  # without trailing whitespace


def find_comments(text: str) -> list[Comment]:
    """The comments of a rulebook's text, in order (for a text that parses: a `#` starts a comment unless
    it is inside a string, and no other token holds a `"` or a `#`)."""
    return [Comment(m.start(), m.group().rstrip()) for m in _STRING_OR_COMMENT.finditer(text)
            if m.group().startswith("#")]


class _Weaver:
    def __init__(self, source: str, comments: list[Comment]):
        self.source, self.pending, self.out = source, list(reversed(comments)), []
        self.last_end = 0  # source offset where the last written chunk ended

    def before(self, offset: int) -> list[Comment]:
        taken = []
        while self.pending and self.pending[-1].start < offset:
            taken.append(self.pending.pop())
        return taken

    def chunk(self, start: int, end: int, lines: list[str], blank: bool) -> None:
        if self.out and (blank or BLANK_LINE.search(self.source, self.last_end, max(start, self.last_end))):
            self.out.append("")
        self.out += lines
        self.last_end = max(end, self.last_end)

    def trailing(self, line: Line) -> str:
        nxt = self.pending[-1] if self.pending else None
        if nxt is None or nxt.start < line.end or not _TRAILING_GAP.fullmatch(self.source, line.end, nxt.start):
            return line.text
        self.pending.pop()
        return f"{line.text}  {nxt.text}"

    def block_lines(self, block: Block) -> list[str]:
        out = []
        for line in block.lines:
            indent = line.text[: len(line.text) - len(line.text.lstrip())]
            out += [indent + c.text for c in self.before(line.end)]
            out.append(self.trailing(line))
        return out


def weave(source: str, blocks: list[Block], comments: list[Comment]) -> str:
    """The blocks' lines with the comments put back, as the text of a file."""
    w = _Weaver(source, comments)
    previous = None
    for block in blocks:
        forced = previous is not None and (previous.kind != block.kind or previous.kind in _APART)
        for c in w.before(block.start):
            w.chunk(c.start, c.start + len(c.text), [c.text], forced)
            forced = False
        w.chunk(block.start, block.end, w.block_lines(block), forced)
        previous = block
    for c in w.before(len(source) + 1):
        w.chunk(c.start, c.start + len(c.text), [c.text], False)
    return "\n".join(w.out) + "\n"


def has_comment_between(comments: list[Comment]):
    """A function telling whether a comment starts between two source offsets."""
    starts = [c.start for c in comments]
    return lambda lo, hi: bisect.bisect_left(starts, lo) < bisect.bisect_left(starts, hi)
