"""Seen keys in a SQLite file: every process on one machine shares it (the default)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from lifestream.seen.base import KEEP_SECONDS, SeenStore
from lifestream.sqlite_files import open_shared


class SQLiteSeenStore(SeenStore):
    def __init__(self, path: Path, *, keep_seconds: float = KEEP_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self._db = open_shared(path, "CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL);")
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
