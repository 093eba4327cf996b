"""--db names a case file: only `load`, `run`, `import ftm`, `principal add` and `markings scheme` make one; every other command given a case file that does
not exist, or a folder, says so and exits 2, leaving nothing behind."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import main
from engine.diagnostics import WarrantError
from engine.store.schema import open_store

ARGUMENTS = {"atom": 'blocked("A")', "pattern": "blocked(X)", "run_a": "run-000001", "run_b": "run-000002",
             "run_id": "run-000001", "path": "proof.json", "name": "alice", "folder": "bundle", "rulebook": "mini.rules", "facts_dir": "facts",
             "files": "entities.ftm.jsonl", "record_hash": "0123456789ab"}
OPTIONS = {"output": "out", "clearance": "SECRET", "nationality": "UK"}
MAKERS = {"import bundle", "import ftm", "load", "run", "principal add", "markings scheme"}


def _db_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> dict[str, click.Command]:
    """Every command taking --db, by its words ("audit verify")."""
    found = {}
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found.update(_db_commands(command, prefix + (name,)))
        elif any(p.name == "db" for p in command.params):
            found[" ".join(prefix + (name,))] = command
    return found


READERS = sorted(set(_db_commands()) - MAKERS)


def _argv(words: str, db: str) -> list[str]:
    """The command with a value for each of its arguments and required options, and --db."""
    argv = words.split()
    for param in _db_commands()[words].params:
        if isinstance(param, click.Argument):
            argv.append(ARGUMENTS[param.name])
        elif param.required:
            argv += [param.opts[0], OPTIONS[param.name]]
    return argv + ["--db", db]


def assert_no_case(path) -> None:
    """No case is at `path`: no file, nor a database standing for it on the PostgreSQL pass."""
    with pytest.raises(WarrantError) as raised:
        open_store(path, create=False)
    assert [d.code for d in raised.value.diagnostics] == ["S004"]


def test_the_read_commands_are_those_expected():
    assert READERS == ["alerts", "audit checkpoint", "audit log", "audit verify", "diff", "export", "export-ftm", "markings show",
                       "principal list", "query", "record", "replay", "report", "runs", "serve", "verify-proof", "why", "whynot"]


@pytest.mark.parametrize("words", READERS)
def test_a_read_command_never_makes_a_case_file(case, words):
    (case / "proof.json").write_text("{}", encoding="utf-8")
    before = sorted(p.name for p in case.iterdir())
    result = CliRunner().invoke(main, _argv(words, "cse.db"))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "error: no such case file: cse.db" in result.stderr
    assert "hint: load evidence first with `warrant load" in result.stderr
    assert sorted(p.name for p in case.iterdir()) == before
    assert_no_case(case / "cse.db")


@pytest.mark.parametrize("words", sorted(_db_commands()))
def test_a_folder_is_not_a_case_file(case, words):
    (case / "proof.json").write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(main, _argv(words, "facts"))
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit), result.output
    assert "error: facts is a folder, not a case file" in result.stderr


def test_load_and_run_make_the_case_file(case):
    assert CliRunner().invoke(main, ["load", "mini.rules", "facts", "--db", "loaded.db"]).exit_code == 0
    assert CliRunner().invoke(main, ["run", "mini.rules", "--db", "ran.db"]).exit_code == 0
    for made in ("loaded.db", "ran.db"):
        open_store(case / made, create=False).close()  # S004 if the command made no case there
    assert CliRunner().invoke(main, ["runs", "--db", "ran.db"]).exit_code == 0


def test_a_case_file_in_a_missing_folder_is_a_clear_error(case):
    result = CliRunner().invoke(main, ["load", "mini.rules", "facts", "--db", "nowhere/case.db"])
    assert result.exit_code == 2 and "no folder nowhere" in result.stderr
    assert not (case / "nowhere").exists()


def test_the_api_opens_without_making_when_asked(tmp_path):
    with pytest.raises(WarrantError) as raised:
        api.Case.open(tmp_path / "cse.db", create=False)
    assert [d.code for d in raised.value.diagnostics] == ["S004"]
    assert list(tmp_path.iterdir()) == []
    assert_no_case(tmp_path / "cse.db")
    with api.Case.open(tmp_path / "case.db") as case:
        assert case.runs() == []
    with api.Case.open(tmp_path / "case.db", create=False) as case:
        assert case.runs() == []
