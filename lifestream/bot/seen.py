"""Remember which chat events and shared files were already handled.

Slack re-sends an event it thinks we missed (X-Slack-Retry-Num), and the same
file can arrive as two events; each must lead to one reply, not two.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

# Slack retries within minutes; a day covers any redelivery with room to spare.
KEEP_SECONDS = 24 * 3600


class SeenStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS seen (key TEXT PRIMARY KEY, at REAL NOT NULL)")
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """True for the first caller with this key (atomically, across processes)."""
        now = time.time()
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE at < ?", (now - KEEP_SECONDS,))
            return self._db.execute("INSERT OR IGNORE INTO seen (key, at) VALUES (?, ?)", (key, now)).rowcount == 1

    def forget(self, key: str) -> None:
        """Handle the key again next time (a request refused for now, e.g. no download slot, may be repeated)."""
        with self._lock:
            self._db.execute("DELETE FROM seen WHERE key = ?", (key,))

    def close(self) -> None:
        self._db.close()
