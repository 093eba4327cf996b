"""Replay in bounded memory: every fact and proof compared by digest, a single changed byte found and named,
the case file only read until the audit entry, and memory that does not grow with the number of conclusions."""

import textwrap
import tracemalloc

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main
from engine.store.schema import open_store, write_transaction

from tamper import tamper

RULES = textwrap.dedent('''\
    rulebook chain "Chain" version "1"
    evidence listed(party: entity, list: text) "listed"
    evidence owns(owner: entity, owned: entity, percent: percent) "holding"
    derived controls(owner: entity, owned: entity) "owner holds a majority of owned"
    conclusion blocked(party: entity) "blocked"
    rule C1 "Majority" cites "test":
      controls(O, E) if owns(O, E, P) and P > 50.
      because "{O} controls {E}".
    rule R1 "Listed" cites "31 CFR 501.801":
      blocked(P) if listed(P, "SDN").
      because "{P} is listed".
    rule R2 "Controlled" cites "OFAC guidance":
      blocked(E) if controls(O, E) and blocked(O).
      because "{E} is controlled by {O}".
    ''')


def _case(tmp_path, listed: int = 1, chain: int = 3):
    """A case file whose run blocks X, then each of E1..E<chain> controlled by the one before, plus L1..L<listed>."""
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "chain.rules").write_text(RULES)
    facts = tmp_path / "facts"
    facts.mkdir()
    parties = ["X"] + [f"L{i}" for i in range(1, listed)]
    (facts / "listed.csv").write_text("party,list\n" + "".join(f"{p},SDN\n" for p in parties))
    links = [("X", "E1")] + [(f"E{i}", f"E{i + 1}") for i in range(1, chain)]
    (facts / "owns.csv").write_text("owner,owned,percent\n" + "".join(f"{a},{b},60\n" for a, b in links))
    program = api.load_rulebook(tmp_path / "chain.rules")
    with api.Case.open(tmp_path / "case.db") as case:
        run_id = case.run(program, facts=facts).run_id
    return tmp_path / "case.db", run_id


def test_an_untouched_run_replays_identical_with_every_proof_rebuilt(tmp_path):
    db, run_id = _case(tmp_path)
    with api.Case.open(db) as case:
        auto, every = case.replay(run_id), case.replay(run_id, "all")
        entries = [e.details for e in case.audit_entries(action="replay")]
    assert auto.identical and every.identical
    assert auto.conclusions == every.conclusions == 4  # X, E1, E2, E3
    assert (auto.proofs_compared, every.proofs_compared) == (0, 4)
    assert auto.facts_sha256 == every.facts_sha256
    assert [e["proofs"] for e in entries] == ["auto", "all"] and all(e["identical"] for e in entries)


def test_one_changed_byte_in_a_derived_fact_names_the_fact_and_the_conclusions_whose_proofs_differ(tmp_path):
    db, run_id = _case(tmp_path)
    tamper(db, "fact_controls_no_update", "UPDATE fact_controls SET _round = 9 WHERE owned = 'E2'")  # was 1
    with api.Case.open(db) as case:
        report = case.replay(run_id)
    assert not report.identical
    assert report.diff.differing == ("controls",)
    assert report.diff.only_a == {"blocked": [], "controls": [("E1", "E2", 9, "C1")]}
    assert report.diff.only_b == {"blocked": [], "controls": [("E1", "E2", 1, "C1")]}
    # blocked(E2) rests on controls(E1, E2), and blocked(E3) on blocked(E2): both proofs read its round
    assert report.proofs_differing == ('blocked("E2")', 'blocked("E3")')
    assert report.proofs_compared == 4 and report.proofs_differing_total == 2


def test_a_changed_rule_name_is_a_fact_difference_though_no_proof_reads_it(tmp_path):
    db, run_id = _case(tmp_path)
    tamper(db, "fact_controls_no_update", "UPDATE fact_controls SET _rule = 'C2' WHERE owned = 'E2'")
    with api.Case.open(db) as case:
        report = case.replay(run_id)
    assert not report.identical
    assert report.diff.only_a["controls"] == [("E1", "E2", 1, "C2")]
    assert report.diff.only_b["controls"] == [("E1", "E2", 1, "C1")]
    assert (report.proofs_compared, report.proofs_differing) == (4, ())  # proofs find their rules themselves


