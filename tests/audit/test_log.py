"""The audit log is hash-chained: every kind of tampering is caught and the first bad entry named."""

import pytest

from engine.audit import log
from engine.store.schema import open_store

from tamper import REFUSED, unguard


@pytest.fixture
def conn(tmp_path):
    store = open_store(tmp_path / "case.db")
    c = store.conn
    for i, action in enumerate(["rulebook.register", "evidence.load", "run", "view.why", "view.whynot"], 1):
        log.append(c, action, f"subject-{i}", {"n": i}, actor="alice", at=f"2026-11-24T10:00:0{i}.000000Z")
    yield c
    store.close()


def _raw(conn):
    """Tampering as someone with the file would do it: around the append-only triggers."""
    unguard(conn, "audit_log_no_update")
    unguard(conn, "audit_log_no_delete")
    return conn


def test_intact_chain_verifies(conn):
    report = log.verify(conn)
    assert report.ok and report.entries == 5 and report.first_bad is None


def test_triggers_refuse_update_and_delete(conn):
    with pytest.raises(REFUSED, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(REFUSED, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE seq = 2")


def test_edited_entry_is_named(conn):
    _raw(conn).execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    report = log.verify(conn)
    assert not report.ok and report.first_bad == 3 and "edited" in report.reason


def test_edited_entry_with_recomputed_hash_breaks_the_next_link(conn):
    _raw(conn)
    row = conn.execute("SELECT * FROM audit_log WHERE seq = 2").fetchone()
    forged = log.entry_hash(2, row[1], "mallory", row[3], row[4], {"n": 2}, row[6])
    conn.execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2", [forged])
    report = log.verify(conn)
    assert not report.ok and report.first_bad == 3 and "does not follow" in report.reason


def test_deleted_entry_is_named(conn):
    _raw(conn).execute("DELETE FROM audit_log WHERE seq = 2")
    report = log.verify(conn)
    assert not report.ok and report.first_bad == 3 and "deleted" in report.reason


def test_inserted_entry_is_named(conn):
    _raw(conn)
    conn.execute("UPDATE audit_log SET seq = seq + 10 WHERE seq >= 3")
    conn.execute("INSERT INTO audit_log SELECT 3, at, actor, 'run', entity, details, prev_hash, hash FROM audit_log WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = seq - 9 WHERE seq >= 13")
    report = log.verify(conn)
    assert not report.ok and report.first_bad == 3


def test_reordered_entries_are_named(conn):
    _raw(conn)
    conn.execute("UPDATE audit_log SET seq = 99 WHERE seq = 2")
    conn.execute("UPDATE audit_log SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE audit_log SET seq = 3 WHERE seq = 99")
    report = log.verify(conn)
    assert not report.ok and report.first_bad == 2 and "does not follow" in report.reason


def test_filters(conn):
    assert [e.seq for e in log.entries(conn, action="run")] == [3]
    assert [e.seq for e in log.entries(conn, entity="subject-4")] == [4]
    assert [e.seq for e in log.entries(conn, since="2026-11-24T10:00:04", until="2026-11-24T10:00:09")] == [4, 5]
    assert log.entries(conn, actor="bob") == []
