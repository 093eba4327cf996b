"""Proofs as Graphviz graphs: one style per node kind, citations on rule nodes, grades on evidence.

`render_dot` gives the DOT source (built with the `graphviz` package, HTML-like labels with every
value escaped and invisible characters shown as escapes, see escape.py); `render_image` runs the real
`dot` to make svg, pdf or png.
"""

from __future__ import annotations

import textwrap

import graphviz

from .escape import dot_string, html, visible
from .model import Proof
from .redact import contribution_value, total_text, withheld_banner
from .terms import ProofError, value_text

STYLES = {
    "conclusion": dict(shape="box", style="rounded,filled,bold", fillcolor="#9fc5e8", color="#1c4587", penwidth="2"),
    "fact": dict(shape="box", style="rounded,filled", fillcolor="#cfe2f3", color="#3d85c6"),
    "derivation": dict(shape="box", style="filled", fillcolor="#fff2cc", color="#bf9000"),
    "evidence": dict(shape="note", style="filled", fillcolor="#d9ead3", color="#38761d"),
    "absence": dict(shape="box", style="dashed,rounded", color="#666666", fontcolor="#444444"),
    "aggregate": dict(shape="hexagon", style="filled", fillcolor="#ead1dc", color="#741b47"),
    "comparison": dict(shape="ellipse", style="filled", fillcolor="#eeeeee", color="#666666"),
    "omitted": dict(shape="box", style="dotted", color="#999999", fontcolor="#666666"),
    "withheld": dict(shape="note", style="filled,dashed", fillcolor="#444444", color="#000000", fontcolor="#ffffff"),
}
LEGEND = [
    ("conclusion", "conclusion (the fact asked about)"),
    ("fact", "fact it rests on"),
    ("derivation", "rule application (rule, citation, reason)"),
    ("evidence", "evidence record (grade = reliability + credibility)"),
    ("absence", "absence (negated condition)"),
    ("aggregate", "aggregate (sum, count, ...)"),
    ("comparison", "comparison"),
    ("omitted", "omitted by a limit"),
]
WITHHELD_LEGEND = ("withheld", "withheld from you (marking, commitment)")


def _lines(*rows: tuple[str, str]) -> str:
    """An HTML-like label: rows of (style, text); text is escaped and wrapped."""
    out = []
    for style, text in rows:
        for part in textwrap.wrap(visible(text), 44, break_long_words=False, break_on_hyphens=False) or [""]:
            piece = html(part)
            if style == "b":
                piece = f"<B>{piece}</B>"
            elif style == "i":
                piece = f"<I>{piece}</I>"
            elif style == "s":
                piece = f'<FONT POINT-SIZE="9">{piece}</FONT>'
            elif style == "big":
                piece = f'<FONT POINT-SIZE="16"><B>{piece}</B></FONT>'
            out.append(piece)
    return "<" + "<BR/>".join(out) + ">"


def _label(proof: Proof, nid: str) -> tuple[str, str, str]:
    """(style key, label, tooltip) of one node."""
    n = proof.nodes[nid]
    if n.kind == "fact":
        key = "conclusion" if nid == proof.root else "fact"
        rnd = f"round {n.round}" if n.round is not None else ""
        return key, _lines(("b", n.text), ("s", f"{n.role}, {rnd}")), dot_string(n.text)
    if n.kind == "derivation":
        law = [("s", n.law_text())] if n.law_text() else []
        law += [("s", n.branch_text())] if n.branch else []
        return "derivation", _lines(("b", f"{n.rule}: {n.title}"), ("i", f"cites {n.citation}"), *law,
                                    ("", n.explanation)), dot_string(f"{n.rule} ({n.rulebook} {n.version})")
    if n.kind == "rulebook_fact":
        return "derivation", _lines(("b", "stated by the rulebook"), ("i", f"cites {n.citation}"),
                                    ("s", f"{n.rulebook} {n.version}")), dot_string(f"{n.rulebook} {n.version}")
    if n.kind == "evidence":
        src = n.source_name or n.source or "unknown source"
        rows = [("big", n.grade) if n.grade else ("i", "not graded"), ("b", n.text), ("", f"{src}" + (f" ({n.source_kind})" if n.source_kind else ""))]
        if n.observed:
            rows.append(("s", f"observed {n.observed}"))
        rows.append(("s", f"record {n.record or '(no hash)'}"))
        return "evidence", _lines(*rows), dot_string(n.record or n.text)
    if n.kind == "no_match":
        return "absence", _lines(("b", f"not ({n.conditions})"), ("s", n.statement)), dot_string(n.statement)
    if n.kind == "absence":
        return "absence", _lines(("b", f"not {n.text}"), ("s", n.statement)), dot_string(n.statement)
    if n.kind == "aggregate":
        rows = [("b", f"{n.var} = {total_text(n)} ({n.function}{' distinct' if n.distinct else ''})"),
                ("s", n.expression)]
        if n.compared:
            verdict = "holds" if n.compared.holds else "fails"
            rows.append(("", f"{total_text(n)} {n.compared.op} {value_text(n.compared.value)} "
                             f"({n.compared.against}): {verdict}"))
        return "aggregate", _lines(*rows), dot_string(n.expression)
    if n.kind in ("comparison", "membership"):
        return "comparison", _lines(("", n.text), ("s", "holds" if n.holds else "fails")), dot_string(n.text)
    if n.kind == "withheld":
        return "withheld", _lines(("b", "withheld"), ("", n.statement), ("s", n.commitment)), dot_string(n.commitment)
    return "omitted", _lines(("i", n.message)), dot_string(n.message)


