"""The court view as plain text or Markdown: numbered steps, "either ... or ..." for alternative grounds,
references to steps explained elsewhere, and the numbered exhibits. Lines wrap at spaces only, so no
name or id is ever broken; every stored string is escaped for its format."""

from __future__ import annotations

import textwrap

from .court import NBSP, CourtView, Ground, Item, Step, keep_together, where
from .escape import markdown

WIDTH = 100


def wrap_names(text: str, indent: str, width: int = WIDTH, first: str | None = None, names=()) -> list[str]:
    """`text`, its invisible characters shown, wrapped at spaces with `indent` on every line: never inside
    a word or an id, nor between the words of one of `names`."""
    lines = textwrap.wrap(keep_together(text, names), width, initial_indent=indent if first is None else first,
                          subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)
    return [line.replace(NBSP, " ") for line in lines] or [indent.rstrip()]


def item_text(item: Item, here: int) -> str:
    """One item in words, with where it is shown: 'blocked: X (see 3 below)', '... (exhibits 4, 5)'."""
    refs = []
    if item.steps:
        refs.append(where(item.steps, here))
    if item.exhibits:
        refs.append(("exhibit " if len(item.exhibits) == 1 else "exhibits ") + ", ".join(map(str, item.exhibits)))
    text = item.text + ("" if item.met else " (not met)")
    return f"{text} ({'; '.join(refs)})" if refs else text


def ground_lines(g: Ground, here: int) -> list[tuple[int, str]]:
    """(depth, text) lines of one ground: the law it applies, its reason, what it rests on."""
    lines = []
    if g.law:
        lines.append((0, f"Under {g.law}:" if g.reason else f"{g.law[:1].upper()}{g.law[1:]}."))
    if g.reason:
        lines.append((0, g.reason + "."))
    if g.items:
        lines.append((0, "It rests on:"))
        lines += [(1, item_text(i, here)) for i in g.items]
    return lines


def step_blocks(step: Step) -> list[tuple[str, list[tuple[int, str]]]]:
    """(label, lines) per ground: one unlabelled block, or 'Either (a)', 'or (b)' ... for alternatives."""
    if len(step.grounds) == 1:
        return [("", ground_lines(step.grounds[0], step.number))]
    out = []
    for i, g in enumerate(step.grounds):
        label = f"{'Either' if i == 0 else 'or'} ({chr(97 + i % 26)})"
        out.append((label, ground_lines(g, step.number)))
    return out


def render_court_text(view: CourtView) -> str:
    """The court view as plain text (no colour, no jargon), wrapped at 100 columns at spaces only."""

    def wrap(text: str, indent: str, first: str | None = None) -> list[str]:
        return wrap_names(text, indent, first=first, names=view.names)

    out = [*wrap(view.title, ""), ""] + ([*wrap(view.withheld, ""), ""] if view.withheld else [])
    out += [*wrap(view.conclusion, ""), ""]
    for step in view.steps:
        lead = f"{step.number}. {step.statement}" + (" (the conclusion)" if step.conclusion else "")
        out += wrap(lead, "   ", first="")
        blocks = step_blocks(step)
        if len(blocks) > 1:
            out += wrap(f"It holds on either of {len(blocks)} grounds, each sufficient on its own:", "   ")
        for label, lines in blocks:
            pad = "   " + ("    " if label else "")
            for j, (depth, text) in enumerate(lines):
                indent = pad + "  " * depth
                first = f"   {label} " if label and j == 0 else indent + ("- " if depth else "")
                out += wrap(text, indent + ("  " if depth else ""), first=first)
        out.append("")
    out += ["Exhibits", ""]
    for e in view.exhibits:
        out += wrap(f"{e.number}. {e.statement}", "   ", first="")
        for label, value in (("source", e.source), ("grade", e.grade), ("document", e.document),
                             ("dates", e.dates), ("record", e.record)):
            if value:
                out += wrap(f"{label}: {value}", "      ", first="   ")
    return "\n".join(out).rstrip() + "\n"


def render_court_markdown(view: CourtView) -> str:
    """The court view as Markdown: the same words as the text, every value escaped."""
    out = [f"# {markdown(view.title)}", ""] + ([f"**{markdown(view.withheld)}**", ""] if view.withheld else [])
    out += [markdown(view.conclusion), ""]
    for step in view.steps:
        out.append(f"{step.number}. **{markdown(step.statement)}**" + (" (the conclusion)" if step.conclusion else ""))
        blocks = step_blocks(step)
        if len(blocks) > 1:
            out += ["", f"   It holds on either of {len(blocks)} grounds, each sufficient on its own:"]
        for label, lines in blocks:
            out.append("")
            for j, (depth, text) in enumerate(lines):
                lead = f"*{label}* " if label and j == 0 else ""
                out.append(("   - " if depth else "   ") + lead + markdown(text))
        out.append("")
    out += ["## Exhibits", "", "| No. | Record | Source | Grade | Document | Dates | Hash |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    out += [f"| {e.number} | {markdown(e.statement)} | {markdown(e.source)} | {markdown(e.grade)} | "
            f"{markdown(e.document)} | {markdown(e.dates)} | {markdown(e.record)} |" for e in view.exhibits]
    return "\n".join(out) + "\n"
