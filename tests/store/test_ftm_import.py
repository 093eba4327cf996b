"""`warrant import ftm`: the fixture tests/fixtures/ftm/case.ftm.jsonl loaded end to end, every entity
accounted for, and the blocked sets under OFAC, EU and UK as worked out by hand below; located errors,
all or nothing; exact percentages; entity names; and the run's conclusions exported back as FtM."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.api import Case, load_rulebook
from engine.cli import main
from engine.proof import api as proof_api
from engine.store.errors import LoadError
from engine.store.ftm_convert import computed_percent, ftm_date, percent_text
from engine.store.ftm_mapping import read_mapping
from engine.store.ftm_model import model

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "ftm" / "case.ftm.jsonl"
RULEBOOKS = ROOT / "rulebooks"
PEOPLE = {"p-orlov", "p-marsh", "p-petrov", "p-kuz"}

# Worked out by hand from the fixture (percentages of the holdings in force):
#  alpha 100 (Orlov: SDN, EU, UK); beta 60 (alpha); gamma 50 (beta); MT Aurora 100 (alpha);
#  delta 25 + 25 (Marsh: SDN only, two separate holdings); eta 500000 / 1000000 = 50 (Marsh);
#  epsilon one holding in three versions, 48 (2019), 50 (2021-03-01), 51 (2023-06-01) (Petrov: EU, UK);
#  theta 50.85 (Kuznetsov: UK, by a Sanction in force from 2022-03-15); zeta: Orlov, size unknown;
#  kappa controlled by Petrov by appointment (criterion a).
EXPECTED = {
    ("ofac_50", "2025-01-01"): {"c-alpha", "c-beta", "c-gamma", "v-aurora", "c-delta", "c-eta"},
    ("ofac_50", "2022-01-01"): {"c-alpha", "c-beta", "c-gamma", "v-aurora", "c-delta", "c-eta"},
    # EU: 50% or more since 3 July 2024 (gamma at 50, epsilon at 51); before, more than 50%
    ("eu_ownership_control", "2025-01-01"): {"c-alpha", "c-beta", "c-gamma", "v-aurora", "c-epsilon", "c-kappa"},
    ("eu_ownership_control", "2022-01-01"): {"c-alpha", "c-beta", "v-aurora", "c-kappa"},
    # UK: more than 50%, no aggregation (delta's two holdings are Marsh's, who is not UK-listed anyway);
    # gamma's 50% is not more than 50%; theta's 50.85% is; epsilon's current version 51% is
    ("uk_ownership_control", "2025-01-01"): {"c-alpha", "c-beta", "v-aurora", "c-epsilon", "c-theta", "c-kappa"},
    ("uk_ownership_control", "2022-01-01"): {"c-alpha", "c-beta", "v-aurora", "c-kappa"},
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    db = tmp_path_factory.mktemp("ftm") / "case.db"
    with Case.open(db) as case:
        done = case.import_ftm([FIXTURE], progress=False)
    return db, done


def _blocked(db: Path, rulebook: str, as_of: str) -> tuple[set[str], set[str]]:
    with Case.open(db) as case:
        result = case.run(load_rulebook(RULEBOOKS / f"{rulebook}.rules"), as_of=as_of)
        blocked = {row[0] for row in result.conclusions["blocked"]}
        return blocked - PEOPLE, {row[0] for row in result.conclusions.get("caution", [])}


def test_every_entity_is_accounted_for(imported):
    _, done = imported
    summary = done.to_json()
    lines = [line for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert summary["entities"] == len(lines) == summary["loaded"] + summary["skipped"]
    assert sum(sum(c.values()) for c in summary["schemata"].values()) == len(lines)
    skipped = {item["reason"]: item["examples"] for item in summary["not_loaded"]}
    assert skipped == {
        "Address: the mapping gives no evidence for this schema": ["addr-1"],
        "Control of type voting: no control basis in the mapping": ["ctl-grant-kappa"],
        "Sanction by Ministry of Foreign Affairs of Fooland: no list in the mapping for that authority or dataset "
        "xx_foo": ["s-foo"],
        "Vessel: evidence operates is not declared in common.rules": ["v-aurora"],  # named, but no operates
    }
    assert summary["skipped"] == 3 and summary["schemata"]["Vessel"] == {"loaded": 1}
    assert summary["records"] == {"controls": 1, "director": 1, "family": 1, "holding": 11,
                                  "holding_size_unknown": 1, "listed": 8, "listing_programme": 2, "payment": 1}
    assert summary["added"] == sum(summary["records"].values())


@pytest.mark.parametrize("rulebook,as_of", sorted(EXPECTED))
def test_blocked_sets_match_the_hand_worked_outcome(imported, rulebook, as_of):
    blocked, caution = _blocked(imported[0], rulebook, as_of)
    assert blocked == EXPECTED[(rulebook, as_of)]
    if rulebook == "ofac_50":
        assert "c-zeta" in caution  # the blocked owner's stake of unknown size is not counted, but flagged


def test_two_stakes_and_three_versions_are_holdings(imported):
    db, _ = imported
    with Case.open(db) as case:
        rows = case.conn.execute("SELECT holding, percent, _valid_from, _document, _source FROM ev_holding "
                                 "WHERE owned IN ('c-delta', 'c-epsilon') ORDER BY holding, _valid_from").fetchall()
        assert rows == [
            ("own-marsh-delta-1", 25, None, "own-marsh-delta-1", "ftm:cy_registry"),
            ("own-marsh-delta-2", 25, None, "own-marsh-delta-2", "ftm:cy_registry"),
            ("reg-eps-7", 48, "2019-01-01", "own-eps-v1", "ftm:cy_registry"),
            ("reg-eps-7", 50, "2021-03-01", "own-eps-v2", "ftm:cy_registry"),
            ("reg-eps-7", 51, "2023-06-01", "own-eps-v3", "ftm:cy_registry"),
        ]
        run = case.run(load_rulebook(RULEBOOKS / "uk_ownership_control.rules"), as_of="2025-01-01")
        proof = proof_api.render(case.why('blocked("c-epsilon")', run.run_id), "text")
    assert "holding reg-eps-7, version valid from 2023-06-01" in proof
    assert re.search(r"\b51\b", proof) and not re.search(r"\b149\b", proof)  # not the digits of a timestamp


def test_sources_keep_the_entity_id_dataset_and_url(imported):
    db, _ = imported
    with Case.open(db) as case:
        row = case.conn.execute("SELECT _document, _source FROM ev_holding WHERE holding = 'own-orlov-alpha'").fetchone()
        source = case.conn.execute("SELECT name, kind, reliability FROM sources WHERE id = 'ftm:us_ofac_sdn'").fetchone()
        programmes = case.conn.execute("SELECT party, list, programme, _valid_from FROM ev_listing_programme "
                                       "ORDER BY party").fetchall()
    assert row == ("own-orlov-alpha https://example.org/registry/alpha", "ftm:cy_registry")
    assert source == ("US OFAC Specially Designated Nationals List (FtM)", "sanctions-list", "A")
    assert programmes == [("p-kuz", "UK", "Russia", "2022-03-15"), ("p-orlov", "SDN", "RUSSIA-EO14024", "2022-04-06")]


def test_names_are_stored_once_per_entity(imported):
    db, _ = imported
    with Case.open(db) as case:
        assert case.names(["c-alpha", "v-aurora", "addr-1", "nobody"]) == {
            "c-alpha": "Alpha Holdings Ltd", "v-aurora": "MT Aurora"}
        assert case.conn.execute("SELECT aliases, country, registration FROM entity_names WHERE id = 'p-orlov'"
                                 ).fetchone() == ('["Sergey Orlov"]', "ru", None)
        assert case.conn.execute("SELECT registration FROM entity_names WHERE id = 'v-aurora'").fetchone() == ("IMO9000001",)


def test_percentages_are_kept_as_written_and_computed_exactly():
    assert percent_text(" 50.85 ", "percentage") == "50.85"
    assert computed_percent("500000", "1000000") == "50"
    assert computed_percent("1", "3") == "33.3333333333333"  # the language's 15 significant digits
    assert computed_percent("2", "1") is None and computed_percent("1", "0 EUR") is None
    assert ftm_date("2020", "startDate", end=False) == "2020-01-01"
    assert ftm_date("2020-02", "endDate", end=True) == "2020-03-01"  # FtM ends are inclusive, _valid_to is not
    assert ftm_date("2020-12-31", "endDate", end=True) == "2021-01-01"


def _write(tmp_path: Path, *entities: dict | str) -> Path:
    path = tmp_path / "bad.ftm.jsonl"
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in entities), encoding="utf-8")
    return path


OWNERSHIP = {"id": "o1", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"], "percentage": ["50"]}}


def test_bad_entities_are_located_and_nothing_is_loaded(tmp_path):
    bad_percent = {**OWNERSHIP, "id": "o2", "properties": {**OWNERSHIP["properties"], "percentage": ["50,85%"]}}
    no_owner = {"id": "o3", "schema": "Ownership", "properties": {"asset": ["b"]}}
    path = _write(tmp_path, OWNERSHIP, bad_percent, "{not json", {"id": "x", "schema": "Spaceship"}, no_owner)
    with Case.open(tmp_path / "case.db") as case:
        with pytest.raises(LoadError) as caught:
            case.import_ftm([path], progress=False)
        assert case.conn.execute("SELECT COUNT(*) FROM loads").fetchone()[0] == 0
    found = [(p.code, p.line, p.column) for p in caught.value.problems]
    assert found == [("F003", 2, "percentage"), ("F001", 3, None), ("F002", 4, "schema"), ("F004", 5, "owner")]
    assert "entity o2 (Ownership)" in caught.value.problems[0].reason
    assert str(caught.value).count(str(path)) >= 4


def test_a_bad_mapping_is_refused(tmp_path):
    mapping = tmp_path / "m.toml"
    mapping.write_text('rulebook = "x.rules"\n[[edges]]\nschema = "Family"\n', encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        read_mapping(mapping)
    assert caught.value.problems[0].code == "F005"
    mapping.write_text(f'rulebook = "{RULEBOOKS / "common.rules"}"\n[[edges]]\nschema = "Family"\n'
                       'evidence = "family"\ncolumns = ["person"]\n', encoding="utf-8")
    with Case.open(tmp_path / "case.db") as case, pytest.raises(LoadError) as caught:
        case.import_ftm([_write(tmp_path, OWNERSHIP)], mapping=mapping, progress=False)
    assert "gives 1 columns, but evidence family has 3" in caught.value.problems[0].reason


def test_an_entities_file_in_a_facts_folder_gives_names(tmp_path):
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "listed.csv").write_text("party,list\nco:gulfstar-ship-management,SDN\n", encoding="utf-8")
    (facts / "entities.csv").write_text("id,name,aliases,country,registration_number\n"
                                        "co:gulfstar-ship-management,Gulfstar Ship Management,Gulfstar SM;GSM,ae,\n",
                                        encoding="utf-8")
    with Case.open(tmp_path / "case.db") as case:
        case.load(load_rulebook(RULEBOOKS / "common.rules"), facts)
        assert case.names(["co:gulfstar-ship-management"]) == {"co:gulfstar-ship-management": "Gulfstar Ship Management"}
        assert case.conn.execute("SELECT aliases FROM entity_names").fetchone() == ('["Gulfstar SM", "GSM"]',)


def test_conclusions_export_as_ftm_entities(imported, tmp_path):
    db, _ = imported
    with Case.open(db) as case:
        run = case.run(load_rulebook(RULEBOOKS / "ofac_50.rules"), as_of="2025-01-01")
        entities = case.export_ftm(run.run_id)
        proof = proof_api.render(case.why('blocked("c-delta")', run.run_id), "json")
    proxies = [model.get_proxy(e) for e in entities]
    assert {p.schema.name for p in proxies} == {"Sanction"}
    blocked = {p.first("entity") for p in proxies if p.first("provisions").startswith("blocked(")}
    assert blocked == EXPECTED[("ofac_50", "2025-01-01")] | {"p-orlov", "p-marsh"}
    delta = next(p for p in proxies if p.first("entity") == "c-delta")
    assert delta.first("recordId") == hashlib.sha256(proof.encode("utf-8")).hexdigest()
    assert "50%" in delta.first("reason") and "ofac_50" in delta.first("authority")


def test_cli_import_and_export(tmp_path):
    db = str(tmp_path / "case.db")
    runner = CliRunner()
    result = runner.invoke(main, ["import", "ftm", str(FIXTURE), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["entities"] == 38
    assert runner.invoke(main, ["run", str(RULEBOOKS / "eu_ownership_control.rules"), "--as-of", "2025-01-01",
                                "--db", db]).exit_code == 0
    out = tmp_path / "out.ftm.jsonl"
    result = runner.invoke(main, ["export-ftm", "--db", db, "-o", str(out)])
    assert result.exit_code == 0, result.output
    parties = {json.loads(line)["properties"]["entity"][0] for line in out.read_text(encoding="utf-8").splitlines()}
    assert parties == EXPECTED[("eu_ownership_control", "2025-01-01")] | {"p-orlov", "p-petrov"}
    bad = _write(tmp_path, "[1, 2]")
    result = runner.invoke(main, ["import", "ftm", str(bad), "--db", db])
    assert result.exit_code == 2 and f"{bad}:1:1: error" in result.output


def test_importing_followthemoney_leaves_the_csv_field_limit_alone():
    import csv
    assert csv.field_size_limit() == 128 * 1024


def test_another_rulebook_takes_what_it_declares_and_the_rest_is_skipped_naming_it(tmp_path):
    with Case.open(tmp_path / "case.db") as case:
        done = case.import_ftm([FIXTURE], rulebook=RULEBOOKS / "red_flags.rules", progress=False).to_json()
        operates = case.conn.execute("SELECT operator, vessel FROM ev_operates").fetchall()
    assert operates == [("c-gamma", "v-aurora")]  # the Vessel's operator, mapped to red_flags' operates
    reasons = {item["reason"]: item["count"] for item in done["not_loaded"]}
    assert reasons["evidence holding is not declared in red_flags.rules"] == 10
    # without a percentage (zeta), or one to compute from shares when holding is not declared (eta)
    assert reasons["evidence holding_size_unknown is not declared in red_flags.rules"] == 2
    assert done["entities"] == done["loaded"] + done["skipped"] == 38


@pytest.mark.parametrize("rulebook", ["ofac_50", "eu_ownership_control", "uk_ownership_control"])
def test_why_not_names_the_stake_of_unknown_size(imported, rulebook):
    with Case.open(imported[0]) as case:
        run = case.run(load_rulebook(RULEBOOKS / f"{rulebook}.rules"), as_of="2025-01-01")
        answer = case.whynot('blocked("c-zeta")', run.run_id)
        other = case.whynot('blocked("c-epsilon")', run.run_id) if rulebook == "ofac_50" else None
    assert not answer.holds
    assert ('also concluded in this run: unknown_stake("p-orlov", "c-zeta"): the stake of p-orlov in c-zeta is not '
            'known (holding own-orlov-zeta)') in answer.notes
    if other is not None:  # a party with no stake of unknown size gets no such note
        assert not any("unknown_stake" in n for n in other.notes)
