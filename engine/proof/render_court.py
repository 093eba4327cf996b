"""The court view in any output format: picks the court renderer for a format (see court.py)."""

from __future__ import annotations

from .court import court_view
from .model import Proof
from .terms import ProofError


def render_court(proof: Proof, fmt: str, names: dict[str, str] | None = None) -> str | bytes:
    """The court view of `proof` as text, md, html, dot, svg, png or pdf (the court exhibit); ProofError
    for json (the proof as data is the analyst's) or for anything but a proof."""
    if not isinstance(proof, Proof):
        raise ProofError("the court view is of a proof (warrant why); a why-not has the analyst view only")
    view = court_view(proof, names)
    if fmt == "text":
        from .render_court_text import render_court_text
        return render_court_text(view)
    if fmt == "md":
        from .render_court_text import render_court_markdown
        return render_court_markdown(view)
    if fmt == "html":
        from .render_court_html import render_court_html
        return render_court_html(view)
    if fmt == "pdf":
        from .court_pdf import court_pdf
        return court_pdf(view)
    if fmt in ("dot", "svg", "png"):
        from .render_court_dot import render_court_dot
        from .render_dot import render_image
        source = render_court_dot(view)
        if fmt == "dot":
            return source
        data = render_image(source, fmt)
        return data.decode("utf-8") if fmt == "svg" else data
    raise ProofError(f"the court view has no {fmt} form: the proof as data (json) carries the analyst view")
