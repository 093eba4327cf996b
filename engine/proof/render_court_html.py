"""The court view as one self-contained HTML page: the conclusion, the graph in parts (inline SVG from
`dot`, left out when Graphviz is missing), the numbered steps and the table of exhibits. Every
value is escaped; the page has no script and links only to its own anchors."""

from __future__ import annotations

import re

from .court import CourtView
from .escape import html
from .render_court_text import step_blocks

_CSS = ("body{font-family:Georgia,serif;max-width:60em;margin:2em auto;line-height:1.45;color:#222}"
        "h1{font-size:1.5em}.lead{font-weight:bold}ol.steps>li{margin-bottom:1.2em}.alt{margin-left:1.5em}"
        "table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:.3em;vertical-align:top}"
        ".hash{font-family:monospace;font-size:.8em;word-break:break-all}"
        ".graph{margin:1em 0;border-top:1px solid #ddd}.graph svg{max-width:100%;height:auto}")


def _whole(text: str, names) -> str:
    """Escaped text in which no name breaks across lines (its spaces are &nbsp;)."""
    out = html(text)
    for name in map(html, names):
        out = out.replace(name, name.replace(" ", "&nbsp;"))
    return out


def _refs(text: str, names) -> str:
    """Escaped text with 'exhibit N' linked to the exhibit's row and 'see 3, 4 below' to the steps."""
    out = re.sub(r"exhibits? ([\d, ]+)", lambda m: re.sub(r"(\d+)", r'<a href="#e\1">\1</a>', m[0]),
                 _whole(text, names))
    return re.sub(r"see [\d, ]+(?: above| below)(?: and [\d, ]+ below)?",
                  lambda m: re.sub(r"(\d+)", r'<a href="#s\1">\1</a>', m[0]), out)


def graph_svgs(view: CourtView) -> list[str]:
    """The court graph as inline SVG, one per part (court_pages), without XML prologues; [] when `dot`
    cannot draw it."""
    from .render_court_dot import court_pages, render_court_dot
    from .render_dot import RenderError, render_image
    parts = court_pages(view)
    try:
        svgs = [render_image(render_court_dot(view, part, f"part {i + 1} of {len(parts)}", links=True), "svg").decode()
                for i, part in enumerate(parts)]
    except RenderError:
        return []
    return [svg[svg.index("<svg"):] for svg in svgs]


def render_court_html(view: CourtView, graph: bool = True) -> str:
    """The court view as an HTML page (see the module)."""
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html(view.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{_whole(view.title, view.names)}</h1>"]
    if view.withheld:
        out.append(f'<p class="lead">{_whole(view.withheld, view.names)}</p>')
    out.append(f'<p class="lead">{_whole(view.conclusion, view.names)}</p>')
    svgs = graph_svgs(view) if graph else []
    if svgs:
        out.append("<h2>The proof in a figure</h2>")
        out += [f'<div class="graph" id="part{i + 1}">{svg}</div>' for i, svg in enumerate(svgs)]
    out += ["<h2>The reasoning, step by step</h2>", '<ol class="steps">']
    for step in view.steps:
        out.append(f'<li id="s{step.number}"><p class="lead">{_whole(step.statement, view.names)}'
                   + (" (the conclusion)" if step.conclusion else "") + "</p>")
        blocks = step_blocks(step)
        if len(blocks) > 1:
            out.append(f"<p>It holds on either of {len(blocks)} grounds, each sufficient on its own:</p>")
        for label, lines in blocks:
            out.append(f'<div class="{"alt" if label else "ground"}">')
            items = [text for depth, text in lines if depth]
            head = [text for depth, text in lines if not depth]
            out += [f"<p>{f'<strong>{html(label)}</strong> ' if label and i == 0 else ''}{_refs(t, view.names)}</p>"
                    for i, t in enumerate(head)]
            if items:
                out.append("<ul>" + "".join(f"<li>{_refs(t, view.names)}</li>" for t in items) + "</ul>")
            out.append("</div>")
        out.append("</li>")
    out += ["</ol>", "<h2>Exhibits</h2>", "<table>",
            "<tr><th>No.</th><th>Record</th><th>Source</th><th>Grade</th><th>Document</th><th>Dates</th>"
            "<th>Hash</th></tr>"]
    out += [f'<tr id="e{e.number}"><td>{e.number}</td><td>{_whole(e.statement, view.names)}</td>'
            f'<td>{html(e.source)}</td><td>{html(e.grade)}</td><td>{html(e.document)}</td><td>{html(e.dates)}</td>'
            f'<td class="hash">{html(e.record)}</td></tr>' for e in view.exhibits]
    out += ["</table>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
