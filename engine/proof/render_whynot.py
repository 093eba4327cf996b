"""Why-not answers as text (indented), Markdown, self-contained HTML and DOT."""

from __future__ import annotations

import graphviz

from .escape import dot_string, html, markdown
from .render_dot import STYLES, _lines
from .render_text import Style, binding_text
from .terms import value_text
from .whynot_search import WhyNot


def _tree(w: WhyNot, seen: set | None = None):
    """(level, style, text) rows, depth first; a sub-goal explained already is referred to, not explained again."""
    seen = set() if seen is None else seen
    seen.add(w.atom)
    rows = [(0, "fact" if w.holds else "fail", w.message)]
    for n in w.notes:
        if n not in w.message:
            rows.append((1, "dim", n))
    for a in w.attempts:
        branch = f", branch {a.branch} ({a.alternative})" if a.branch else ""
        rows.append((1, "rule", f"rule {a.rule}{branch}: {a.title} (cites {a.citation})"))
        if a.satisfied:
            rows.append((2, "dim", "satisfied: " + "; ".join(a.satisfied)))
        for b in a.bindings:
            rows.append((2, "dim", f"with {binding_text(b)}"))
        if a.more_bindings:
            rows.append((2, "dim", f"… {a.more_bindings} more partial binding(s) not shown"))
        for f in a.failures:
            rows.append((2, "fail", f"fails at {f.literal or f.kind}: {f.message}"))
            for p in f.counted:
                rows.append((3, "aggregate", f"counted {binding_text(p.binding)}: {value_text(p.value)}"))
            for p in f.not_counted:
                rows.append((3, "absence", f"not counted {binding_text(p.binding)}: {value_text(p.value)} ({p.reason})"))
            for s in f.subgoals:
                if s.atom in seen:
                    rows.append((3, "dim", f"{s.atom}: explained above"))
                else:
                    rows += [(lvl + 3, st, t) for lvl, st, t in _tree(s, seen)]
    return rows


def render_whynot_text(w: WhyNot, color: bool = False) -> str:
    style = Style(color)
    out = [style("dim", f"Why not {w.atom}: run {w.run.run_id}, {w.run.clocks_text()} "
                        f"(rules {w.run.rulebook} {w.run.version})")]
    out += ["  " * lvl + style(st, t) for lvl, st, t in _tree(w)]
    return "\n".join(out) + "\n"


def render_whynot_markdown(w: WhyNot) -> str:
    out = [f"# Why not {markdown(w.atom)}", "",
           markdown(f"Run {w.run.run_id}, {w.run.clocks_text()}; rules {w.run.rulebook} "
                    f"version {w.run.version}."), ""]
    out += ["  " * (lvl - 1) + "- " + markdown(t) if lvl else f"**{markdown(t)}**\n" for lvl, _, t in _tree(w)]
    return "\n".join(out) + "\n"


def render_whynot_html(w: WhyNot) -> str:
    rows = _tree(w)
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>Why not {html(w.atom)}</title>",
           "<style>body{font-family:Georgia,serif;max-width:52em;margin:2em auto;line-height:1.45}"
           ".fail{color:#900}.dim{color:#555}</style>", "</head>", "<body>",
           f"<h1>Why not {html(w.atom)}</h1>",
           f"<p>Run {html(w.run.run_id)}, {html(w.run.clocks_text())}; rules "
           f"{html(w.run.rulebook)} version {html(w.run.version)}.</p>",
           f'<p class="{"dim" if w.holds else "fail"}"><strong>{html(rows[0][2])}</strong></p>']
    level = 0
    for lvl, st, t in rows[1:]:
        while level < lvl:
            out.append("<ul>")
            level += 1
        while level > lvl:
            out.append("</ul>")
            level -= 1
        out.append(f'<li class="{st}">{html(t)}</li>')
    out += ["</ul>" * level, "</body>", "</html>"]
    return "\n".join(x for x in out if x) + "\n"


def render_whynot_dot(w: WhyNot) -> str:
    label = dot_string(f"Why not {w.atom}: run {w.run.run_id}, {w.run.clocks_text()}")
    g = graphviz.Digraph("whynot", graph_attr={"rankdir": "LR", "label": label,
                                               "labelloc": "t", "fontname": "Helvetica"},
                         node_attr={"fontname": "Helvetica", "fontsize": "10"},
                         edge_attr={"color": "#777777", "arrowsize": "0.6"})
    counter = iter(range(1_000_000))

    def add(x: WhyNot) -> str:
        me = f"w{next(counter)}"
        g.node(me, _lines(("b", x.atom), ("s", "holds" if x.holds else "does not hold")),
               **STYLES["fact" if x.holds else "absence"])
        for a in x.attempts:
            r = f"w{next(counter)}"
            branch = [("s", f"branch {a.branch}: {a.alternative}")] if a.branch else []
            g.node(r, _lines(("b", f"{a.rule}: {a.title}"), ("i", f"cites {a.citation}"), *branch),
                   **STYLES["derivation"])
            g.edge(me, r)
            for f in a.failures:
                fn = f"w{next(counter)}"
                g.node(fn, _lines(("b", f"fails: {f.literal or f.kind}"), ("", f.message)),
                       shape="box", style="filled", fillcolor="#f4cccc", color="#990000")
                g.edge(r, fn)
                for s in f.subgoals:
                    g.edge(fn, add(s))
        return me

    add(w)
    return g.source
