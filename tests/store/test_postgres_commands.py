"""The commands that choose a case's marking scheme and take evidence in from other formats (`markings scheme`,
`markings show`, `import ftm`, `import bundle`) do on a case on PostgreSQL what they do on a case file (issue
18): each step is run on a new case file and on a fresh database, and must give the same exit code, standard
output and standard error, the case's location aside; then what they stored is asked for the same way (runs,
query, why). Each test gets a fresh database (tests/conftest.py)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main
from engine.store.backend import shown_url

ROOT = Path(__file__).resolve().parents[2]
OFAC = ROOT / "rulebooks/ofac_50.rules"
FACTS = ROOT / "examples/demo/facts"
FTM = ROOT / "tests/fixtures/ftm/case.ftm.jsonl"

pytestmark = pytest.mark.postgres


def _on(db: str, args: list[str]):
    return CliRunner().invoke(main, [a.replace("@DB", db) for a in args], catch_exceptions=False)


def _same(dbs: tuple[str, str], args: list[str], exit_code: int = 0) -> str:
    """Run `args` on both cases; they must answer alike (each case's location read as @DB). Returns the output."""
    answers = []
    for db in dbs:
        result = _on(db, args)
        answers.append((result.exit_code, result.stdout.replace(db, "@DB"), result.stderr.replace(db, "@DB")))
    assert answers[0][0] == exit_code, (args, answers[0])
    assert answers[1] == answers[0], args
    return answers[0][1] + answers[0][2]


@pytest.fixture
def both(tmp_path, postgres_url) -> tuple[str, str]:
    """A case file not made yet, and a fresh, empty database: each command below makes the case."""
    return str(tmp_path / "case.db"), postgres_url


def test_markings_scheme_and_show(both):
    """The scheme is chosen, refused while a level in use would go, and shown alike on both."""
    _same(both, ["load", str(OFAC), str(FACTS / "lists"), "--db", "@DB"])  # its sources are OFFICIAL
    _same(both, ["markings", "show", "--db", "@DB"])
    refused = _same(both, ["markings", "scheme", "--preset", "tlp", "--db", "@DB"], exit_code=2)
    assert "already uses OFFICIAL" in refused
    assert "error: give either" in _same(both, ["markings", "scheme", "--db", "@DB"], exit_code=2)
    chosen = _same(both, ["markings", "scheme", "--levels", "OFFICIAL,SENSITIVE,SECRET", "--default", "SENSITIVE",
                          "--db", "@DB"])
    assert chosen == "scheme: OFFICIAL < SENSITIVE < SECRET (a record without a marking: SENSITIVE)\n"
    assert json.loads(_same(both, ["markings", "show", "--json", "--db", "@DB"])) == {
        "levels": ["OFFICIAL", "SENSITIVE", "SECRET"], "default": "SENSITIVE"}
    for db in both:
        with api.Case.open(db) as case:
            entry = case.audit_entries(action="markings.scheme")[-1]
            assert entry.details == {"levels": ["OFFICIAL", "SENSITIVE", "SECRET"], "default": "SENSITIVE",
                                     "principal": "owner"}
            assert case.verify_audit().ok


def test_markings_scheme_makes_the_case_in_an_empty_database(both):
    assert "TLP:CLEAR < TLP:GREEN" in _same(both, ["markings", "scheme", "--preset", "tlp", "--db", "@DB"])
    _same(both, ["markings", "show", "--db", "@DB"])
    _same(both, ["runs", "--db", "@DB"])


def test_import_ftm_then_run_query_and_why(both):
    """An FtM import (entities, names, what was skipped and why), again (every record already present), and a
    run over it whose conclusions and proofs, with the imported names beside the ids, read alike."""
    args = ["import", "ftm", str(FTM), "--recorded-at", "2024-06-01", "--db", "@DB"]
    first = _same(both, args)
    assert "38 entities: 35 loaded, 3 skipped; 17 names" in first and "loaded into @DB: 26 new records" in first
    again = json.loads(_same(both, args + ["--json"]))
    assert again["added"] == 0 and again["duplicates"] == 26
    with_password = _with_password(both[1], "s3cret")  # the test server trusts local roles: it is not asked for
    said = _on(with_password, args).output
    assert "s3cret" not in said and f"loaded into {shown_url(with_password)}: 0 new records" in said
    _same(both, ["run", str(ROOT / "rulebooks/eu_ownership_control.rules"), "--as-of", "2025-01-01",
                  "--known-at", "2025-01-01", "--full", "--db", "@DB"])
    blocked = _same(both, ["query", "blocked(X)", "--db", "@DB"])
    assert "c-epsilon" in blocked and "c-kappa" in blocked
    why = _same(both, ["why", 'blocked("c-beta")', "--db", "@DB"])
    assert "Alpha Holdings Ltd" in why  # a name from the import, beside its id
    _same(both, ["why", 'blocked("c-kappa")', "--court", "--db", "@DB"])
    _same(both, ["export-ftm", "--db", "@DB"])


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user, host = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{user}:{password}@{host}"))


def test_import_ftm_of_a_bad_file_stores_nothing(both, tmp_path):
    bad = tmp_path / "bad.ftm.jsonl"
    bad.write_text(FTM.read_text(encoding="utf-8") + '{"id": "x", "schema": "Spaceship", "properties": {}}\n')
    assert "[F002]" in _same(both, ["import", "ftm", str(bad), "--db", "@DB"], exit_code=2)
    for db in both:
        with api.Case.open(db) as case:
            assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone() == (0,)
            assert case.audit_entries(action="evidence.import_ftm") == []


@pytest.fixture(scope="module")
def partner(tmp_path_factory) -> Path:
    """A partner's signed bundle, trust stores and our rulebook (tests/audit/bundle_case.make_partner_world)."""
    sys.path.insert(0, str(ROOT / "tests/audit"))
    try:
        from bundle_case import make_partner_world
    finally:
        sys.path.pop(0)
    return make_partner_world(tmp_path_factory.mktemp("partner"))


def _import_bundle(partner: Path, bundle: Path, trust: str) -> list[str]:
    return ["import", "bundle", str(bundle), str(partner / "ours.rules"), "--trust", str(partner / trust),
            "--conclusion-as", "partner_finding", "--classification", "SECRET", "--releasability", "REL TO UK",
            "--recorded-at", "2024-06-01", "--db", "@DB"]


def test_import_bundle_then_run_and_why(both, partner):
    """A trusted partner's bundle taken in as evidence, again (already present), then a run over it and the
    proof that cites the partner's assessment read alike."""
    taken = _same(both, _import_bundle(partner, partner / "signed", "trust.json"))
    assert taken.startswith('frozen("B") as issued by FR-DGT') and "  partner_finding: 1\n" in taken
    again = json.loads(_same(both, _import_bundle(partner, partner / "signed", "trust.json") + ["--json"]))
    assert again["added"] == 0 and again["duplicates"] == 4
    _same(both, ["run", str(partner / "ours.rules"), "--as-of", "2025-01-01", "--known-at", "2025-01-01",
                 "--full", "--db", "@DB"])
    why = _same(both, ["why", 'corroborated("B")', "--db", "@DB"])
    assert "FR-DGT" in why
    _same(both, ["why", 'corroborated("B")', "--format", "json", "--db", "@DB"])
    for db in both:
        with api.Case.open(db) as case:
            assert case.conn.execute("SELECT classification, releasability FROM sources WHERE id = 'partner:FR-DGT'"
                                     ).fetchone() == ("SECRET", "REL TO UK")
            assert case.verify_audit().ok


@pytest.mark.parametrize("how", ["unknown signer", "tampered"])
def test_import_bundle_refused_stores_nothing(both, partner, tmp_path, how):
    bundle = Path(shutil.copytree(partner / "signed", tmp_path / "bundle"))
    if how == "tampered":
        (bundle / "proof.json").write_text((bundle / "proof.json").read_text().replace('"B"', '"C"'))
    trust = "other.json" if how == "unknown signer" else "trust.json"
    assert "[A002]" in _same(both, _import_bundle(partner, bundle, trust), exit_code=2)
    for db in both:
        if Path(db).suffix == ".db" and not Path(db).exists():
            continue  # refused before the case file was made
        with api.Case.open(db) as case:
            assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone() == (0,)
