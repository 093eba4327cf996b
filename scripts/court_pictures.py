"""Pictures of the court exhibit for docs/reviewer-guide.md, made from the demo case (not by hand).

    .venv/bin/python scripts/court_pictures.py [out/demo/case.db]

Writes docs/images/court-exhibit-page1.png (the conclusion), -figure.png (the first part of the figure)
and -exhibits.png (the exhibit table) of needs_review("tx:2024-005", "co:gulfstar-ship-management"),
rasterised with pypdfium2. Build the demo case first with bash scripts/demo.sh."""

import sys
from pathlib import Path

import pypdfium2 as pdfium

from engine import api

ROOT = Path(__file__).resolve().parents[1]
ATOM = 'needs_review("tx:2024-005", "co:gulfstar-ship-management")'


def main(db: str) -> None:
    with api.Case.open(db) as case:
        run = [r["id"] for r in case.runs() if r["rulebook"] == "screening"][-1]
        pdf = case.court(case.why(ATOM, run), "pdf")
    doc = pdfium.PdfDocument(pdf)
    texts = [page.get_textpage().get_text_range() for page in doc]
    picks = {"page1": 0, "figure": 1, "exhibits": next(i for i, t in enumerate(texts) if t.startswith("Exhibits"))}
    for name, index in picks.items():
        target = ROOT / "docs" / "images" / f"court-exhibit-{name}.png"
        doc[index].render(scale=1.5).to_pil().save(target)
        print(f"wrote {target.relative_to(ROOT)} ({len(doc)} pages in all)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "out" / "demo" / "case.db"))
