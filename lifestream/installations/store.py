"""Where each workspace's chosen settings are kept: beside its Slack installation.

SQLite in the data dir by default (the same file as bolt's SQLite installation
store), or the installations bucket in the cloud (``LIFESTREAM_INSTALLATIONS_BUCKET``,
the bucket bolt's ``AmazonS3InstallationStore`` writes to), so a workspace's
tokens and its settings live, and are deleted, together.
"""

from __future__ import annotations

import json
import threading
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from lifestream.errors import ConfigError, TransientError
from lifestream.installations.workspace import Overrides, check_workspace_id
from lifestream.settings import Settings
from lifestream.sqlite_files import open_shared

DATABASE = "installations.sqlite3"
SETTINGS_KEY = "workspaces/{workspace}/settings.json"
DELETIONS = "deletions/"  # + workspace: a deletion under way (the body: since when), until it has finished


class WorkspaceStore(ABC):
    @abstractmethod
    def overrides(self, workspace: str) -> Overrides:
        """What the workspace chose (nothing set: it follows the server)."""

    @abstractmethod
    def save(self, workspace: str, overrides: Overrides, *, by: str) -> None:
        """Replace the workspace's choices; ``by`` says who (e.g. "slack:T1:U2"), for the record."""

    @abstractmethod
    def delete(self, workspace: str) -> None:
        """Forget the workspace's choices (it was uninstalled)."""

    # A workspace's deletion takes a while (running jobs stop first) and must survive a restart:
    # it is recorded here when it starts and cleared when it has finished.

    @abstractmethod
    def start_deletion(self, workspace: str, since: float) -> None:
        """Record that everything the workspace had before ``since`` is to be deleted."""

    @abstractmethod
    def deletions(self) -> dict[str, float]:
        """Deletions under way: workspace -> since."""

    @abstractmethod
    def finish_deletion(self, workspace: str, since: float) -> None:
        """Clear the record, unless a later deletion of the workspace has started meanwhile."""

    def close(self) -> None:
        pass


def _record(overrides: Overrides, by: str) -> str:
    return json.dumps({"overrides": overrides.chosen(), "updated_at": time.time(), "updated_by": by})


def _overrides(record: str | bytes) -> Overrides:
    return Overrides.model_validate(json.loads(record).get("overrides") or {})


class SqliteWorkspaceStore(WorkspaceStore):
    def __init__(self, path: Path) -> None:
        self._db = open_shared(
            path,
            "CREATE TABLE IF NOT EXISTS workspace_settings (workspace TEXT PRIMARY KEY, record TEXT NOT NULL);\n"
            "CREATE TABLE IF NOT EXISTS workspace_deletions (workspace TEXT PRIMARY KEY, since REAL NOT NULL);",
        )
        self._lock = threading.Lock()

    def overrides(self, workspace: str) -> Overrides:
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM workspace_settings WHERE workspace = ?", (check_workspace_id(workspace),)
            ).fetchone()
        return _overrides(row[0]) if row else Overrides()

    def save(self, workspace: str, overrides: Overrides, *, by: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO workspace_settings (workspace, record) VALUES (?, ?)",
                (check_workspace_id(workspace), _record(overrides, by)),
            )

    def delete(self, workspace: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM workspace_settings WHERE workspace = ?", (check_workspace_id(workspace),))

    def start_deletion(self, workspace: str, since: float) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO workspace_deletions (workspace, since) VALUES (?, ?)",
                (check_workspace_id(workspace), since),
            )

    def deletions(self) -> dict[str, float]:
        with self._lock:
            return dict(self._db.execute("SELECT workspace, since FROM workspace_deletions").fetchall())

    def finish_deletion(self, workspace: str, since: float) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM workspace_deletions WHERE workspace = ? AND since <= ?",
                (check_workspace_id(workspace), since),
            )

    def close(self) -> None:
        self._db.close()


class S3WorkspaceStore(WorkspaceStore):
    def __init__(self, client: Any, bucket: str) -> None:
        self.client, self.bucket = client, bucket

    def _key(self, workspace: str) -> str:
        return SETTINGS_KEY.format(workspace=check_workspace_id(workspace))

    def overrides(self, workspace: str) -> Overrides:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self._key(workspace))["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return Overrides()
        except Exception as exc:
            raise _s3_error(exc) from exc
        return _overrides(body)

    def save(self, workspace: str, overrides: Overrides, *, by: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(workspace),
                Body=_record(overrides, by).encode(),
                ContentType="application/json",
            )
        except Exception as exc:
            raise _s3_error(exc) from exc

    def delete(self, workspace: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self._key(workspace))
        except Exception as exc:
            raise _s3_error(exc) from exc

    def start_deletion(self, workspace: str, since: float) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=DELETIONS + check_workspace_id(workspace),
                Body=repr(since).encode(),
                ContentType="text/plain",
            )
        except Exception as exc:
            raise _s3_error(exc) from exc

    def deletions(self) -> dict[str, float]:
        found: dict[str, float] = {}
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=DELETIONS):
                for item in page.get("Contents", []):
                    body = self.client.get_object(Bucket=self.bucket, Key=item["Key"])["Body"].read()
                    found[item["Key"].removeprefix(DELETIONS)] = float(body)
        except Exception as exc:
            raise _s3_error(exc) from exc
        return found

    def finish_deletion(self, workspace: str, since: float) -> None:
        if self.deletions().get(workspace, since) <= since:  # not a later deletion's record
            try:
                self.client.delete_object(Bucket=self.bucket, Key=DELETIONS + check_workspace_id(workspace))
            except Exception as exc:
                raise _s3_error(exc) from exc


def _s3_error(exc: Exception) -> Exception:
    from botocore.exceptions import BotoCoreError, ClientError  # (only ever with boto3 loaded already)

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("NoSuchBucket", "AccessDenied", "403"):
            return ConfigError(
                f"the installations bucket refused the request ({code}); check "
                "LIFESTREAM_INSTALLATIONS_BUCKET and the task's access to it."
            )
        return TransientError(f"the installations bucket is unavailable for now ({code}).")
    if isinstance(exc, BotoCoreError):
        return TransientError(f"cannot reach the installations bucket ({exc.__class__.__name__}).")
    return exc


def s3_client(settings: Settings) -> Any:
    """A boto3 S3 client for the installations bucket (same endpoint and region as the data bucket)."""
    # boto3 takes a second to import: only processes with a bucket configured pay for it.
    import boto3
    from botocore.config import Config

    config = Config(
        signature_version="s3v4",
        retries={"mode": "standard", "max_attempts": 5},
        s3={"addressing_style": "path" if settings.s3_endpoint_url else "auto"},
    )
    return boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name=settings.s3_region, config=config)


def get_workspace_store(settings: Settings) -> WorkspaceStore:
    if settings.installations_bucket:
        return S3WorkspaceStore(s3_client(settings), settings.installations_bucket)
    return SqliteWorkspaceStore(settings.data_dir / DATABASE)
