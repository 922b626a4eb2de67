"""SQLite files that several processes open at once: the embedded default's stores (jobs, index, seen keys, workspace settings).

Switching a new file to WAL needs an exclusive lock, and SQLite answers "database is locked" at once,
without calling its busy handler, when two connections would deadlock on it (two bots or workers starting
together on a new data dir). Every store opens its file here, so the loser waits and tries again.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

PATIENCE_SECONDS = 30.0


def open_shared(path: Path, schema: str = "", *, patience: float = PATIENCE_SECONDS) -> sqlite3.Connection:
    """An autocommit connection usable from any thread, the file in WAL mode, ``schema`` (idempotent) applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Autocommit: each statement is its own transaction; the callers' transitions are one statement each.
    conn = sqlite3.connect(str(path), timeout=patience, isolation_level=None, check_same_thread=False)
    deadline = time.monotonic() + patience
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            if schema:
                conn.executescript(schema)
            return conn
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            if conn.in_transaction:
                conn.rollback()
            time.sleep(0.05)
