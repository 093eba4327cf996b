"""The court view in the workbench: a conclusion page links to its court view and court exhibit; both are
read-only GETs over the same proof, and hostile names stay inert."""

import re

import pytest
from starlette.testclient import TestClient

from engine.workbench.app import create_app

from .conftest import HOSTILE

BOREALIS = 'blocked("co:borealis-trading")'


@pytest.fixture(scope="module")
def client(demo_case):
    with TestClient(create_app(demo_case)) as c:
        yield c


def test_the_conclusion_page_links_to_the_court_view_and_exhibit(client):
    page = client.get("/conclusion", params={"run": "run-000010", "atom": BOREALIS}).text
    links = re.findall(r'href="(/court[^"]*)"', page)
    assert [link.split("?")[0] for link in links] == ["/court", "/court.pdf"]
    court = client.get(links[0].replace("&amp;", "&"))
    assert court.status_code == 200 and "Content-Security-Policy" in court.headers
    assert "<h2>Exhibits</h2>" in court.text and not re.search(r"\bround \d", court.text)
    assert "<title>Why blocked: Borealis Trading holds</title>" in court.text
    pdf = client.get(links[1].replace("&amp;", "&"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_a_bad_atom_is_a_page_saying_so(client):
    answer = client.get("/court", params={"run": "run-000010", "atom": 'blocked("nobody")'})
    assert answer.status_code == 400 and "does not hold" in answer.text


def test_hostile_names_are_inert_in_the_court_page(hostile_case):
    with TestClient(create_app(hostile_case)) as c:
        runs = re.findall(r"run-\d+", c.get("/").text)
        atom = 'blocked("' + HOSTILE[0].replace('"', '\\"') + '")'
        page = c.get("/court", params={"run": runs[0], "atom": atom})
    assert page.status_code == 200, page.text
    assert "<script" not in page.text and "&lt;script&gt;" in page.text
    assert "<title>a</title>" not in page.text
