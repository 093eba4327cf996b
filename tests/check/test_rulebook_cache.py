"""Checked programs are kept in the user's cache folder and read back only while nothing they were built
from has changed: the rulebook, the files it uses, the parser and checker."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from engine.api import load_rulebook
from engine.check import cache
from engine.diagnostics import SourceMap, WarrantError
from engine.syntax.program import load_program

VALID = Path(__file__).parent / "valid"


@pytest.fixture
def rulebooks(tmp_path, monkeypatch):
    """A copy of the valid OFAC rulebook (which uses common.rules) and a private cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("WARRANT_RULEBOOK_CACHE", raising=False)
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in ("ofac_50.rules", "common.rules"):
        shutil.copy(VALID / name, folder / name)
    monkeypatch.chdir(folder)
    return folder


def _entries(tmp_path) -> list[Path]:
    return sorted((tmp_path / "cache" / "warrant" / "programs").glob("*.pickle"))


def test_a_checked_program_is_read_back_equal_with_its_sources(rulebooks, tmp_path):
    fresh, _, _ = load_program("ofac_50.rules")
    first = load_rulebook("ofac_50.rules")
    assert first == fresh and len(_entries(tmp_path)) == 1
    sources = SourceMap()
    again = cache.cached_program("ofac_50.rules", sources)
    assert again == fresh and again is not first
    assert sorted(sources.files) == ["common.rules", "ofac_50.rules"]
    assert sources.files["common.rules"].text == (rulebooks / "common.rules").read_text()
    assert load_rulebook("ofac_50.rules") == fresh


@pytest.mark.parametrize("edited", ["ofac_50.rules", "common.rules"])
def test_editing_the_rulebook_or_a_file_it_uses_parses_it_afresh(rulebooks, edited):
    load_rulebook("ofac_50.rules")
    path = rulebooks / edited
    path.write_text(path.read_text() + "\n# edited\n")
    assert cache.cached_program("ofac_50.rules") is None
    program = load_rulebook("ofac_50.rules")
    now = hashlib.sha256(path.read_text().encode()).hexdigest()
    assert {rb.path: rb.sha256 for rb in program.rulebooks}[edited] == now
    assert cache.cached_program("ofac_50.rules") == program  # stored again


def test_a_rulebook_with_errors_is_never_stored_and_fails_every_time(rulebooks, tmp_path):
    broken = rulebooks / "broken.rules"
    broken.write_text('rulebook broken "b" version "1"\nrule R "r" cites "c":\n  p(X) if q(X).\n  because "x".\n')
    for _ in range(2):
        with pytest.raises(WarrantError):
            load_rulebook("broken.rules")
    assert _entries(tmp_path) == []


def test_a_change_to_the_parser_or_checker_misses_the_cache(rulebooks, monkeypatch):
    load_rulebook("ofac_50.rules")
    assert cache.cached_program("ofac_50.rules") is not None
    monkeypatch.setattr(cache, "fingerprint", lambda: "another engine")
    assert cache.cached_program("ofac_50.rules") is None


def test_a_damaged_entry_is_a_miss_and_is_replaced(rulebooks, tmp_path):
    load_rulebook("ofac_50.rules")
    entry = _entries(tmp_path)[0]
    entry.write_bytes(b"not a pickle")
    assert cache.cached_program("ofac_50.rules") is None
    load_rulebook("ofac_50.rules")
    assert cache.cached_program("ofac_50.rules") is not None


def test_the_same_name_in_another_folder_is_another_entry(rulebooks, tmp_path, monkeypatch):
    load_rulebook("ofac_50.rules")
    other = tmp_path / "other"
    shutil.copytree(rulebooks, other)
    (other / "common.rules").write_text((other / "common.rules").read_text() + "\n# other\n")
    monkeypatch.chdir(other)
    program = load_rulebook("ofac_50.rules")
    assert "# other" in (other / "common.rules").read_text() and len(_entries(tmp_path)) == 2
    assert cache.cached_program("ofac_50.rules") == program


def test_the_cache_can_be_turned_off(rulebooks, tmp_path, monkeypatch):
    monkeypatch.setenv("WARRANT_RULEBOOK_CACHE", "0")
    assert load_rulebook("ofac_50.rules").root.id == "ofac_50"
    assert _entries(tmp_path) == [] and cache.cached_program("ofac_50.rules") is None


def test_the_cache_folder_is_private(rulebooks, tmp_path):
    load_rulebook("ofac_50.rules")
    folder = _entries(tmp_path)[0].parent
    assert (folder.stat().st_mode & 0o777) == 0o700 and (folder.parent.stat().st_mode & 0o777) == 0o700


def test_a_cache_folder_others_may_write_to_is_not_used(rulebooks, tmp_path):
    folder = tmp_path / "cache" / "warrant"
    folder.mkdir(parents=True)
    folder.chmod(0o777)
    assert load_rulebook("ofac_50.rules").root.id == "ofac_50"
    assert not (folder / "programs").exists() and cache.cached_program("ofac_50.rules") is None


def _run_entries(tmp_path) -> list[Path]:
    return sorted((tmp_path / "cache" / "warrant" / "runs").glob("*.pickle"))


def test_a_stored_runs_rulebooks_are_parsed_once_and_read_back_equal(rulebooks, tmp_path):
    from engine.api import Case

    program = load_rulebook("ofac_50.rules")
    with Case.open(tmp_path / "case.db") as case:
        run_id = case.run(program, as_of="2024-01-01", collect=False).run_id
        first = case.program_for_run(run_id)
        assert len(_run_entries(tmp_path)) == 1
        again = case.program_for_run(run_id)
    assert again == first and again is not first
    assert [rb.sha256 for rb in again.rulebooks] == [rb.sha256 for rb in program.rulebooks]
    assert again.rules == program.rules and again.declarations == program.declarations


def test_a_stored_program_is_keyed_by_path_and_text_and_by_the_code(rulebooks, tmp_path, monkeypatch):
    built = []

    def build(books):
        return lambda: built.append(books) or load_program(books[0][0])[0]

    books = [("ofac_50.rules", (rulebooks / "ofac_50.rules").read_text())]
    first = cache.stored_program(books, build(books))
    assert cache.stored_program(books, build(books)) == first and len(built) == 1
    edited = [(books[0][0], books[0][1] + "\n# edited\n")]
    cache.stored_program(edited, build(edited))
    moved = [("elsewhere/ofac_50.rules", books[0][1])]
    cache.stored_program(moved, build(moved))
    assert len(built) == 3 and len(_run_entries(tmp_path)) == 3
    monkeypatch.setattr(cache, "fingerprint", lambda: "another engine")
    cache.stored_program(books, build(books))
    assert len(built) == 4
    monkeypatch.setenv("WARRANT_RULEBOOK_CACHE", "0")
    cache.stored_program(books, build(books))
    assert len(built) == 5