def _legend(g: graphviz.Digraph, withheld: bool) -> None:
    with g.subgraph(name="cluster_legend") as lg:
        lg.attr(label="Legend", fontsize="12", style="rounded", color="#999999")
        prev = None
        for key, text in LEGEND + ([WITHHELD_LEGEND] if withheld else []):
            name = f"legend_{key}"
            lg.node(name, _lines(("", text)), **STYLES[key])
            if prev:
                lg.edge(prev, name, style="invis")
            prev = name


def _title(proof: Proof) -> str:
    """The graph's title; first, on a line of its own, that the conclusion rests on withheld evidence."""
    title = dot_string(f"Why {proof.atom} holds: run {proof.run.run_id}, {proof.run.clocks_text()}, "
                       f"rules {proof.run.rulebook} {proof.run.version}")
    banner = withheld_banner(proof)
    return graphviz.nohtml(f"{dot_string(banner)}\\n{title}") if banner else title


def render_dot(proof: Proof, rankdir: str = "LR", legend: bool = True) -> str:
    ids = {nid: f"n{i}" for i, nid in enumerate(proof.nodes)}
    big = len(proof.nodes) > 60
    g = graphviz.Digraph("proof", graph_attr={
        "rankdir": rankdir, "label": _title(proof),
        "labelloc": "t", "fontname": "Helvetica", "fontsize": "14",
        "nodesep": "0.12" if big else "0.25", "ranksep": "0.35" if big else "0.5",
        "newrank": "true", "outputorder": "edgesfirst",
    }, node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.08,0.04"},
        edge_attr={"color": "#777777", "arrowsize": "0.6", "fontname": "Helvetica", "fontsize": "9"})
    if legend:
        _legend(g, any(n.kind == "withheld" for n in proof.nodes.values()))
    for nid in proof.nodes:
        key, label, tip = _label(proof, nid)
        g.node(ids[nid], label, tooltip=tip, id=nid, **STYLES[key])
    for nid, n in proof.nodes.items():
        if n.kind == "aggregate":
            for c in n.contributions:
                for k in c.nodes:
                    g.edge(ids[nid], ids[k], label=dot_string(html(contribution_value(c))), fontcolor="#741b47")
        else:
            for k in proof.children(nid):
                g.edge(ids[nid], ids[k])
    return g.source


class RenderError(ProofError):
    """The `dot` program could not draw a graph (missing, or it refused the source)."""


def render_image(dot_source: str, fmt: str) -> bytes:
    """svg, pdf or png from DOT source by the `dot` program; RenderError (with dot's own message) if it fails."""
    if fmt not in ("svg", "pdf", "png"):
        raise ValueError(f"unknown image format {fmt}")
    source = graphviz.Source(dot_source, engine="dot")
    if fmt == "png":
        source = graphviz.Source(dot_source.replace("digraph proof {", "digraph proof {\n\tgraph [dpi=96]", 1),
                                 engine="dot")
    try:
        return source.pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise RenderError("cannot draw the graph: Graphviz `dot` is not installed (apt-get install graphviz), "
                          "or ask for --format dot") from None
    except graphviz.CalledProcessError as exc:
        said = (exc.stderr or b"").decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"Graphviz `dot` could not draw the graph ({fmt}): "
                          f"{visible(said[0]) if said else f'exit status {exc.returncode}'}") from None
