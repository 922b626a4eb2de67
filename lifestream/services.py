"""Everything a LifeStream process talks to, built once from ``Settings`` and handed down explicitly.

The entry point (``lifestream serve``, ``lifestream worker``, the other CLI
commands) makes one ``Services`` and passes it to whatever needs it: the aiohttp
app (``lifestream.server``), the Slack and Teams bots, the HTTP API and pages,
the Dramatiq actor and the worker. Nothing below reaches for a global or a
cache of its own, so a test builds a ``Services`` on a temporary data dir, or
hands in a double, and gets the same wiring as production::

    services = Services(Settings())
    services.events.subscribe(notifier)     # job events -> chat threads
    submit_file(path, services=services)    # storage, job store and queue, all from here
    ask(question, scope, settings=services.settings, index=services.index)

Backends are opened on first use, each once, so a command that never touches
the search index (``lifestream jobs list``) never opens it. Which backend each
one is comes from the settings (see their factories): a local folder or S3,
SQLite or DynamoDB (jobs, seen chat events), the local index or Pinecone, the embedded broker, Redis
or SQS.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from lifestream.downloads import Downloads
from lifestream.installations import (
    SlackInstallations,
    WorkspaceSettings,
    WorkspaceStore,
    applied,
    get_workspace_store,
    server_defaults,
)
from lifestream.pipeline.isolation import PipelinePool
from lifestream.retention_rules import RetentionRules
from lifestream.search import SearchIndex, get_index
from lifestream.seen import SeenStore, get_seen_store
from lifestream.settings import Settings
from lifestream.storage import Storage, get_storage
from lifestream.workers.broker import JobQueue
from lifestream.workers.hooks import JobEvents
from lifestream.workers.jobstore import Job, JobStore, get_job_store

T = TypeVar("T")


class Services:
    """Settings, storage, job store, search index, job queue and job-event callbacks of one process."""

    def __init__(self, settings: Settings, *, storage: Storage | None = None, store: JobStore | None = None,
                 index: SearchIndex | None = None, queue: JobQueue | None = None,
                 events: JobEvents | None = None) -> None:
        self.settings = settings
        self._storage = storage
        self._store = store
        self._index = index
        self._workspaces: WorkspaceStore | None = None
        self._slack: SlackInstallations | None = None
        self._seen: SeenStore | None = None
        self.queue = queue or JobQueue(settings)
        self.events = events or JobEvents()
        self._pipelines: PipelinePool | None = None
        self._downloads: Downloads | None = None
        self._lock = threading.Lock()

    def _once(self, name: str, make: Callable[[], T]) -> T:
        value = getattr(self, name)
        if value is None:
            with self._lock:
                value = getattr(self, name)
                if value is None:
                    value = make()
                    setattr(self, name, value)
        return value

    @property
    def storage(self) -> Storage:
        """Recordings and results: ``LIFESTREAM_S3_BUCKET``, else the data dir."""
        return self._once("_storage", lambda: get_storage(self.settings))

    @property
    def store(self) -> JobStore:
        """Jobs and their states: ``LIFESTREAM_JOBS_TABLE`` (DynamoDB), else SQLite in the data dir."""
        return self._once("_store", lambda: get_job_store(self.settings, expiry=self.record_expiry))

    def record_expiry(self, job: Job) -> float | None:
        """When a finished job's record may expire from the job store: a week past its meeting's deletion
        under its workspace's retention in force (``LIFESTREAM_RETENTION_DAYS`` or the workspace's own)."""
        workspace = job.origin.workspace if job.origin is not None else None
        days = self.workspace_settings(workspace).retention_days
        return RetentionRules(meeting_days=days).record_until(job.created_at)

    @property
    def index(self) -> SearchIndex:
        """The search index: ``LIFESTREAM_INDEX_BACKEND`` (local SQLite or Pinecone)."""
        return self._once("_index", lambda: get_index(self.settings))

    @property
    def seen(self) -> SeenStore:
        """Chat events and files already handled: ``LIFESTREAM_IDEMPOTENCY_TABLE`` (DynamoDB, shared by every
        bot task), else SQLite in the data dir."""
        return self._once("_seen", lambda: get_seen_store(self.settings))

    @property
    def workspaces(self) -> WorkspaceStore:
        """What each workspace chose for itself: beside its installation (SQLite, or the installations bucket)."""
        return self._once("_workspaces", lambda: get_workspace_store(self.settings))

    @property
    def slack(self) -> SlackInstallations:
        """Slack workspaces' bot tokens: the one static token, or each installation's (OAuth)."""
        return self._once("_slack", lambda: SlackInstallations(self.settings))

    def workspace_settings(self, workspace: str | None) -> WorkspaceSettings:
        """The settings in force for a workspace: its own choices over the server's environment.

        ``None`` (a recording processed from the command line) gets the server's.
        """
        defaults = server_defaults(self.settings)
        return defaults if workspace is None else self.workspaces.overrides(workspace).apply(defaults)

    def settings_for(self, workspace: str | None) -> Settings:
        """The process's settings with a workspace's choices applied: what a job of that workspace runs with."""
        return applied(self.settings, self.workspace_settings(workspace))

    @property
    def downloads(self) -> Downloads:
        """The download slots of this process (lifestream.downloads)."""
        return self._once("_downloads", lambda: Downloads.from_settings(self.settings))

    @property
    def pipelines(self) -> PipelinePool:
        """The child processes recordings are processed in, so a crash in native code ends one job, not
        the worker or the server it runs in (``LIFESTREAM_PIPELINE_PROCESSES``)."""
        return self._once("_pipelines", lambda: PipelinePool(
            max_processes=self.settings.pipeline_processes,
            jobs_per_process=self.settings.pipeline_jobs_per_process))

    def close(self) -> None:
        """Close what was opened (the server's cleanup, the end of a worker)."""
        if self._pipelines is not None:
            self._pipelines.close()
        self.queue.close()
        if self._store is not None:
            self._store.close()
        if self._workspaces is not None:
            self._workspaces.close()
        if self._seen is not None:
            self._seen.close()
        close_index = getattr(self._index, "close", None)  # the local index holds a database; Pinecone nothing
        if close_index is not None:
            close_index()
