"""The forked process of the two-process lane dies with its parent: after `warrant load` is ended by SIGKILL
or SIGTERM in the middle of a large plain CSV file, no process of it is left, and the case file is as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.store import load_facts, open_store, parallel
from engine.store.backend import SQLITE, dialect

from .conftest import FIXTURES, dump

ROOT = Path(__file__).resolve().parents[2]
RULES = FIXTURES / "demo.rules"

pytestmark = pytest.mark.skipif(not (parallel.can_fork() and Path("/proc/self/stat").exists()),
                                reason="needs two cores, fork() and /proc")


@pytest.fixture(autouse=True)
def second_process_whatever_the_load(monkeypatch):
    """The `warrant load` below forks its second process even when the machine's other cores are busy."""
    monkeypatch.setenv("WARRANT_LOAD_PROCESSES", "2")


def _stat(pid: int) -> tuple[int, str, int] | None:
    """(parent pid, state, start time) of a process, None when there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[19])


def _children(pid: int) -> dict[int, int]:
    """The live child processes of `pid`: pid -> start time."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None and stat[0] == pid and stat[1] != "Z":
            found[int(entry)] = stat[2]
    return found


def _alive(pid: int, started: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[2] == started and stat[1] != "Z"


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    """A facts folder with one plain CSV file of 8 MiB, split between two processes."""
    folder = tmp_path_factory.mktemp("big")
    with open(folder / "owns.csv", "w", encoding="utf-8") as out:
        out.write("owner,owned,percent\n")
        out.writelines(f"E{i},F{i},{i % 100}\n" for i in range(480_000))
    assert (folder / "owns.csv").stat().st_size >= 2 * parallel.MIN_BYTES
    return folder


# the command, as installed; or with the kernel not asked to kill the worker (as on systems other than Linux),
# which then sees that its parent is gone by the end of file of a pipe
WARRANT = {"prctl": ["-m", "engine.cli"],
           "pipe only": ["-c", "from engine.store import parallel; parallel.PR_SET_PDEATHSIG = 0  # not an option\n"
                                "from engine.cli import main; main(prog_name='warrant')"]}


@pytest.mark.parametrize("sig, how", [(signal.SIGKILL, "prctl"), (signal.SIGTERM, "prctl"), (signal.SIGKILL, "pipe only")],
                         ids=["SIGKILL", "SIGTERM", "SIGKILL-pipe-only"])
def test_the_worker_dies_with_its_parent(tmp_path, program, big, sig, how):
    case_file = tmp_path / "case.db"
    with open_store(case_file) as store:
        load_facts(store, program, FIXTURES / "facts_ok", now="2024-06-01")
        before = dump(store)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # and the suite's, if any
    parent = subprocess.Popen([sys.executable, *WARRANT[how], "load", str(RULES), str(big), "--db", str(case_file)],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": path},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline, workers = time.monotonic() + 60, {}
    while not workers and parent.poll() is None and time.monotonic() < deadline:
        workers = _children(parent.pid)
        time.sleep(0.01)
    assert workers and parent.poll() is None, "the load ended before its worker could be seen"
    time.sleep(0.2)  # the worker is under way
    assert all(_alive(pid, started) for pid, started in workers.items()), "the worker ended before its parent was killed"
    parent.send_signal(sig)
    assert parent.wait(timeout=30) == -sig
    gone_by = time.monotonic() + 5
    while any(_alive(pid, started) for pid, started in workers.items()) and time.monotonic() < gone_by:
        time.sleep(0.05)
    left = [pid for pid, started in workers.items() if _alive(pid, started)]
    for pid in left:  # do not leave it behind for the next test
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes {left} outlived their parent"
    with open_store(case_file) as store:
        if dialect(store.conn) == SQLITE:  # a file's pages; PostgreSQL's server recovers its own
            assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert dump(store) == before
