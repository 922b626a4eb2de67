"""Seen keys in a SQLite file: every process on one machine shares it (the default)."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from lifestream.seen.base import KEEP_SECONDS, SeenStore


class SQLiteSeenStore(SeenStore):
    def __init__(self, path: Path, *, keep_seconds: float = KEEP_SECONDS) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.keep_seconds = keep_seconds
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE at < ?", (now - self.keep_seconds,))
            return self._db.execute("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (key, now)).rowcount == 1

    def forget(self, key: str) -> None:
        """Handle the key again next time (a request refused for now, e.g. no download slot, may be repeated)."""
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE key = ?", (key,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
