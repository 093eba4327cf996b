"""The court exhibit (warrant why ... --format pdf --court) of the demo's largest proof, opened as a reader
would: pages of bounded size with the figure split into parts, names and ids whole in the text layer,
exhibits numbered 1..N against the proof's evidence records, every page rasterised to PNG."""

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import pytest

from engine.proof.names import proof_ids

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"
ATOM = 'needs_review("tx:2024-005", "co:gulfstar-ship-management")'

pytestmark = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` draws the figure")


@pytest.fixture(scope="module")
def exhibit(tmp_path_factory):
    pypdf = pytest.importorskip("pypdf")
    sys.path.insert(0, str(DEMO))
    spec = importlib.util.spec_from_file_location("run_demo", DEMO / "run_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    case = module.build(tmp_path_factory.mktemp("demo") / "case.db")
    module.run_all(case)
    runs = [r["id"] for r in case.runs() if r["rulebook"] == "screening"]
    proof = case.why(ATOM, runs[-1])
    pdf = case.court(proof, "pdf")
    names = case.names(proof_ids(proof))
    case.close()
    path = tmp_path_factory.mktemp("exhibit") / "court.pdf"
    path.write_bytes(pdf)
    yield proof, path, pypdf.PdfReader(path), names


def test_pages_are_a4_and_the_figure_is_split_into_parts(exhibit):
    proof, _, reader, names = exhibit
    assert len(proof.nodes) > 100
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in reader.pages}
    assert sizes <= {(595, 842), (842, 595)}
    figure = [p for p in reader.pages if "Figure, part" in p.extract_text()]
    assert len(figure) > 1
    assert all(f"part {i + 1} of {len(figure)}" in p.extract_text() for i, p in enumerate(figure))


def test_names_and_ids_are_whole_in_the_text_layer(exhibit):
    proof, _, reader, names = exhibit
    ids = {a for n in proof.nodes.values() for a in (getattr(n, "args", None) or []) if isinstance(a, str)
           and re.fullmatch(r"[a-z]+:[\w.-]+", a)}
    shown = {names.get(i, i) for i in ids}
    assert "Gulfstar Ship Management" in shown and any(" " not in s for s in shown)
    lines = [" ".join(ln.replace("\xa0", " ").split()) for p in reader.pages for ln in p.extract_text().splitlines()]
    text = "\n".join(lines)
    assert all(s in text for s in shown), sorted(s for s in shown if s not in text)
    for before, after in zip(lines, lines[1:]):
        for s in shown:
            broken = [k for k in range(2, len(s) - 1) if before.endswith(s[:k].rstrip()) and s[k - 1] in " -:"
                      and after.startswith(s[k:].lstrip())]
            assert not broken, f"{s} split across lines: {before!r} / {after!r}"


def test_exhibits_are_numbered_against_the_evidence(exhibit):
    proof, _, reader, names = exhibit
    records = sorted({n.record for n in proof.nodes.values() if n.kind == "evidence"})
    pages = [p.extract_text() for p in reader.pages]
    table = "\n".join(pages[next(i for i, t in enumerate(pages) if t.startswith("Exhibits")):])
    assert sorted(re.findall(r"hash ([0-9a-f]{64})", table)) == records
    rows = re.split(r"hash [0-9a-f]{64}", table)[:-1]            # each row ends with its hash line
    numbers = [int(row.split("Dates")[-1].split()[0]) for row in rows]
    assert numbers == list(range(1, len(records) + 1))


def test_every_page_rasterises(exhibit):
    pdfium = pytest.importorskip("pypdfium2", reason="pypdfium2 (test extra) rasterises the pages")
    _, path, reader, _ = exhibit
    doc = pdfium.PdfDocument(str(path))
    assert len(doc) == len(reader.pages)
    for page in doc:
        image = page.render(scale=1).to_pil().convert("L")
        assert max(image.size) <= 843
        assert image.getextrema()[0] < 100          # something is drawn on every page
