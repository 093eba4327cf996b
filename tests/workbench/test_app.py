"""The workbench's pages over the Python API, through Starlette's test client: what each page shows, that it
only reads, and that no value from the case file acts as markup."""

import html
import json
import re
import subprocess

import pytest
from starlette.testclient import TestClient

from engine.proof.terms import atom_text
from engine.workbench import graphs
from engine.workbench.app import create_app
from engine.workbench.entities import Edge

from engine import api

from .conftest import HOSTILE, case_content

BOREALIS = 'blocked("co:borealis-trading")'


@pytest.fixture(scope="module")
def client(demo_case):
    with TestClient(create_app(demo_case)) as c:
        yield c


@pytest.fixture(scope="module")
def hostile(hostile_case):
    with TestClient(create_app(hostile_case)) as c:
        yield c


def test_case_page_lists_runs_with_both_clocks_conclusions_and_changes(client):
    page = client.get("/").text
    assert "run-000015" in page and "assessed as of 2024-09-30 on the evidence recorded up to 2024-09-30" in page
    assert "uk_ownership_control" in page and 'href="/conclusion?run=run-000010&amp;atom=blocked' in page
    # what changed at each rulebook's latest run: OFAC run 9 gained caution on Arctic Fisheries since run 4
    assert re.search(r'caution\(&#34;co:arctic-fisheries&#34;\)</a>\s*<span class="dim">ofac_50:</span>', page)
    assert 'href="/diff?a=run-000004&amp;b=run-000009"' in page


def test_search_as_you_type_finds_ids_anywhere_in_them(client):
    found = client.get("/api/search", params={"q": "borealis"}).json()
    assert [f["id"] for f in found] == ["co:borealis-trading"]
    assert client.get("/api/search", params={"q": "CO:BOREALIS"}).json() == found
    assert client.get("/api/search", params={"q": "  "}).json() == []
    assert client.get("/api/search", params={"q": "%"}).json() == []  # a wildcard is a character, not a pattern
    assert "co:borealis-trading" in client.get("/search", params={"q": "borealis"}).text


def test_entity_page_shows_status_under_every_rulebook_holdings_and_evidence(client):
    page = client.get("/entity", params={"id": "co:borealis-trading"}).text
    rows = re.findall(r'<tr class="(holds|not)">\s*<td>(\w+) <span', page)
    assert ("holds", "eu_ownership_control") in rows and ("not", "uk_ownership_control") in rows
    assert "listed or frozen persons together own 55% of co:borealis-trading" in page
    assert 'data-run="run-000011" data-atom="blocked(&#34;co:borealis-trading&#34;)"' in page
    assert "<svg" in page and 'xlink:href="/entity?id=person%3Aamira-haddad"' in page and "owns 45" in page
    assert "Corporate registries (CY, AE, MH, GB) via registry extracts" in page and '<td class="grade">A1</td>' in page


def test_the_one_line_why_not_of_a_conclusion_an_entity_does_not_reach(client):
    reason = client.get("/api/reason", params={"run": "run-000011", "atom": BOREALIS}).json()["reason"]
    assert reason.startswith(f"{BOREALIS} does not hold") and 'owns_or_controls(_, "co:borealis-trading")' in reason


def test_conclusion_page_has_the_graph_its_fold_data_and_the_narrative(client):
    page = client.get("/conclusion", params={"run": "run-000010", "atom": BOREALIS}).text
    data = json.loads(re.search(r'<script id="proof-data" type="application/json">(.*?)</script>', page, re.S)[1])
    assert data["run"] == "run-000010" and data["layout"]["root"] in data["nodes"]
    svg_ids = {html.unescape(i) for i in re.findall(r'<g id="([^"]+)" class="node"', page)}
    assert svg_ids == set(data["nodes"]) and set(data["layout"]["dot"].values()) == svg_ids
    derivations = [n for n in data["nodes"].values() if n["kind"] == "derivation"]
    assert any(n["rule"] == "eu.listed" and 'blocked(P) if listed(P, "EU")' in n["rule_text"] for n in derivations)
    assert '<li id="p1"><p class="lead">blocked(&#34;co:borealis-trading&#34;) holds' in page
    assert '<a href="#p2">paragraph 2</a>' in page


