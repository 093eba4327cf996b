"""Commands on one case file at the same time wait their turn: four `warrant` processes loading, running and
asking why, why not and what for WARRANT_CONCURRENCY_SECONDS (30 by default) all succeed, every load is
kept, and the audit chain is intact. A lock that cannot be had in WARRANT_BUSY_TIMEOUT seconds is a clear
error with exit 2."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.store import open_store

ROOT = Path(__file__).resolve().parents[2]
SECONDS = float(os.environ.get("WARRANT_CONCURRENCY_SECONDS", "30"))
WORKERS = 4
RULES = '''rulebook mini "Mini" version "1"
evidence listed(party: entity, list: text) "party appears on a sanctions list"
evidence owns(owner: entity, owned: entity, percent: percent) "direct holding"
conclusion blocked(party: entity) "blocked"
rule R1 "Listed" cites "31 CFR 501.801":
  blocked(P) if listed(P, "SDN").
  because "{P} is listed".
rule R2 "Owned 50% or more" cites "OFAC FAQ 398":
  blocked(E) if Total = sum(Pct for owns(O, E, Pct) and blocked(O)) and Total >= 50.
  because "{E} is owned {Total}% by blocked persons".
'''


def warrant(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command in a process of its own."""
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, timeout=600)


def facts(folder: Path, party: str) -> Path:
    """A small batch of its own: `party` listed, and owning half of a company of its own."""
    folder.mkdir(parents=True)
    (folder / "listed.csv").write_text(f"party,list\n{party},SDN\n", encoding="utf-8")
    (folder / "owns.csv").write_text(f"owner,owned,percent\n{party},{party}_co,50\n", encoding="utf-8")
    return folder


@dataclass
class Outcome:
    command: tuple[str, ...]
    returncode: int
    stderr: str


def _worker(index: int, cwd: Path, deadline: float, outcomes: list, loaded: list) -> None:
    """Load, ask why, run, ask why not, query, and again, until `deadline` (at least once each)."""
    step = index
    while time.monotonic() < deadline or step < index + 5:
        kind = ("load", "why", "run", "whynot", "query")[step % 5]
        if kind == "load":
            party = f"P{index}_{step}"
            folder = facts(cwd / "batches" / party, party)
            command = ("load", "mini.rules", str(folder), "--db", "case.db")
            loaded.append(party)
        else:
            command = {"why": ("why", 'blocked("X")', "--db", "case.db"),
                       "run": ("run", "mini.rules", "--db", "case.db"),
                       "whynot": ("whynot", 'blocked("nobody")', "--db", "case.db"),
                       "query": ("query", "blocked(X)", "--db", "case.db")}[kind]
        done = warrant(*command, cwd=cwd)
        outcomes.append(Outcome(command, done.returncode, done.stderr))
        step += 1


@pytest.fixture
def case(tmp_path) -> Path:
    """A folder with the rulebook and a case file holding one load and one run."""
    (tmp_path / "mini.rules").write_text(RULES, encoding="utf-8")
    first = warrant("run", "mini.rules", "--facts", str(facts(tmp_path / "batches" / "X", "X")), "--db", "case.db",
                    cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    return tmp_path


@pytest.mark.sqlite_only(reason="SQLite's busy waiting on one case file; on PostgreSQL the advisory write lock is "
                                "tested by test_concurrent_loads.py[postgres] and test_postgres.py")
def test_four_processes_loading_running_and_asking_wait_their_turn(case):
    outcomes: list[Outcome] = []
    loaded: list[str] = ["X"]
    deadline = time.monotonic() + SECONDS
    threads = [threading.Thread(target=_worker, args=(i, case, deadline, outcomes, loaded)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    failed = [o for o in outcomes if o.returncode != 0]
    assert not failed, f"{len(failed)} of {len(outcomes)} commands failed, first: {failed[0]}"
    assert {o.command[0] for o in outcomes} == {"load", "why", "run", "whynot", "query"}
    with sqlite3.connect(case / "case.db") as conn:
        listed = sorted(row[0] for row in conn.execute("SELECT party FROM ev_listed"))
        loads = conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'evidence.load'").fetchone()[0]
    assert listed == sorted(loaded) and loads == len(loaded)
    verified = warrant("audit", "verify", "--db", "case.db", cwd=case)
    assert verified.returncode == 0 and "audit log intact" in verified.stdout, verified.stderr


@contextlib.contextmanager
def write_lock(path: Path):
    """Another writer holding the case file's write lock while the block runs."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def _opened(process: subprocess.Popen, path: Path) -> bool:
    """Whether `process` has the file at `path` open."""
    with contextlib.suppress(OSError):
        return any(os.readlink(f"/proc/{process.pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{process.pid}/fd"))
    return False


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="finds open files in /proc")
@pytest.mark.sqlite_only(reason="a SQLite write lock held on the case file by sqlite3, past SQLite's own 5 s default")
def test_commands_wait_for_a_write_longer_than_sqlites_default_five_seconds(case):
    commands = [("why", 'blocked("X")'), ("load", "mini.rules", str(facts(case / "batches" / "Y", "Y"))),
                ("run", "mini.rules")]
    case_file = (case / "case.db").resolve()
    with write_lock(case_file):
        waiting = [subprocess.Popen([sys.executable, "-m", "engine.cli", *command, "--db", "case.db"], cwd=case,
                                    env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True) for command in commands]
        deadline = time.monotonic() + 120
        while not all(_opened(w, case_file) for w in waiting) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(7)  # SQLite's own default gives up after 5 s
        assert [w.poll() for w in waiting] == [None] * len(commands)
    done = [w.communicate(timeout=120) for w in waiting]
    assert [w.returncode for w in waiting] == [0] * len(commands), [err for _, err in done]
    with sqlite3.connect(case_file) as conn:
        assert sorted(row[0] for row in conn.execute("SELECT party FROM ev_listed")) == ["X", "Y"]


@pytest.mark.sqlite_only(reason="a SQLite write lock held on the case file by sqlite3; on PostgreSQL: "
                                "test_postgres.py::test_a_writer_waits_for_another_then_gives_up_with_s005")
def test_a_lock_held_past_the_timeout_is_a_clear_error_with_exit_2(case):
    with write_lock(case / "case.db"):
        started = time.monotonic()
        done = warrant("why", 'blocked("X")', "--db", "case.db", cwd=case, env={"WARRANT_BUSY_TIMEOUT": "1"})
        waited = time.monotonic() - started
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error: the case file case.db is busy" in done.stderr and "WARRANT_BUSY_TIMEOUT" in done.stderr
    assert waited >= 1


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "\u0665"])
def test_a_busy_timeout_that_is_not_a_number_of_seconds_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.chdir(tmp_path)
    open_store("case.db").close()
    monkeypatch.setenv("WARRANT_BUSY_TIMEOUT", value)
    result = CliRunner().invoke(main, ["runs", "--db", "case.db"])
    assert result.exit_code == 2 and "is not a number of seconds" in result.stderr and result.exception is not None
    assert isinstance(result.exception, SystemExit)
