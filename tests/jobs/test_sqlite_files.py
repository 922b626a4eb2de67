"""Every embedded SQLite store opens a new file safely while other processes open it too."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from lifestream.installations.store import SqliteWorkspaceStore
from lifestream.search.local_index import LocalIndex
from lifestream.seen.sqlite import SQLiteSeenStore
from lifestream.workers.jobstore.sqlite import SQLiteJobStore

STORES = [SQLiteJobStore, LocalIndex, SQLiteSeenStore, SqliteWorkspaceStore]


def _open_together(store, path, openers: int = 6) -> list[Exception]:
    barrier = threading.Barrier(openers)
    errors: list[Exception] = []

    def open_store() -> None:
        barrier.wait()
        try:
            opened = store(path)
            getattr(opened, "close", lambda: None)()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("store", STORES, ids=lambda s: s.__name__)
def test_processes_opening_a_new_store_together_all_get_it(store, tmp_path):
    """Switching a new file to WAL deadlocks two openers, and SQLite then answers "locked" at once:
    the loser must wait and retry, not fail the bot's start (seen in CI: a submission thread lost)."""
    for trial in range(40):
        path = tmp_path / f"trial-{trial}" / "store.sqlite3"
        assert _open_together(store, path) == []
        with sqlite3.connect(path) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
