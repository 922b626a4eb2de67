"""The job store in one SQLite file in the data dir (the default: no server).

Each transition is a single ``UPDATE ... WHERE <expected state> RETURNING``
statement, which SQLite applies atomically even with several worker
processes on the same file (WAL mode, a busy timeout instead of errors).
"""

from __future__ import annotations

import builtins
import json
import sqlite3
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

from lifestream.errors import ConfigError, TransientError
from lifestream.sqlite_files import open_shared
from lifestream.workers.jobstore.base import _ANY, JSON_FIELDS, Job, JobState, JobStore

_COLUMNS = list(Job.model_fields)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    {", ".join(f"{c}" for c in _COLUMNS if c != "id")}
);
CREATE UNIQUE INDEX IF NOT EXISTS jobs_idempotency ON jobs (idempotency_key);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, created_at);
CREATE INDEX IF NOT EXISTS jobs_workspace ON jobs (json_extract(origin, '$.workspace'), created_at);
CREATE INDEX IF NOT EXISTS jobs_recording ON jobs (storage_key);
"""


def _to_row(job: Job) -> dict[str, Any]:
    row = job.model_dump(mode="json")
    for name in JSON_FIELDS:
        row[name] = json.dumps(row[name], sort_keys=True)
    row["completion_announced"] = int(row["completion_announced"])
    return row


def _from_row(row: sqlite3.Row) -> Job:
    data = dict(row)
    for name in JSON_FIELDS:
        text = data.pop(name, None)
        if text:  # NULL: a record from before the field gets its default
            data[name] = json.loads(text)
    data["completion_announced"] = bool(data["completion_announced"])
    return Job.model_validate(data)


def _db_value(value: Any) -> Any:
    if isinstance(value, JobState):
        return value.value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return value


class SQLiteJobStore(JobStore):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            # secure_delete: a deleted job's record is overwritten, not freed.
            self._conn = open_shared(self.path, "PRAGMA secure_delete=ON;\n" + _SCHEMA)
            self._conn.row_factory = sqlite3.Row
            self._add_new_columns()
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open the job store {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def _add_new_columns(self) -> None:
        """A job store made by an older version gets the columns of fields added since (NULL: their default)."""
        have = {row["name"] for row in self._conn.execute("PRAGMA table_info(jobs)")}
        for column in _COLUMNS:
            if column not in have:
                try:
                    self._conn.execute(f"ALTER TABLE jobs ADD COLUMN {column}")
                except sqlite3.OperationalError as exc:  # another process added it first
                    if "duplicate column" not in str(exc):
                        raise

    def _execute(self, sql: str, params: Collection[Any] = ()) -> list[sqlite3.Row]:
        try:
            with self._lock:
                return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.OperationalError as exc:  # "database is locked" past the timeout, disk full
            raise TransientError(f"job store {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _insert(self, job: Job) -> bool:
        row = _to_row(job)
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        # DO NOTHING on either unique key: the existing job wins, and the caller reads it back.
        inserted = self._execute(f"INSERT INTO jobs ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING RETURNING id",
                                 list(row.values()))
        return bool(inserted)

    def get(self, job_id: str) -> Job | None:
        rows = self._execute("SELECT * FROM jobs WHERE id = ?", [job_id])
        return _from_row(rows[0]) if rows else None

    def delete(self, job_id: str) -> bool:
        deleted = bool(self._execute("DELETE FROM jobs WHERE id = ? RETURNING id", [job_id]))
        if deleted:  # the write-ahead log still holds the record's old page: checkpoint it and empty the log
            self._execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    def list(self, states: Collection[JobState] | None = None, limit: int = 100, *,
             announced: bool | None = None, workspace: str | None = None) -> builtins.list[Job]:
        where: list[str] = ["1"]
        params: list[Any] = []
        if workspace is not None:
            where.append("json_extract(origin, '$.workspace') = ?")
            params.append(workspace)
        if states:
            where.append(f"state IN ({', '.join('?' for _ in states)})")
            params += [JobState(s).value for s in states]
        if announced is not None:
            where.append("completion_announced = ?")
            params.append(int(announced))
        sql = f"SELECT * FROM jobs WHERE {' AND '.join(where)} ORDER BY created_at DESC LIMIT ?"
        return [_from_row(r) for r in self._execute(sql, [*params, limit])]

    def with_recording(self, storage_key: str) -> builtins.list[Job]:
        return [_from_row(r) for r in self._execute("SELECT * FROM jobs WHERE storage_key = ?", [storage_key])]

    def _cas(self, job_id: str, changes: dict[str, Any], *, states: Collection[JobState], owner: Any = _ANY,
             lease_before: float | None = None, announced: bool | None = None,
             add_attempt: bool = False) -> Job | None:
        changes = {**changes, "updated_at": time.time()}
        sets = [f"{col} = ?" for col in changes]
        params: list[Any] = [_db_value(v) for v in changes.values()]
        if add_attempt:
            sets.append("attempts = attempts + 1")
        where = ["id = ?", f"state IN ({', '.join('?' for _ in states)})"]
        params += [job_id, *(JobState(s).value for s in states)]
        if owner is not _ANY:
            where.append("owner = ?")
            params.append(owner)
        if lease_before is not None:
            where.append("(lease_until IS NULL OR lease_until < ?)")
            params.append(lease_before)
        if announced is not None:
            where.append("completion_announced = ?")
            params.append(int(announced))
        rows = self._execute(f"UPDATE jobs SET {', '.join(sets)} WHERE {' AND '.join(where)} RETURNING *", params)
        return _from_row(rows[0]) if rows else None
