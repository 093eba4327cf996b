"""The analyst graph wraps labels at spaces only (issue 17: never break a name mid-word): an id longer
than a line stays whole on a line of its own, in the DOT source and in the drawn SVG."""

from __future__ import annotations

import html
import re

from engine import api
from engine.proof.render_dot import render_dot, render_image

from .hostile import make_case

LONG_ID = "co:gulfstar-ship-management-international-holdings-limited"


def _dot_lines(dot: str) -> list[str]:
    """The text of every line of every HTML-like label, tags removed."""
    labels = re.findall(r"label=<(.*?)>\s*(?:,|\]|\s\w+=)", dot, flags=re.S)
    return [re.sub(r"<[^>]*>", "", line) for label in labels for line in label.split("<BR/>")]


def _svg_lines(svg: str) -> list[str]:
    return [html.unescape(text) for text in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def _whole_wherever_it_appears(lines: list[str]) -> bool:
    """Each line holding the id's beginning or its end holds the whole id, and at least one line does."""
    touched = [line for line in lines if LONG_ID[:12] in line or LONG_ID[-12:] in line]
    return bool(touched) and all(LONG_ID in line for line in touched)


def test_a_long_id_stays_whole_in_dot_and_svg(tmp_path):
    db, _ = make_case(tmp_path, LONG_ID)
    with api.Case.open(db) as case:
        proof = case.why(f'blocked("{LONG_ID}")')
    dot = render_dot(proof)
    assert _whole_wherever_it_appears(_dot_lines(dot)), _dot_lines(dot)
    svg = render_image(dot, "svg").decode("utf-8")
    assert _whole_wherever_it_appears(_svg_lines(svg)), _svg_lines(svg)
