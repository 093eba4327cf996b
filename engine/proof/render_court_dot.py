"""The court view as Graphviz graphs, drawn as a tree that never tangles, and split into parts when large.

Each step is drawn once, where it is first needed; a later use is a small "see step N" note, so the
drawing is a tree and no two edges cross. A step's tests, absences and figures are lines of its own box
(not boxes of their own), and the reason in words is left to the narrative; alternative grounds are
boxes marked "either (a)", "or (b)". Exhibits are notes with their number, source and grade (two or more
under one ground: one note listing them). Lines wrap at spaces only: no name or id is broken.

`court_pages` cuts the tree into parts of a few boxes each: a subtree that does not fit goes to a later
part, and where it was cut a note says "step N: continued in part P".
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

import graphviz

from .court import NBSP, CourtView, Ground, Item, keep_together
from .escape import dot_string, html
from .render_court_text import item_text

WIDTH = 40
MANY_EXHIBITS = 1  # more exhibits under one ground are one note listing them
STYLE = dict(
    conclusion=dict(shape="box", style="rounded,filled,bold", fillcolor="#9fc5e8", color="#1c4587", penwidth="2"),
    step=dict(shape="box", style="rounded,filled", fillcolor="#eef4fb", color="#3d85c6"),
    ground=dict(shape="box", style="filled", fillcolor="#fff2cc", color="#bf9000"),
    exhibit=dict(shape="note", style="filled", fillcolor="#d9ead3", color="#38761d"),
    ref=dict(shape="box", style="dashed,rounded", color="#888888", fontcolor="#444444"),
)


def label(*rows: tuple[str, str], width: int = WIDTH, names=()) -> str:
    """An HTML-like label: (style, text) rows, escaped, wrapped at spaces only (never inside a word or an
    id, nor between the words of one of `names`)."""
    out = []
    for style, text in rows:
        for part in textwrap.wrap(keep_together(text, names), width, break_long_words=False,
                                  break_on_hyphens=False) or [""]:
            piece = html(part.replace(NBSP, " "))
            piece = {"b": f"<B>{piece}</B>", "i": f"<I>{piece}</I>",
                     "s": f'<FONT POINT-SIZE="9">{piece}</FONT>'}.get(style, piece)
            out.append(piece)
    return "<" + "<BR ALIGN=\"LEFT\"/>".join(out) + "<BR ALIGN=\"LEFT\"/>>"


@dataclass
class Box:
    """One box of the drawing: its name, style, label rows and children (edges, with an optional label)."""

    name: str
    style: str
    rows: list[tuple[str, str]]
    children: list[tuple["Box", str]] = field(default_factory=list)

    def size(self) -> int:
        return 1 + sum(child.size() for child, _ in self.children)


class _Tree:
    def __init__(self, view: CourtView):
        self.view = view
        self.drawn: set[str] = set()

    def step(self, number: int) -> Box:
        self.drawn.add(f"s{number}")
        st = self.view.step(number)
        rows = [("b", f"{number}. {st.statement}")]
        box = Box(f"s{number}", "conclusion" if st.conclusion else "step", rows)
        if len(st.grounds) == 1:
            rows += self.ground_rows(st.grounds[0], number)
            box.children += self.ground_children(st.grounds[0])
            return box
        rows.append(("i", f"holds on either of {len(st.grounds)} grounds"))
        for i, g in enumerate(st.grounds):
            tag = f"{'either' if i == 0 else 'or'} ({chr(97 + i % 26)})"
            ground = Box(f"s{number}g{i + 1}", "ground", [("i", tag)] + self.ground_rows(g, number))
            ground.children += self.ground_children(g)
            box.children.append((ground, tag))
        return box

    def ground_rows(self, g: Ground, here: int) -> list[tuple[str, str]]:
        rows = [("i", f"under {g.law}" if g.reason else g.law)] if g.law else []
        rows += [("s", "- " + item_text(Item(i.text, i.steps, (), i.met), here)) for i in g.items
                 if not (len(i.steps) == 1 and not i.exhibits and i.text == self.view.step(i.steps[0]).statement)
                 and not (i.exhibits and not i.steps)]
        return rows

    def ground_children(self, g: Ground) -> list[tuple[Box, str]]:
        out = []
        exhibits = dict.fromkeys(k for item in g.items for k in item.exhibits)
        steps = dict.fromkeys(n for item in g.items for n in item.steps)
        if len(exhibits) > MANY_EXHIBITS:
            out.append((self.exhibit_list(list(exhibits)), ""))
        else:
            out += [(self.exhibit(k), "") for k in exhibits]
        out += [(self.step(n) if f"s{n}" not in self.drawn else self.ref(n), "") for n in steps]
        return out

    def exhibit_list(self, numbers: list[int]) -> Box:
        """One note for many exhibits of one ground: a line each (the table gives the rest)."""
        self.drawn.update(f"e{k}" for k in numbers)
        rows = [("b", f"Exhibits {numbers[0]} to {numbers[-1]}" if numbers == list(range(numbers[0], numbers[-1] + 1))
                 else "Exhibits " + ", ".join(map(str, numbers)))]
        rows += [("s", f"{k}. {self.view.exhibits[k - 1].statement} ({self.view.exhibits[k - 1].grade.split(' ')[0]})")
                 for k in numbers]
        return Box(f"e{numbers[0]}l", "exhibit", rows)

    def exhibit(self, number: int) -> Box:
        name = f"e{number}"
        if name in self.drawn:
            return Box(f"{name}r{len(self.drawn)}", "ref", [("", f"exhibit {number}, shown above")])
        self.drawn.add(name)
        e = self.view.exhibits[number - 1]
        return Box(name, "exhibit", [("b", f"Exhibit {number}"), ("", e.statement), ("s", e.source),
                                     ("s", f"grade {e.grade}")])

    def ref(self, number: int) -> Box:
        self.drawn.add(f"r{len(self.drawn)}")
        return Box(f"s{number}r{len(self.drawn)}", "ref", [("", f"see step {number}")])


def court_tree(view: CourtView) -> Box:
    """The court view as one tree of boxes (every step drawn once, later uses as notes)."""
    return _Tree(view).step(1)


def court_pages(view: CourtView, limit: int = 6) -> list[list[Box]]:
    """The tree cut into parts, each a few subtrees with at most about `limit` boxes that have boxes below
    them, taken breadth first (childless boxes always stay with their parents, which keeps an exhibit
    beside its step). Each cut leaves a note 'step N: continued in part P', and a note 'see step N' names
    the part step N is drawn in when that is another part."""
    queue, parts, part_of, keep = [court_tree(view)], [], {}, set()
    while queue:
        roots, inner = [], 0
        while queue and (not roots or inner < limit):
            root = queue.pop(0)
            roots.append(root)
            part_of[id(root)] = len(parts) + 1
            keep.add(id(root))
            inner += 1
            level = [root]
            while level:
                nxt = []
                for box in level:
                    for child, _ in box.children:
                        if child.children and inner >= limit:
                            queue.append(child)
                            continue
                        inner += bool(child.children)
                        keep.add(id(child))
                        nxt.append(child)
                level = nxt
        parts.append(roots)

    def cut(box: Box) -> Box:
        kept = []
        for child, tag in box.children:
            if id(child) in keep and id(child) not in part_of:
                kept.append((cut(child), tag))
            else:
                kept.append((Box(f"{child.name}p", "ref", [("b", _continued(child, part_of[id(child)]))]), tag))
        return Box(box.name, box.style, box.rows, kept)

    return _name_parts([[cut(root) for root in roots] for roots in parts])


def _boxes(box: Box):
    yield box
    for child, _ in box.children:
        yield from _boxes(child)


def _name_parts(pages: list[list[Box]]) -> list[list[Box]]:
    part = {b.name: i + 1 for i, page in enumerate(pages) for root in page for b in _boxes(root) if b.style != "ref"}
    for i, page in enumerate(pages):
        for b in (b for root in page for b in _boxes(root)):
            if b.style == "ref" and b.rows[0][1].startswith("see step "):
                home = part.get(b.name.split("r", 1)[0])
                if home and home != i + 1:
                    b.rows[0] = (b.rows[0][0], f"{b.rows[0][1]} (part {home})")
    return pages


def _continued(box: Box, page: int) -> str:
    head = box.rows[0][1].split(".", 1)[0] if box.rows else box.name
    return f"step {head}: continued in part {page}" if head.isdigit() else f"continued in part {page}"


def render_court_dot(view: CourtView, page: list[Box] | None = None, title: str | None = None,
                     rankdir: str = "LR", size: str | None = None, links: bool = False) -> str:
    """DOT source of the court view (or of one part of it): a tree, left to right, one box per step; with
    `links`, a note about another part links to it (#partP, as the HTML page names its figures)."""
    g = graphviz.Digraph("court", graph_attr={
        "rankdir": rankdir, "label": dot_string(title or view.title), "labelloc": "t", "fontname": "Helvetica",
        "fontsize": "14", "nodesep": "0.2", "ranksep": "0.35", "ordering": "out",
        **({"size": size, "ratio": "compress"} if size else {}),
    }, node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.1,0.05"},
        edge_attr={"color": "#777777", "arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9", "dir": "back"})

    def draw(box: Box) -> None:
        part = re.search(r"(?:continued in|\(part) (\d+)", box.rows[0][1]) if links and box.style == "ref" else None
        g.node(box.name, label(*box.rows, names=view.names), **STYLE[box.style],
               **({"href": f"#part{part[1]}"} if part else {}))
        for child, tag in box.children:
            draw(child)
            g.edge(box.name, child.name, label=dot_string(tag) if tag else None)

    for root in page or [court_tree(view)]:
        draw(root)
    return g.source