def test_why_not_page_gives_the_numbers_and_links_each_missing_piece(client):
    page = client.get("/whynot", params={"run": "run-000009", "atom": BOREALIS}).text
    assert "does not hold" in page and "comes to 30" in page
    assert 'O = &#34;person:viktor-kessler&#34;' in page and '<td class="num">30</td>' in page
    assert 'href="/whynot?run=run-000009&amp;atom=listed%28%22co%3Aborealis-trading%22%2C+%22SDN%22%29"' in page
    assert 'href="/entity?id=co%3Aborealis-trading"' in page and 'href="/entity?id=SDN"' not in page  # text, not an entity
    assert 'blocked(&#34;co:borealis-trading&#34;)' in client.get("/whynot", params={"run": "run-000009"}).text


def test_diff_page_names_the_evidence_behind_each_change(client):
    page = client.get("/diff", params={"a": "run-000005", "b": "run-000010"}).text
    assert re.search(r'<li class="lost"><span class="sign">−</span>\s*<a class="atom" href="/conclusion\?run=run-000005'
                     r'&amp;atom=blocked%28%22co%3Aarctic-fisheries%22%29">', page)
    assert "is no longer in force in the later run" in page


def test_audit_page_verifies_the_chain(client):
    page = client.get("/audit").text
    assert "Hash chain intact" in page and "run.replay" not in page and "evidence.load" in page


def test_bad_input_is_a_page_saying_what_is_wrong(client):
    response = client.get("/conclusion", params={"run": "run-000010", "atom": 'blocked("co:nobody")'})
    assert response.status_code == 400 and "co:nobody" in response.text
    response = client.get("/entity")
    assert response.status_code == 400 and "missing parameter" in response.text
    assert client.get("/whynot", params={"run": "run-999999", "atom": BOREALIS}).status_code == 400
    assert client.get("/api/reason", params={"run": "run-000011", "atom": "blocked("}).status_code == 400
    assert client.get("/no-such-page").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/", "/entity?id=x", "/api/search?q=a", "/static/workbench.js", "/nowhere"])
def test_nothing_but_get_is_accepted(client, method, path):
    response = client.request(method, path, content=b"x=1")
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"


def test_browsing_changes_nothing_but_the_audit_log(demo_case):
    before = case_content(demo_case)
    with api.Case.open(demo_case) as case:
        logged = len(case.audit_entries())
    with TestClient(create_app(demo_case)) as c:
        for path in ("/", "/audit", "/diff?a=run-000004&b=run-000009", f"/whynot?run=run-000011&atom={BOREALIS}",
                     f"/conclusion?run=run-000010&atom={BOREALIS}", "/entity?id=co:borealis-trading"):
            assert c.get(path).status_code == 200
    assert case_content(demo_case) == before  # evidence, runs, facts, salts: as they were
    with api.Case.open(demo_case) as case:
        added = case.audit_entries()[logged:]
        assert case.verify_audit().ok
    assert [e.action for e in added] == ["view.case", "view.diff", "view.whynot", "view.why", "view.entity"]
    assert {(e.actor, e.details["principal"]) for e in added} == {("workbench", "owner")}


@pytest.mark.parametrize("path", ["/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py",
                                  "/static/%2e%2e%2f%2e%2e%2fapi.py", "/static//etc/passwd", "/static/templates/../app.py"])
def test_no_path_leads_outside_the_static_folder(client, path):
    response = client.get(path)
    assert response.status_code == 404 and "def create_app" not in response.text


def test_scripts_and_styles_come_from_the_package_only(client):
    page = client.get("/").text
    assert set(re.findall(r'(?:src|href)="(/static/[^"]+)"', page)) == {"/static/workbench.js", "/static/workbench.css"}
    assert "http://" not in page and "https://" not in page
    script = client.get("/static/workbench.js")
    assert script.status_code == 200 and "initProof" in script.text
    csp = script.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp


