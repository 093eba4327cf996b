"""Graphs for the pages, drawn by the real `dot` as SVG to inline in HTML: an entity's holdings in and out, and
a proof with what the browser needs to fold it and to show each node's rule or record."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import graphviz

from ..proof.escape import dot_string
from ..proof.model import Proof
from ..proof.render_dot import render_dot, render_image
from .entities import Edge

_PROLOG = re.compile(r"\A(?:\s*<\?xml[^>]*\?>)?(?:\s*<!DOCTYPE[^>]*>)?(?:\s*<!--.*?-->)*\s*", re.S)


def inline_svg(svg: str) -> str:
    """SVG from `dot` without its XML prolog, doctype and comments, to sit inside an HTML page."""
    return _PROLOG.sub("", svg, count=1)


def entity_link(entity: str) -> str:
    """The workbench page of an entity."""
    return "/entity?" + urlencode({"id": entity})


def holdings_dot(entity: str, edges: list[Edge]) -> str:
    """The holdings graph: `entity` in the middle, each neighbour a link to its own page."""
    g = graphviz.Digraph("holdings", graph_attr={"rankdir": "LR", "fontname": "Helvetica", "nodesep": "0.2"},
                         node_attr={"fontname": "Helvetica", "fontsize": "10", "shape": "box", "style": "rounded,filled",
                                    "fillcolor": "#eef3fb", "color": "#3d85c6"},
                         edge_attr={"fontname": "Helvetica", "fontsize": "9", "color": "#777777", "arrowsize": "0.6"})
    ids: dict[str, str] = {}

    def node(name: str) -> str:
        if name not in ids:
            ids[name] = f"e{len(ids)}"
            extra = {"fillcolor": "#9fc5e8", "penwidth": "2"} if name == entity else {}
            g.node(ids[name], dot_string(name), URL=dot_string(entity_link(name)), tooltip=dot_string(name),
                   target="_top", **extra)
        return ids[name]

    node(entity)
    for e in edges:
        g.edge(node(e.source), node(e.target), label=dot_string(e.label))
    return g.source


def holdings_svg(entity: str, edges: list[Edge]) -> str:
    return inline_svg(render_image(holdings_dot(entity, edges), "svg").decode("utf-8"))


def proof_svg(proof: Proof) -> str:
    """The proof graph (the renderer's DOT, without its legend) as inline SVG; each node's <g> has the proof
    node's id."""
    return inline_svg(render_image(render_dot(proof, legend=False), "svg").decode("utf-8"))


def proof_layout(proof: Proof) -> dict:
    """What the page's script needs to fold sub-proofs: the root, each node's children, and the DOT names
    (`n0`, `n1` ... as render_dot numbers them, which the SVG's edge titles use) of the proof's node ids."""
    return {"root": proof.root, "children": {nid: proof.children(nid) for nid in proof.nodes},
            "dot": {f"n{i}": nid for i, nid in enumerate(proof.nodes)}}
