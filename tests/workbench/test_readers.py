"""The workbench as one principal (issue 16 around issue 17): every page and JSON answer shows what the
reader may see, through the API the CLI uses, and each page view that reads the case is in the audit log
with the principal, what was asked and how much was withheld (never what)."""

import html
import io
import json
import re
import sqlite3
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from engine import api
from engine.store.schema import open_store, write_transaction
from engine.workbench import access_log
from engine.workbench.app import create_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))
from redaction_case import MANIFEST, SECRETS, make_case  # noqa: E402

from .conftest import case_content  # noqa: E402

# beyond redaction_case's: a party only the partner names, its note, and a name only a withheld party has
MORE_SECRETS = ["co:zeta-shell", "fiu-note-78", "Yarrow Holdings"]
EVERY_SECRET = SECRETS + MORE_SECRETS
FROZEN_A = 'frozen("A")'


@pytest.fixture(scope="module")
def case(tmp_path_factory) -> dict:
    """redaction_case's case file (run 1: frozen("A") on X's visible 30% and the partner's secret 25%), then a
    second load and run 2: X's visible 60% of B, and a party only the partner lists; with entity names."""
    root = tmp_path_factory.mktemp("workbench-readers")
    run_1 = make_case(root)
    more = root / "more"
    more.mkdir()
    (more / "listed.csv").write_text("party,list,_source,_document\nco:zeta-shell,SDN,fiu,fiu-note-78\n")
    (more / "owns.csv").write_text("owner,owned,percent,_source\nX,B,60,registry\n")
    (more / "manifest.json").write_text(json.dumps(MANIFEST))
    program = api.load_rulebook(root / "screen.rules")
    with api.Case.open(root / "case.db") as c:
        run_2 = c.run(program, facts=more).run_id
    with open_store(root / "case.db", create=False) as store, write_transaction(store):  # PostgreSQL has the table
        store.conn.execute("CREATE TABLE IF NOT EXISTS entity_names (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
                           "aliases TEXT NOT NULL DEFAULT '[]')")
        store.conn.executemany("INSERT INTO entity_names (id, name, aliases) VALUES (?, ?, '[]')",
                               [("co:yarrow-holdings", "Yarrow Holdings"), ("X", "Xanadu Shipping")])
    return {"path": root / "case.db", "runs": (run_1, run_2)}


def pages(runs) -> list[tuple[str, dict]]:
    """Every page and JSON answer that reads case content, with questions about visible parties."""
    run_1, run_2 = runs
    return [("/", {}), ("/search", {"q": "arrow"}), ("/api/search", {"q": "arrow"}), ("/api/search", {"q": "olding"}),
            ("/api/search", {"q": "co:"}), ("/api/search", {"q": "eta"}), ("/entity", {"id": "A"}),
            ("/entity", {"id": "X"}), ("/conclusion", {"run": run_1, "atom": FROZEN_A}),
            ("/court", {"run": run_1, "atom": FROZEN_A}), ("/whynot", {"run": run_2}),
            ("/whynot", {"run": run_1, "atom": 'frozen("B")'}), ("/api/reason", {"run": run_1, "atom": 'frozen("B")'}),
            ("/diff", {"a": run_1, "b": run_2}), ("/audit", {})]


def bodies(client, runs) -> dict[str, str]:
    out = {}
    for path, params in pages(runs):
        response = client.get(path, params=params)
        assert response.status_code == 200, (path, params, response.text[-400:])
        out[f"{path} {params}"] = response.text
    return out


def found_in(text: str) -> list[str]:
    """The withheld strings in a response body, as sent or once its escapes are read."""
    readable = html.unescape(text)
    try:
        readable += json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    return [s for s in EVERY_SECRET if s in text or s in readable]


def reads_of(path, principal: str) -> list:
    with api.Case.open(path) as c:
        return [e for e in c.audit_entries() if e.actor == "workbench" and e.details.get("principal") == principal]


def test_the_uncleared_reader_sees_no_withheld_string_on_any_page(case):
    with TestClient(create_app(case["path"], as_principal="liaison")) as client:
        shown = bodies(client, case["runs"])
        pdf = client.get("/court.pdf", params={"run": case["runs"][0], "atom": FROZEN_A})
    leaks = {page: found for page, body in shown.items() if (found := found_in(body))}
    assert leaks == {}
    assert "reading as liaison (user, UK, cleared OFFICIAL)" in shown["/ {}"]
    assert all(f["id"] != "co:yarrow-holdings" for f in json.loads(shown["/api/search {'q': 'olding'}"]))
    proof = shown[f"/conclusion {{'run': '{case['runs'][0]}', 'atom': '{FROZEN_A}'}}"]
    assert '<p class="withheld-banner">frozen(&#34;A&#34;) rests in part on evidence withheld from you (1 withheld part' \
           in proof and '"kind": "withheld"' in proof
    assert "rests in part on evidence withheld from you" in html.unescape(
        shown[f"/court {{'run': '{case['runs'][0]}', 'atom': '{FROZEN_A}'}}"])
    pypdf = pytest.importorskip("pypdf")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert "withheld" in text and not [s for s in EVERY_SECRET if s in text]


