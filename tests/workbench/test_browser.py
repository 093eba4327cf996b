"""The workbench in a real browser (Playwright driving the system's Chromium, when installed): search, open an
entity, open a proof, fold and unfold, ask a why-not, open a diff."""

import shutil

import pytest

from engine.workbench.server import running

from .conftest import HOSTILE

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (apt-get install chromium)")


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=BROWSER, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == []


def test_click_through_the_demo_case(demo_case, page):
    with running(str(demo_case)) as url:
        page.goto(url)
        assert page.locator("h1").inner_text() == "The case"
        page.fill("#search", "borea")
        page.wait_for_selector("#search-results a.entity")
        assert page.locator("#search-results a.entity").all_inner_texts() == ["co:borealis-trading\nBorealis Trading"]  # the name from the demo's FtM source
        page.click("#search-results a.entity")
        page.wait_for_selector("h1.entity-id")
        assert page.locator("h1.entity-id").inner_text() == "co:borealis-trading"
        uk = page.locator('span.reason[data-run="run-000011"]')
        sync_api.expect(uk).to_contain_text('owns_or_controls(_, "co:borealis-trading")')
        assert page.locator(".graph.small svg g.node").count() >= 4

        page.click('table.status tr.holds a.atom:has-text("blocked")')
        page.wait_for_selector("#proof-graph svg")
        assert "Why blocked(\"co:borealis-trading\") holds" in page.locator("h1").inner_text()
        nodes = page.locator("#proof-graph g.node")
        total = nodes.count()
        root_id = page.evaluate("JSON.parse(document.getElementById('proof-data').textContent).layout.root")
        root = page.locator(f'#proof-graph g.node[id="{root_id}"]')
        visible = lambda: page.locator("#proof-graph g.node:not(.hidden)").count()  # noqa: E731
        aggregate = page.locator("#proof-graph g.node:has(polygon)").filter(has_text="Total = 55")
        aggregate.click()
        sync_api.expect(page.locator("#details")).to_be_visible()
        assert "aggregate" in page.locator("#details-list").inner_text()
        page.click("#fold-toggle")
        folded = visible()
        assert 1 < folded < total and page.locator("#proof-graph g.node.folded").count() == 1
        page.click("#unfold-all")
        assert visible() == total
        root.dblclick()
        assert visible() == 1
        root.dblclick()
        assert visible() == total
        evidence = page.locator("#proof-graph g.node").filter(has_text="owns(\"person:viktor-kessler\"").first
        evidence.click()
        details = page.locator("#details-list").inner_text()
        assert "Corporate registries" in details and "A1" in details and "record hash" in details
        before = page.locator("#proof-graph svg").get_attribute("viewBox")
        page.click('[data-zoom="in"]')
        assert page.locator("#proof-graph svg").get_attribute("viewBox") != before
        page.click('[data-zoom="fit"]')
        assert page.locator("#proof-graph svg").get_attribute("viewBox") == before
        assert page.locator(".narrative li#p1 .lead").inner_text().startswith('blocked("co:borealis-trading") holds')

        page.click("nav >> text=Why not")
        page.select_option("select[name=run]", "run-000009")
        page.fill("#atom", 'blocked("co:borealis-trading")')
        page.click("form.ask button")
        page.wait_for_selector(".answer")
        assert "it comes to 30" in page.locator(".answer").inner_text()
        page.click('.answer a.whynot:has-text("ask about listed")')
        assert page.input_value("#atom") == 'listed("co:borealis-trading", "SDN")'
        assert "no evidence record of it is in force" in page.locator(".answer .message").first.inner_text()

        page.click("nav >> text=Diff")
        page.select_option("select[name=a]", "run-000005")
        page.select_option("select[name=b]", "run-000010")
        page.click("form.ask button")
        page.wait_for_selector(".answer")
        assert page.locator(".answer li.lost a.atom").first.inner_text() == 'blocked("co:arctic-fisheries")'

        page.click("nav >> text=Audit log")
        assert "Hash chain intact" in page.locator(".verification").inner_text()


def test_hostile_names_stay_text_in_the_browser(hostile_case, page):
    with running(str(hostile_case)) as url:
        page.goto(url)
        page.fill("#search", "script")
        page.wait_for_selector("#search-results a.entity")
        assert page.locator("#search-results a.entity").first.inner_text().startswith(HOSTILE[0])
        page.click("#search-results a.entity >> nth=0")
        page.wait_for_selector("h1.entity-id")
        assert page.locator("h1.entity-id").inner_text() == HOSTILE[0]
        assert page.evaluate("document.querySelectorAll('main script').length") == 0
        page.goto(url + "entity?id=" + "%22%5D%3B%20a%20-%3E%20b%20%5Blabel%3D%22")
        assert page.locator("h1.entity-id").inner_text() == HOSTILE[1]
        assert page.locator(".graph.small svg g.node").count() == 3
