"""A load killed with SIGKILL leaves the case file as it was; the progress bar only on a terminal."""

import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.store import load_facts, open_store

from .conftest import FIXTURES, dump

WORKER = Path(__file__).with_name("load_worker.py")
RULES = FIXTURES / "demo.rules"


def _worker(case_file, facts_dir, mode, **kwargs):
    args = [sys.executable, str(WORKER), str(case_file), str(RULES), str(facts_dir), mode]
    return subprocess.Popen(args, cwd=Path(__file__).parent.parent.parent, **kwargs)


def _big_facts(folder: Path, rows: int) -> Path:
    folder.mkdir()
    with open(folder / "owns.csv", "w", encoding="utf-8") as out:
        out.write("owner,owned,percent\n")
        out.writelines(f"E{i},F{i},{i % 100}\n" for i in range(rows))
    return folder


@pytest.mark.sqlite_only(reason="watches the case file's write-ahead log fill; on PostgreSQL: the test below")
def test_kill_9_during_a_load_leaves_the_store_unchanged(tmp_path, program):
    case_file = tmp_path / "case.db"
    with open_store(case_file) as store:
        load_facts(store, program, FIXTURES / "facts_ok", now="2024-06-01")
        before = dump(store)
    big = _big_facts(tmp_path / "big", 300_000)
    wal = Path(str(case_file) + "-wal")
    child = _worker(case_file, big, "off", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 14
    while time.monotonic() < deadline and child.poll() is None:
        if wal.exists() and wal.stat().st_size > 1_000_000:  # uncommitted pages spilled into the WAL
            break
        time.sleep(0.02)
    assert child.poll() is None, "the load ended before it could be killed"
    assert wal.stat().st_size > 1_000_000
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    with open_store(case_file) as store:
        assert store.conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert dump(store) == before


def test_kill_9_during_a_load_on_postgresql_leaves_the_case_unchanged(tmp_path, program, postgres_url):
    with open_store(postgres_url) as store:
        load_facts(store, program, FIXTURES / "facts_ok", now="2024-06-01")
        before = dump(store)
        child = _worker(postgres_url, _big_facts(tmp_path / "big", 300_000), "off", stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE)
        deadline = time.monotonic() + 14
        while time.monotonic() < deadline and child.poll() is None:
            if store.conn.execute("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND pid <> "
                                  "pg_backend_pid() AND xact_start IS NOT NULL AND query LIKE 'COPY %'").fetchone():
                break  # the load is staging its rows
            time.sleep(0.02)
        assert child.poll() is None, "the load ended before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.returncode == -signal.SIGKILL
        assert dump(store) == before


def _small_facts(tmp_path) -> Path:
    folder = tmp_path / "small"
    folder.mkdir()
    (folder / "listed.csv").write_text("party,list\nA,SDN\n", encoding="utf-8")
    return folder


def test_no_progress_output_when_stderr_is_a_pipe(tmp_path):
    child = _worker(tmp_path / "case.db", _small_facts(tmp_path), "auto", stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE)
    out, err = child.communicate(timeout=30)
    assert (child.returncode, out.strip(), err) == (0, b"1", b"")


def test_progress_shown_when_stderr_is_a_terminal(tmp_path):
    leader, follower = pty.openpty()
    child = _worker(tmp_path / "case.db", _small_facts(tmp_path), "auto", stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    out, _ = child.communicate(timeout=30)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert child.returncode == 0 and out.strip() == b"1"
    assert b"loading facts" in shown
