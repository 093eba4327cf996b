"""The anchored audit log (issue 16): `audit checkpoint` signs the chain's head, `audit verify` checks every
checkpoint and catches entries cut off after one, a forged checkpoint, and a checkpoint removed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.audit import log
from engine.audit.keys import init_keys
from engine.cli import main
from engine.store.schema import open_store

from bundle_case import make_case
from tamper import refuse, tamper


@pytest.fixture(scope="module")
def origin(tmp_path_factory):
    root = tmp_path_factory.mktemp("checkpoints")
    make_case(root)
    init_keys("UK-OFSI", root / "keys")
    init_keys("FR-DGT", root / "dgt")
    (root / "trust.json").write_text((root / "keys" / "public.json").read_text())
    return root


@pytest.fixture
def case(origin, tmp_path, copy_case) -> Path:
    """A fresh copy of the case and the keys; the working folder."""
    copy_case(origin / "case.db", tmp_path / "case.db")
    for name in ("keys", "dgt", "trust.json", "screen.rules"):
        src = origin / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path / name)
    return tmp_path


def cli(case: Path, *args) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], env={"WARRANT_KEYS": str(case / "keys"),
                                                                    "WARRANT_TRUST": None})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.stdout, result.stderr


def checkpoint(case: Path, *more) -> str:
    code, out, err = cli(case, "audit", "checkpoint", "--db", case / "case.db", *more)
    assert code == 0, err
    return out


def read_more(case: Path, times: int) -> None:
    """Add audit entries: reads of a conclusion."""
    with api.Case.open(case / "case.db", create=False) as c:
        for _ in range(times):
            c.why('frozen("B")')


def read(case: Path, sql: str):
    """The first value of the first row `sql` selects from the case."""
    with open_store(case / "case.db", create=False) as store:
        return store.conn.execute(sql).fetchone()[0]


def head(case: Path) -> int:
    return read(case, "SELECT MAX(seq) FROM audit_log")


def test_a_checkpoint_anchors_the_head_and_counts_what_comes_after(case):
    out = checkpoint(case)
    anchored = head(case)
    assert out.startswith(f"checkpoint 1: UK-OFSI signed entry {anchored} (hash ")
    code, out, _ = cli(case, "audit", "verify", "--db", case / "case.db", "--trust", case / "trust.json")
    assert code == 0 and f"anchors entry {anchored}: it holds" in out and "every entry is anchored" in out
    read_more(case, 2)
    code, out, _ = cli(case, "audit", "verify", "--db", case / "case.db")
    assert code == 0
    assert f"2 entries after the last checkpoint (entry {anchored}) not yet anchored" in out
    assert "not checked: no trust store given" in out


def test_without_a_checkpoint_verify_says_the_log_is_not_anchored(case):
    code, out, _ = cli(case, "audit", "verify", "--db", case / "case.db")
    assert code == 0 and "no checkpoint anchors the log" in out


def test_entries_cut_off_after_a_checkpoint_are_caught(case):
    read_more(case, 2)
    checkpoint(case)
    anchored = head(case)
    read_more(case, 1)
    tamper(case / "case.db", "audit_log_no_delete", f"DELETE FROM audit_log WHERE seq > {anchored - 3}")
    with open_store(case / "case.db", create=False) as store:
        assert log.verify(store.conn).ok  # the chain alone cannot tell
    code, out, err = cli(case, "audit", "verify", "--db", case / "case.db")
    assert code == 1
    assert (f"audit log BROKEN: the log ends at entry {anchored - 3}, but checkpoint 1 (signed by UK-OFSI on "
            in err)
    assert f") anchors entry {anchored}: entries were removed" in err
    assert "hash chain intact" in out


def test_a_log_cut_and_written_again_is_caught(case):
    checkpoint(case)
    anchored = head(case)
    tamper(case / "case.db", "audit_log_no_delete", f"DELETE FROM audit_log WHERE seq >= {anchored - 1}")
    read_more(case, 3)
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db")
    assert code == 1
    assert f"entry {anchored} is not the entry checkpoint 1 (signed by UK-OFSI on " in err
    assert "the log was rewritten after it was signed" in err


def test_a_forged_checkpoint_signature_is_caught(case):
    checkpoint(case)
    doc = json.loads(read(case, "SELECT doc FROM audit_checkpoints"))
    doc["seq"] -= 1  # claim an earlier head, keeping the signature
    tamper(case / "case.db", "audit_checkpoints_no_update",
        f"UPDATE audit_checkpoints SET doc = '{json.dumps(doc)}'")
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db")
    assert code == 1
    assert "the signature of checkpoint 1 does not verify with the key it names (UK-OFSI, sha256:" in err
    assert "or it was forged" in err


def test_a_removed_checkpoint_is_caught_by_its_log_entry_and_by_the_file_kept_with_the_papers(case):
    checkpoint(case, "-o", case / "papers.json")
    anchored = head(case)
    read_more(case, 1)
    tamper(case / "case.db", "audit_checkpoints_no_delete", "DELETE FROM audit_checkpoints")
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db")
    assert code == 1
    assert f"entry {anchored} records checkpoint 1 by UK-OFSI, which is no longer in the case file" in err
    tamper(case / "case.db", "audit_log_no_delete", f"DELETE FROM audit_log WHERE seq >= {anchored}")
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db", "--checkpoint", case / "papers.json")
    assert code == 1
    assert f"the log ends at entry {anchored - 1}, but checkpoint file {case / 'papers.json'} (signed by" in err


def test_a_checkpoint_of_another_case_file_or_an_untrusted_agency_is_a_finding(case, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    make_case(other)
    cli(case, "audit", "checkpoint", "--db", other / "case.db", "-o", other / "cp.json")
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db", "--checkpoint", other / "cp.json")
    assert code == 1 and "anchors another case file's log" in err
    checkpoint(case, "--keys", case / "dgt")
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db", "--trust", case / "trust.json")
    assert code == 1 and "checkpoint 1 is signed by FR-DGT" in err and "not valid as issued" in err


def test_checkpoints_are_append_only_and_refused_on_a_broken_chain(case):
    checkpoint(case)
    refuse(case / "case.db", "DELETE FROM audit_checkpoints")
    tamper(case / "case.db", "audit_log_no_update", "UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    code, _, err = cli(case, "audit", "checkpoint", "--db", case / "case.db")
    assert code == 1 and "audit log BROKEN at entry 2" in err and "no checkpoint was signed" in err


def test_a_missing_key_folder_says_what_to_run(case):
    code, _, err = cli(case, "audit", "checkpoint", "--db", case / "case.db", "--keys", case / "nokeys")
    assert code == 2 and "no agency key in this folder [K002]" in err and "warrant keys init --agency NAME" in err
    (case / "junk.json").write_text("{}")
    code, _, err = cli(case, "audit", "verify", "--db", case / "case.db", "--checkpoint", case / "junk.json")
    assert code == 2 and "not a checkpoint file" in err and "[K006]" in err


def test_an_exported_bundle_carries_the_latest_checkpoint(case):
    checkpoint(case)
    checkpoint(case, "-o", case / "latest.json")
    code, _, err = cli(case, "export", 'frozen("B")', "-o", case / "b", "--sign", "--db", case / "case.db")
    assert code == 0, err
    manifest = json.loads((case / "b" / "manifest.json").read_text())
    assert "checkpoint.json" in manifest["files"]
    assert (case / "b" / "checkpoint.json").read_text() == (case / "latest.json").read_text()
    code, out, _ = cli(case, "verify-proof", case / "b", "--trust", case / "trust.json")
    assert code == 0 and "checkpoint.json: UK-OFSI signed the case file's audit log up to entry" in out
    code, out, _ = cli(case, "audit", "verify", "--db", case / "case.db", "--checkpoint", case / "b" / "checkpoint.json")
    assert code == 0 and "checkpoint 2" in out