def test_the_cleared_reader_sees_them(case):
    with TestClient(create_app(case["path"], as_principal="analyst")) as client:
        shown = "\n".join(bodies(client, case["runs"]).values())
        shown += client.get("/entity", params={"id": "co:zeta-shell"}).text  # the liaison would see only its id
        assert "co:yarrow-holdings" in [f["id"] for f in client.get("/api/search", params={"q": "olding"}).json()]
    assert not [s for s in EVERY_SECRET if s not in html.unescape(shown)]
    assert "reading as analyst (user, UK, cleared SECRET)" in shown and "withheld from you" not in shown


def test_the_counts_of_a_run_are_of_the_conclusions_the_reader_may_see(case):
    row = re.compile(rf'<tr><td>{case["runs"][1]}</td>.*?<td class="dim">(.*?)</td></tr>')
    with TestClient(create_app(case["path"], as_principal="liaison")) as liaison, TestClient(create_app(case["path"])) as owner:
        assert row.search(liaison.get("/").text)[1] == "3 frozen"  # A, B and X; not the partner's two parties
        assert row.search(owner.get("/").text)[1] == "5 blocked, 5 frozen"


def test_the_diff_of_the_api_and_the_cli_leaves_out_what_the_reader_may_not_know(case):
    from click.testing import CliRunner

    from engine.cli import main

    run_1, run_2 = case["runs"]
    with api.Case.open(case["path"], as_principal="liaison") as liaison, api.Case.open(case["path"]) as owner:
        assert [c.atom for c in liaison.diff(run_1, run_2).changes] == ['frozen("B")']
        assert [c.atom for c in owner.diff(run_1, run_2).changes] == ['frozen("B")', 'frozen("co:zeta-shell")']
    shown = CliRunner().invoke(main, ["--as", "liaison", "diff", run_1, run_2, "--db", str(case["path"]), "--json"])
    assert shown.exit_code == 0 and 'frozen(\\"B\\")' in shown.output and not found_in(shown.output)


def test_an_id_only_withheld_records_name_reads_as_an_id_nothing_is_known_about(case):
    with TestClient(create_app(case["path"], as_principal="liaison")) as client:
        secret = client.get("/entity", params={"id": "co:yarrow-holdings"}).text
        unknown = client.get("/entity", params={"id": "co:nobody-at-all"}).text
        diff = client.get("/diff", params={"a": case["runs"][0], "b": case["runs"][1]}).text
    assert secret.replace("co:yarrow-holdings", "ID") == unknown.replace("co:nobody-at-all", "ID")
    assert "Yarrow Holdings" not in secret and "frozen(&#34;B&#34;)" in diff and "zeta" not in diff


def test_each_page_view_is_in_the_audit_log_with_the_principal_and_what_was_withheld(case):
    path, (run_1, run_2) = case["path"], case["runs"]
    before = len(reads_of(path, "liaison"))
    with TestClient(create_app(path, as_principal="liaison")) as client:
        for page, params in (("/conclusion", {"run": run_1, "atom": FROZEN_A}), ("/court", {"run": run_1, "atom": FROZEN_A}),
                             ("/whynot", {"run": run_1, "atom": 'frozen("B")'}), ("/api/search", {"q": "olding"}),
                             ("/entity", {"id": "A"}), ("/diff", {"a": run_1, "b": run_2})):
            assert client.get(page, params=params).status_code == 200
        own = client.get("/audit").text
    reads = reads_of(path, "liaison")[before:]
    assert [e.action for e in reads] == ["view.why", "view.why", "view.whynot", "view.search", "view.entity", "view.diff"]
    why = reads[0]
    assert why.entity == FROZEN_A and why.details["run_id"] == run_1 and why.details["withheld"] >= 1
    assert len(why.details["withheld_ids"]) == why.details["withheld"]
    assert reads[3].entity == "olding" and reads[3].details["withheld"] == 1 and reads[3].details["found"] == 0
    assert reads[5].details["run_a"] == run_1 and reads[5].details["run_b"] == run_2
    assert not [s for e in reads for s in EVERY_SECRET if s in json.dumps(e.to_json())]
    assert "You see your own reads only" in own and "view.diff" in own and "principal.add" not in own


def test_browsing_changes_nothing_but_the_audit_log(case):
    path = case["path"]

    before, entries = case_content(path), len(reads_of(path, "analyst"))
    with TestClient(create_app(path, as_principal="analyst")) as client:
        bodies(client, case["runs"])
    assert case_content(path) == before
    assert len(reads_of(path, "analyst")) > entries
    with api.Case.open(path) as c:
        assert c.verify_audit().ok


def test_a_case_file_that_cannot_be_appended_to_is_said_and_still_served(case, monkeypatch):
    def read_only(self):
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(access_log.AccessLog, "_open", read_only)
    said: list[str] = []
    before = len(reads_of(case["path"], "liaison"))
    with TestClient(create_app(case["path"], as_principal="liaison", say=said.append)) as client:
        assert client.get("/conclusion", params={"run": case["runs"][0], "atom": FROZEN_A}).status_code == 200
        audit_page = client.get("/audit").text
    assert len(said) == 1 and said[0].startswith("warning: the case file") and "not recorded" in said[0]
    assert "Page views are not recorded" in audit_page
    assert len(reads_of(case["path"], "liaison")) == before


def test_an_unknown_principal_is_refused(case):
    from engine.access.markings import MarkingError

    with pytest.raises(MarkingError, match="no principal named 'nobody'"):
        create_app(case["path"], as_principal="nobody")
