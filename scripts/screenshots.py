"""Screenshots of every workbench page on the demo case, for docs/analyst-guide.md.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]      (default: docs/images/workbench)

Builds the demo case in a temporary folder, serves it with the workbench on a free local port, and drives
the system's Chromium with Playwright (no browser download: `apt-get install chromium`).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo"
sys.path[:0] = [str(ROOT), str(DEMO)]

from engine.workbench.server import running  # noqa: E402

SIZE = {"width": 1400, "height": 900}


def demo_case(folder: Path) -> Path:
    """The demo case file with every run of scripts/demo.sh, and its liaison officer (a reader not cleared
    for the partner state's SECRET REL TO UK report)."""
    spec = importlib.util.spec_from_file_location("run_demo", DEMO / "run_demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    case = module.build(folder / "case.db")
    try:
        module.run_all(case)
        module.retrospective(case)
        case.add_principal("liaison", "user", *module.READERS["liaison"])
    finally:
        case.close()
    return folder / "case.db"


def shoot(url: str, out: Path, browser_path: str) -> list[Path]:
    """Visit each page as an analyst would and save what the screen shows."""
    from playwright.sync_api import expect, sync_playwright

    saved: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=SIZE)

        def save(name: str, full: bool = False) -> None:
            path = out / f"{name}.png"
            page.screenshot(path=str(path), full_page=full)
            saved.append(path)

        page.goto(url)
        save("case")
        page.fill("#search", "kessler")
        page.wait_for_selector("#search-results a.entity")
        save("search")
        page.goto(url + "entity?id=co:borealis-trading")
        expect(page.locator("span.reason", has_text="…")).to_have_count(0)
        save("entity", full=True)
        page.goto(url + 'conclusion?run=run-000010&atom=blocked("co:borealis-trading")')
        page.locator("#proof-graph g.node").filter(has_text="eu.owned.since").first.click()
        save("conclusion")
        page.locator("#proof-graph g.node").filter(has_text="eu.owned.since").first.dblclick()
        save("conclusion-folded")
        page.goto(url + 'whynot?run=run-000011&atom=blocked("co:borealis-trading")')
        save("whynot", full=True)
        page.goto(url + "diff?a=run-000005&b=run-000010")
        save("diff")
        page.goto(url + "audit")
        save("audit")
        browser.close()
    return saved


def shoot_reader(url: str, out: Path, browser_path: str) -> list[Path]:
    """The proof a reader not cleared for every record sees, with its withheld parts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport=SIZE)
        page.goto(url + 'conclusion?run=run-000012&atom=sufficient_factual_basis("co:pamir-electronics")')
        page.locator('#proof-graph g.node[id^="w-"]').first.click()
        page.screenshot(path=str(out / "reader-conclusion.png"))
        browser.close()
    return [out / "reader-conclusion.png"]


def main(out: Path) -> int:
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser_path is None:
        print("error: no Chromium on this machine (apt-get install chromium)", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        demo_case(Path(tmp))
        os.chdir(tmp)  # the pages name the case file as given: case.db
        with running("case.db") as url:
            for path in shoot(url, out, browser_path):
                print(f"wrote {path}")
        with running("case.db", as_principal="liaison") as url:
            for path in shoot_reader(url, out, browser_path):
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "images" / "workbench"))
