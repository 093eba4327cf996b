"""The court exhibit: the court view of a proof as a paginated PDF a judge can cite.

Page 1 states the conclusion in one sentence and how to read the rest; then the figure, one landscape
page per part (court_pages), each drawn by the real Graphviz `dot` as vector PDF and placed on the page
scaled to fit; then the reasoning step by step; then the numbered table of exhibits (record, source,
grade, document, dates and full hash), so "exhibit 7" means one record. Every page says "page N of M".

The document is assembled with fpdf2 (pure Python) and the figure pages merged with pypdf (pure Python);
text is set in DejaVu Sans when fontconfig finds it (any name, any script), else in the PDF core
Helvetica with characters outside Latin-1 written as escapes.
"""

from __future__ import annotations

import io
import shutil
import subprocess

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter, Transformation

from .court import CourtView, keep_together
from .render_court_dot import court_pages, render_court_dot
from .render_court_text import step_blocks
from .render_dot import render_image

A4_LANDSCAPE = (841.89, 595.28)
MARGIN, HEAD, FOOT = 36.0, 64.0, 36.0


def _font_file(style: str = "") -> str | None:
    """The DejaVu Sans file fontconfig finds (bold with style 'B'), or None."""
    if not shutil.which("fc-match"):
        return None
    pattern = "DejaVu Sans:bold" if style == "B" else "DejaVu Sans"
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}", pattern], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    path = out.stdout.strip()
    return path if path.endswith(".ttf") and "DejaVu" in path else None


class _Doc(FPDF):
    def __init__(self, names=()):
        super().__init__(unit="pt", format="A4")
        self.names = names
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, FOOT + 12)
        regular, bold = _font_file(), _font_file("B")
        self.unicode = bool(regular and bold)
        if self.unicode:
            self.add_font("body", "", regular)
            self.add_font("body", "B", bold)
        self.family = "body" if self.unicode else "helvetica"

    def text_of(self, text: str) -> str:
        """`text` with invisible characters shown, names kept on one line (non-breaking spaces), and in
        Latin-1 when only the core font is at hand."""
        text = keep_together(text, self.names)
        if self.unicode:
            return text
        return text.encode("latin-1", "backslashreplace").decode("latin-1")

    def use(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def para(self, text: str, size: float = 10, bold: bool = False, indent: float = 0, after: float = 3) -> None:
        self.use(size, bold)
        self.set_x(self.l_margin + indent)
        self.multi_cell(self.epw - indent, size * 1.35, self.text_of(text), align="L", new_x="LMARGIN",
                        new_y="NEXT")
        self.ln(after)

    def footer(self) -> None:
        self.set_y(-FOOT)
        self.use(8)
        self.cell(0, 10, f"page {self.page_no()} of {{nb}}", align="C")


def _figure_pdfs(view: CourtView) -> list[bytes]:
    parts = court_pages(view)
    return [render_image(render_court_dot(view, part, title=f"{view.title}: part {i + 1} of {len(parts)}"), "pdf")
            for i, part in enumerate(parts)]


def _narrative(doc: _Doc, view: CourtView) -> None:
    doc.add_page(orientation="P")
    doc.para("The reasoning, step by step", 14, bold=True, after=6)
    for step in view.steps:
        doc.para(f"{step.number}. {step.statement}" + (" (the conclusion)" if step.conclusion else ""), 10.5,
                 bold=True, after=2)
        blocks = step_blocks(step)
        if len(blocks) > 1:
            doc.para(f"It holds on either of {len(blocks)} grounds, each sufficient on its own:", indent=14)
        for label, lines in blocks:
            for j, (depth, text) in enumerate(lines):
                lead = f"{label} " if label and j == 0 else ("- " if depth else "")
                doc.para(lead + text, 9.5, indent=14 + (14 if label else 0) + 12 * depth, after=1)
        doc.ln(6)


def _exhibits(doc: _Doc, view: CourtView) -> None:
    doc.add_page(orientation="P")
    doc.para("Exhibits", 14, bold=True, after=2)
    doc.para("Each record the proof relies on, numbered in the order the reasoning first uses it. The hash "
             "identifies the record: the same hash names it in the case file and in the evidence.json of a "
             "bundle exported for this conclusion (warrant export).", 9, after=6)
    doc.use(8)
    with doc.table(col_widths=(6, 30, 22, 16, 14, 22), text_align="LEFT", line_height=10,
                   first_row_as_headings=True) as table:
        table.row([doc.text_of(h) for h in ("No.", "Record", "Source", "Grade", "Document", "Dates")])
        for e in view.exhibits:
            table.row([doc.text_of(str(v)) for v in (e.number, e.statement, e.source, e.grade, e.document or "-",
                                                     e.dates or "-")])
            row = table.row()
            row.cell("")
            row.cell(doc.text_of(f"hash {e.record}"), colspan=5)


def court_pdf(view: CourtView) -> bytes:
    """The court exhibit of a court view (see the module); RenderError when `dot` cannot draw the figure."""
    figures = _figure_pdfs(view)
    doc = _Doc(view.names)
    doc.alias_nb_pages()
    doc.add_page(orientation="P")
    doc.para(view.title, 16, bold=True, after=8)
    if view.withheld:
        doc.para(view.withheld, 11, bold=True, after=8)
    doc.para(view.conclusion, 12, after=10)
    pages = "page 2" if len(figures) == 1 else f"pages 2 to {1 + len(figures)}"
    doc.para(f"How to read this document. The figure ({pages}) draws the proof as a tree, "
             "the conclusion first; a box is one step, a note is an exhibit (a record of evidence) or a "
             "reference to a step drawn elsewhere. Then each step is explained in words with the law it "
             "applies; where a step holds on several grounds they read 'either ... or ...', each sufficient "
             "on its own. The last pages list the exhibits by number.", 10)
    first_figure = doc.page_no() + 1
    for i in range(len(figures)):
        doc.add_page(orientation="L")
        doc.para(f"Figure, part {i + 1} of {len(figures)}", 12, bold=True)
    _narrative(doc, view)
    _exhibits(doc, view)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(doc.output()))))
    for i, figure in enumerate(figures):
        _place(writer.pages[first_figure - 1 + i], PdfReader(io.BytesIO(figure)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _place(page, figure) -> None:
    """Draw `figure` on `page`, scaled down (never up) to fit below the heading and above the footer."""
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    fw, fh = float(figure.mediabox.width), float(figure.mediabox.height)
    box_w, box_h = width - 2 * MARGIN, height - HEAD - FOOT - 12
    scale = min(1.0, box_w / fw, box_h / fh)
    x = MARGIN + (box_w - fw * scale) / 2
    y = FOOT + 12 + (box_h - fh * scale)
    page.merge_transformed_page(figure, Transformation().scale(scale).translate(x, y))
