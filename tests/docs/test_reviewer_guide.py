"""docs/reviewer-guide.md as a reviewer meets it: its example is built by the commands it shows, the proof
and the record look-up it prints are what those commands print, and every record hash it mentions can be
looked up with `warrant record` (issue 17)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "reviewer-guide.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```[a-z]*\n(.*?)^```", re.S | re.M)
HASHES = re.compile(r'(?:record |"record": "|warrant record )(?:sha256:)?([0-9a-f]{6,64})\b')


def _block_after(marker: str) -> str:
    return FENCED.search(GUIDE, GUIDE.index(marker)).group(1)


def _warrant(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, (args, result.output)
    return result.output


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    """The FAQ 401 example built in a fresh folder by the guide's own commands; returns (folder, why output)."""
    folder = tmp_path_factory.mktemp("guide")
    commands = [shlex.split(line) for line in _block_after("these commands make the case file").splitlines()]
    outputs = []
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        for command in commands:
            assert command[0] == "warrant"
            args = [str(ROOT / a) if a.startswith("docs/") else a for a in command[1:]]
            outputs.append(_warrant(*args))
    return folder, outputs[commands.index(["warrant", "why", 'prohibited("A")'])]


@pytest.fixture(scope="module")
def ftm_case(tmp_path_factory):
    """The case of the "Names beside ids" section: the FtM fixture under ofac_50, as of 2025-01-01."""
    db = tmp_path_factory.mktemp("guide-ftm") / "case.db"
    with api.Case.open(db) as case:
        case.import_ftm([ROOT / "tests" / "fixtures" / "ftm" / "case.ftm.jsonl"], progress=False)
        case.run(api.load_rulebook(ROOT / "rulebooks" / "ofac_50.rules"), as_of="2025-01-01")
    return db


def test_the_example_proof_is_what_its_commands_print(example):
    _, why = example
    shown = [b for b in FENCED.findall(GUIDE) if b.startswith('Proof of prohibited("A")')]
    assert shown == [why]


def test_the_record_look_up_shown_is_what_the_bundle_gives(example):
    folder, _ = example
    shown = _block_after("In the bundle of the [example]").splitlines()
    command = shlex.split(shown[0].removeprefix("$ "))
    bundle = str(folder / command[command.index("--bundle") + 1])
    assert _warrant("record", command[2], "--bundle", bundle).splitlines() == shown[1:]


def test_every_record_hash_in_the_guide_can_be_looked_up(example, ftm_case):
    folder, _ = example
    hashes = sorted(set(HASHES.findall(GUIDE)))
    assert len(hashes) >= 6, hashes
    for digits in hashes:
        assert len(digits) >= 12, f"the guide shows record {digits}, too short to look up (12 hex digits at least)"
        in_bundle = CliRunner().invoke(main, ["record", digits, "--bundle", str(folder / "bundle")])
        if in_bundle.exit_code != 0:
            assert "[H002]" in in_bundle.output, in_bundle.output
            found = _warrant("record", digits, "--db", str(ftm_case))
        else:
            found = in_bundle.output
        assert found.startswith(f"record {digits}"), found
