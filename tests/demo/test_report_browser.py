"""The case report and a narrative, opened in a real browser (headless Chromium, when installed)."""

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from engine import api
from engine.report import write_report

BROWSER = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium on this machine (apt-get install chromium)")

RULES = textwrap.dedent('''\
    rulebook mini "Mini" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    conclusion blocked(party: entity) "blocked"
    rule R1 "Listed" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is on the SDN list".
    rule R2 "Owned 50% or more" cites "OFAC guidance (2014)":
      blocked(E) if T = sum(Pct for owns(O, E, Pct) and blocked(O)) and T >= 50.
      because "{E} is owned {T}% by blocked persons <&>".
    ''')


def dom(path: Path, tmp_path: Path) -> str:
    """The page as the browser parsed it."""
    proc = subprocess.run([BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", path.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_report_and_narrative_render_in_a_browser(tmp_path):
    (tmp_path / "mini.rules").write_text(RULES)
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nX,SDN\n")
    (facts / "owns.csv").write_text("owner,owned,percent\nX,A,50\n")
    with api.Case.open(tmp_path / "case.db") as case:
        run_id = case.run(api.load_rulebook(tmp_path / "mini.rules"), facts=facts).run_id
        index = write_report(case, tmp_path / "report", [run_id])
    page = dom(index, tmp_path)
    assert "<table>" in page and 'blocked("A")' in page and "R2" in page
    links = re.findall(r"href=\"([^\"]+)\"", page)
    assert len(links) == 4 and all((index.parent / link).is_file() for link in links)
    narrative = next(link for link in links if "blocked_A" in link and link.endswith(".html"))
    text = dom(index.parent / narrative, tmp_path)
    assert "OFAC guidance (2014)" in text and "by blocked persons &lt;&amp;&gt;" in text