def test_other_hosts_are_refused(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_hostile_names_are_text_in_html(hostile):
    for path, params in (("/entity", {"id": HOSTILE[1]}), ("/entity", {"id": HOSTILE[0]}),
                         ("/search", {"q": "<script>"}), ("/", {}),
                         ("/conclusion", {"run": "run-000001", "atom": atom_text("blocked", [HOSTILE[0]])}),
                         ("/whynot", {"run": "run-000002", "atom": atom_text("blocked", [HOSTILE[1]])}),
                         ("/diff", {"a": "run-000001", "b": "run-000002"})):
        response = hostile.get(path, params=params)
        assert response.status_code == 200, (path, response.text[-500:])
        assert "<script>alert" not in response.text and "onmouseover='alert" not in response.text
    found = hostile.get("/api/search", params={"q": "script"})  # JSON, which the page's script writes as text
    assert found.headers["content-type"] == "application/json" and found.json()[0]["id"] == HOSTILE[0]
    page = hostile.get("/entity", params={"id": HOSTILE[1]}).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&#34;]; a -&gt; b [label=&#34;" in page
    proof = hostile.get("/conclusion", params={"run": "run-000002", "atom": atom_text("blocked", [HOSTILE[1]])}).text
    assert "31 CFR 501.801 <b>" not in proof and "31 CFR 501.801 &lt;b&gt;" in proof


def test_hostile_names_are_text_in_svg_and_dot():
    edges = [Edge("owns", HOSTILE[0], HOSTILE[1], "owns 30"), Edge("owns", HOSTILE[2], HOSTILE[1], 'owns "]; c -> d [x="')]
    dot = graphs.holdings_dot(HOSTILE[1], edges)
    plain = subprocess.run(["dot", "-Tplain"], input=dot, capture_output=True, text=True, check=True).stdout
    assert len([line for line in plain.splitlines() if line.startswith("node ")]) == 3
    assert len([line for line in plain.splitlines() if line.startswith("edge ")]) == 2
    svg = graphs.holdings_svg(HOSTILE[1], edges)
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert re.findall(r"<title>([^<]*)</title>", svg)[0] == "holdings"


def test_why_not_reaches_the_figures_of_the_uk_near_miss_and_says_a_shared_part_once(client):
    page = client.get("/whynot", params={"run": "run-000011", "atom": 'blocked("co:aurora-maritime")'}).text
    assert 'owns_or_controls(_, &#34;co:aurora-maritime&#34;) does not hold' in page
    assert "needs more than 50 (ownership_threshold)" in page and "it comes to 50" in page
    ids = re.findall(r'id="(wn-\d+)"', page)
    assert len(ids) == len(set(ids)) and all(f'id="{ref}"' in page for ref in re.findall(r'href="#(wn-\d+)"', page))


def test_names_from_the_entity_names_table_are_shown_and_searched(named_case):
    with TestClient(create_app(named_case)) as c:
        found = c.get("/api/search", params={"q": "energiya"}).json()
        assert found == [{"id": HOSTILE[1], "names": ["Volkhov <b>Energy</b> PJSC", "Volkhov Energiya", "VE Holding"]}]
        page = c.get("/entity", params={"id": HOSTILE[1]}).text
        assert '<span class="name primary">Volkhov &lt;b&gt;Energy&lt;/b&gt; PJSC</span>' in page
        assert '<span class="name">VE Holding</span>' in page
        assert "country RU · kind Company · registration number 1027700132195" in page


def test_a_case_file_without_names_has_ids_only(hostile):
    page = hostile.get("/entity", params={"id": HOSTILE[1]}).text
    assert 'class="names"' not in page and 'class="identifiers' not in page


def test_the_demo_names_its_parties_from_its_ftm_source(client):
    page = client.get("/entity", params={"id": "co:borealis-trading"}).text
    assert '<span class="name primary">Borealis Trading</span>' in page and "kind Company" in page