@pytest.mark.sqlite_only(reason="a SQLite column holds a value of another type than declared; PostgreSQL's cannot")
def test_the_same_bytes_as_another_type_are_a_difference(tmp_path):
    db, run_id = _case(tmp_path)
    tamper(db, "fact_blocked_no_update", "UPDATE fact_blocked SET party = CAST(party AS BLOB) WHERE party = 'E1'")
    with api.Case.open(db) as case:
        report = case.replay(run_id, proofs="none")
    assert not report.identical and report.diff.differing == ("blocked",)
    assert report.diff.only_a["blocked"] == [(b"E1", 3, "R2")]
    assert report.diff.only_b["blocked"] == [("E1", 3, "R2")]
    assert report.proofs_compared == 0


def test_a_conclusion_missing_from_the_stored_run_is_named(tmp_path):
    db, run_id = _case(tmp_path)
    tamper(db, "fact_blocked_no_delete", "DELETE FROM fact_blocked WHERE party = 'E3'")
    with api.Case.open(db) as case:
        report = case.replay(run_id)
    assert report.diff.only_b["blocked"] == [("E3", 5, "R2")] and report.diff.only_a["blocked"] == []
    assert report.proofs_differing == ('blocked("E3")',)
    result = CliRunner().invoke(main, ["replay", run_id, "--db", str(db)])
    assert result.exit_code == 1
    assert "replayed only: blocked('E3', 5, 'R2')" in result.output
    assert 'proof differs: blocked("E3")' in result.output


def test_the_cli_reports_an_exact_replay_and_its_proof_mode(tmp_path):
    db, run_id = _case(tmp_path)
    runner = CliRunner()
    auto = runner.invoke(main, ["replay", run_id, "--db", str(db)])
    every = runner.invoke(main, ["replay", run_id, "--db", str(db), "--proofs", "all", "--json"])
    assert auto.exit_code == 0 and "reproduced exactly" in auto.output and "4 conclusion(s)" in auto.output
    assert every.exit_code == 0 and '"proofs_compared": 4' in every.output and '"identical": true' in every.output
    assert runner.invoke(main, ["replay", run_id, "--db", str(db), "--proofs", "some"]).exit_code == 2


def test_replay_only_reads_the_case_file_so_a_writer_is_not_blocked(tmp_path, monkeypatch):
    db, run_id = _case(tmp_path)
    writes = []

    def write_while_replaying(*args, **kwargs):
        with open_store(db, create=False) as other, write_transaction(other):
            pass  # fails at once (busy) if the replay held the write lock
        writes.append(True)
        return real(*args, **kwargs)

    from engine.audit import replay as replay_module

    real = replay_module.compare_stored_facts
    monkeypatch.setenv("WARRANT_BUSY_TIMEOUT", "0")
    monkeypatch.setattr(replay_module, "compare_stored_facts", write_while_replaying)
    with api.Case.open(db) as case:
        assert case.replay(run_id).identical
    assert writes


def _replay_peak(tmp_path, listed: int, proofs: str) -> int:
    db, run_id = _case(tmp_path, listed=listed, chain=2)
    with api.Case.open(db) as case:
        case.replay(run_id, "none")  # warm: parsers and caches made once
        tracemalloc.start()
        try:
            report = case.replay(run_id, proofs)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert report.identical and report.conclusions == listed + 2
    return peak


@pytest.mark.parametrize("proofs, n", [("auto", 2000), ("all", 10)])
def test_replay_memory_does_not_grow_with_the_number_of_conclusions(tmp_path, proofs, n):
    small = _replay_peak(tmp_path / "small", n, proofs)
    large = _replay_peak(tmp_path / "large", 4 * n, proofs)
    assert large < 2 * small, (small, large)
