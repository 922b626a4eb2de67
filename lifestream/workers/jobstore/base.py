"""The job record and the one job-store interface, whatever the backend.

Every change of state is a compare-and-set: the backend applies it only if
the record is still in the state (and, where it matters, held by the owner)
the caller saw. That is what lets two submitters, two workers, or a worker
and its own redelivered message race without making two jobs, running one
job twice at once, or announcing a completion twice.

A job that is ``processing`` holds a lease (``owner``, ``lease_until``) that
its worker renews while it runs. A worker killed with SIGKILL stops renewing;
once the lease has run out any worker may claim the job again.
"""

from __future__ import annotations

import builtins
import hashlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from lifestream.origin import OptionalOrigin
from lifestream.storage.base import result_prefix


class JobState(StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


# Fields kept as JSON text in stores whose columns hold scalars (SQLite; DynamoDB keeps maps as strings too).
JSON_FIELDS = ("origin", "stage_seconds")
FINAL_STATES = frozenset({JobState.COMPLETED, JobState.FAILED, JobState.CANCELLED})
# The final states a chat is told about (minutes, or why not); completion_announced says it was, fully.
ANNOUNCED_STATES = (JobState.COMPLETED, JobState.FAILED)
FAILURES_ANNOUNCED_WITHIN_S = 24 * 3600.0


def job_id_for(idempotency_key: str) -> str:
    """Derived from the idempotency key, so the primary key itself refuses a duplicate job.

    For a recording's content hash it is the hash's first 16 digits: the meeting id that
    ``lifestream process`` gives the same recording, so both paths name its results alike.
    """
    kind, _, value = idempotency_key.partition(":")
    if kind == "sha256" and len(value) == 64:
        return value[:16]
    return hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class Job(BaseModel):
    id: str
    state: JobState = JobState.QUEUED
    stage: str | None = None
    percent: float = 0.0
    # While it runs: when it should be done (epoch seconds), from measured rates (lifestream.workers.progress);
    # None until that estimate means something.
    eta_at: float | None = None
    # Seconds each stage of its latest attempt took, for the stages that ran to their end: what later jobs'
    # estimates learn from.
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    reason: str | None = None  # why it failed, was cancelled, or is being retried
    retryable: bool | None = None  # set on failure: whether retrying can help
    storage_key: str
    idempotency_key: str
    source_name: str
    origin: OptionalOrigin = None  # where it came from (Slack, Teams, the API); None from the command line
    num_speakers: int | None = None
    duration: float | None = None  # seconds, when known at submission; sets the time limit
    attempts: int = 0
    owner: str | None = None
    lease_until: float | None = None
    not_before: float | None = None  # a retry is due no earlier than this
    completion_announced: bool = False
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    started_at: float | None = None
    finished_at: float | None = None
    # When its recording was deleted (retention rules, LIFESTREAM_KEEP_RECORDINGS=false); the minutes stay.
    recording_deleted_at: float | None = None
    # When the job store may forget the record by itself (DynamoDB's TTL): set on finished jobs only, from
    # their workspace's retention period (with a grace past the sweeper's turn); None: kept.
    expires_at: float | None = None

    @property
    def result_prefix(self) -> str:
        return result_prefix(self.id)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


def iso(ts: float | None) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat(timespec="seconds") if ts else "-"


_ANY = object()


# When a finished job's record may expire, if ever (its workspace's retention): given to a store that expires
# records by itself (DynamoDB's TTL), by the one place that builds services.
RecordExpiry = Callable[[Job], float | None]


class JobStore(ABC):
    """High-level transitions, written once on top of three backend primitives."""

    expiry: RecordExpiry | None = None  # None: records are kept until deleted (SQLite; DynamoDB without rules)

    # --- backend primitives

    @abstractmethod
    def _insert(self, job: Job) -> bool:
        """Insert unless a job with this id exists; True if inserted."""

    @abstractmethod
    def get(self, job_id: str) -> Job | None: ...

    @abstractmethod
    def list(self, states: Collection[JobState] | None = None, limit: int = 100, *,
             announced: bool | None = None, workspace: str | None = None) -> list[Job]:
        """Newest first; optionally only jobs whose completion_announced equals announced, and only jobs of
        one workspace (its origin's)."""

    @abstractmethod
    def with_recording(self, storage_key: str) -> builtins.list[Job]:
        """Every job of the stored recording ``storage_key`` (the same file shared in several places)."""

    @abstractmethod
    def _cas(self, job_id: str, changes: dict[str, Any], *, states: Collection[JobState], owner: Any = _ANY,
             lease_before: float | None = None, announced: bool | None = None,
             add_attempt: bool = False) -> Job | None:
        """Apply changes atomically iff the job is in one of states (and held by owner, its lease
        unset or ended before lease_before, its announcement flag equals announced). The new job, or None."""

    @abstractmethod
    def delete(self, job_id: str) -> bool:
        """Remove the job's record (the meeting was deleted); True if there was one."""

    def close(self) -> None:
        pass

    def settle_records(self) -> int:
        """Bring what the store derives from each record up to date (index keys of records written before
        the indexes, expiries after a workspace's retention changed); how many records changed. A
        maintenance pass over every record: the retention sweeper runs it, never a request."""
        return 0

    # --- transitions

    def create(self, job: Job) -> tuple[Job, bool]:
        """The job, and whether this call created it (False: it existed; you get that one)."""
        if self._insert(job):
            return job, True
        existing = self.get(job.id)
        if existing is None:  # deleted between the two calls: try once more
            return self.create(job)
        return existing, False

    def claim(self, job_id: str, owner: str, lease_seconds: float) -> Job | None:
        """Take a queued job, or one whose worker stopped renewing its lease."""
        now = time.time()
        changes = {"state": JobState.PROCESSING, "owner": owner, "lease_until": now + lease_seconds,
                   "started_at": now, "stage": None, "percent": 0.0, "eta_at": None, "stage_seconds": {}, "reason": None,
                   "not_before": None}
        return (self._cas(job_id, changes, states=[JobState.QUEUED], add_attempt=True)
                or self._cas(job_id, changes, states=[JobState.PROCESSING], lease_before=now, add_attempt=True))

    def renew(self, job_id: str, owner: str, lease_seconds: float, *, stage: str | None = None,
              percent: float | None = None, eta_at: Any = _ANY,
              stage_seconds: dict[str, float] | None = None) -> Job | None:
        """Extend the lease (and record progress: ``eta_at`` None clears it, left out keeps it). None: the job
        is no longer ours (cancelled, taken over)."""
        changes: dict[str, Any] = {"lease_until": time.time() + lease_seconds}
        if stage is not None:
            changes["stage"] = stage
        if percent is not None:
            changes["percent"] = round(percent, 1)
        if eta_at is not _ANY:
            changes["eta_at"] = None if eta_at is None else round(float(eta_at), 1)
        if stage_seconds is not None:
            changes["stage_seconds"] = {k: round(float(v), 3) for k, v in stage_seconds.items()}
        return self._cas(job_id, changes, states=[JobState.PROCESSING], owner=owner)

    def complete(self, job_id: str, owner: str) -> Job | None:
        return self._cas(job_id, {"state": JobState.COMPLETED, "owner": None, "lease_until": None, "stage": None,
                                  "eta_at": None, "percent": 100.0, "reason": None, "retryable": None, "finished_at": time.time()},
                         states=[JobState.PROCESSING], owner=owner)

    def fail(self, job_id: str, owner: str, reason: str, *, retryable: bool) -> Job | None:
        return self._cas(job_id, {"state": JobState.FAILED, "owner": None, "lease_until": None, "reason": reason,
                                  "retryable": retryable, "finished_at": time.time(), "eta_at": None},
                         states=[JobState.PROCESSING], owner=owner)

    def fail_unsent(self, job_id: str, reason: str) -> Job | None:
        """A queued job whose message could not be sent: failed, retryable, so it is not forgotten."""
        return self._cas(job_id, {"state": JobState.FAILED, "reason": reason, "retryable": True,
                                  "finished_at": time.time(), "completion_announced": True},
                         states=[JobState.QUEUED])  # announced: whoever submitted it is told there and then

    def mark_resent(self, job_id: str) -> Job | None:
        """A queued job's message was sent again (the broker may have lost it): its updated_at moves on."""
        return self._cas(job_id, {}, states=[JobState.QUEUED])

    def retry_later(self, job_id: str, owner: str, reason: str, *, not_before: float) -> Job | None:
        """Back to queued after a transient failure; the broker redelivers at not_before."""
        return self._cas(job_id, {"state": JobState.QUEUED, "owner": None, "lease_until": None, "stage": None,
                                  "eta_at": None, "reason": f"retrying: {reason}", "not_before": not_before},
                         states=[JobState.PROCESSING], owner=owner)

    def release_expired(self, job_id: str) -> Job | None:
        """Back to queued if its worker's lease ran out (the worker died or hung)."""
        return self._cas(job_id, {"state": JobState.QUEUED, "owner": None, "lease_until": None, "eta_at": None,
                                  "reason": "its worker stopped; queued again"},
                         states=[JobState.PROCESSING], lease_before=time.time())

    def give_up(self, job_id: str, reason: str) -> Job | None:
        """Failed instead of queued again: its worker's lease ran out on its last allowed attempt."""
        return self._cas(job_id, {"state": JobState.FAILED, "owner": None, "lease_until": None, "reason": reason,
                                  "retryable": True, "finished_at": time.time(), "eta_at": None},
                         states=[JobState.PROCESSING], lease_before=time.time())

    def reset_for_retry(self, job_id: str) -> Job | None:
        """A failed or cancelled job, queued again (``lifestream jobs retry``), with its attempts counted anew."""
        return self._cas(job_id, {"state": JobState.QUEUED, "reason": None, "retryable": None, "not_before": None,
                                  "finished_at": None, "stage": None, "percent": 0.0, "attempts": 0,
                                  "completion_announced": False},
                         states=[JobState.FAILED, JobState.CANCELLED])

    def reset_for_rerun(self, job_id: str) -> Job | None:
        """A finished job (completed too), queued again to make its results anew; announced again when done."""
        return self._cas(job_id, {"state": JobState.QUEUED, "reason": None, "retryable": None, "not_before": None,
                                  "finished_at": None, "stage": None, "percent": 0.0, "completion_announced": False,
                                  "attempts": 0},
                         states=list(FINAL_STATES))

    def cancel(self, job_id: str) -> Job | None:
        """Queued or running: a running worker sees the change at its next lease renewal and stops."""
        return self._cas(job_id, {"state": JobState.CANCELLED, "owner": None, "lease_until": None,
                                  "reason": "cancelled", "finished_at": time.time(), "eta_at": None},
                         states=[JobState.QUEUED, JobState.PROCESSING])

    def mark_recording_deleted(self, job_id: str, at: float) -> Job | None:
        """Record that a finished job's recording is being deleted; None if it is queued or running again.

        Marked before the object goes, so a re-run that reads the job afterwards is refused with the reason.
        """
        return self._cas(job_id, {"recording_deleted_at": at}, states=list(FINAL_STATES))

    def claim_announcement(self, job_id: str, owner: str, lease_seconds: float) -> Job | None:
        """The announcement lease of a final (completed or failed) job not yet announced, if nobody holds it
        (or the one who did stopped before its lease ran out); the job for the one caller that gets it."""
        return self._cas(job_id, {"owner": owner, "lease_until": time.time() + lease_seconds},
                         states=ANNOUNCED_STATES, announced=False, lease_before=time.time())

    def finish_announcement(self, job_id: str, owner: str) -> Job | None:
        """Everything about the job was posted: announced for good."""
        return self._cas(job_id, {"completion_announced": True, "owner": None, "lease_until": None},
                         states=ANNOUNCED_STATES, owner=owner, announced=False)

    def release_announcement(self, job_id: str, owner: str) -> Job | None:
        """Posting failed part way: someone may try again (and resume where it stopped)."""
        return self._cas(job_id, {"owner": None, "lease_until": None}, states=ANNOUNCED_STATES, owner=owner,
                         announced=False)

    # --- queries

    # (builtins.list: inside this class, `list` is the method above)
    def expired(self) -> builtins.list[Job]:
        now = time.time()
        return [j for j in self.list([JobState.PROCESSING], limit=10_000) if (j.lease_until or 0) < now]

    def due(self) -> builtins.list[Job]:
        """Queued jobs whose retry delay (if any) has passed, oldest first."""
        now = time.time()
        jobs = [j for j in self.list([JobState.QUEUED], limit=10_000) if (j.not_before or 0) <= now]
        return sorted(jobs, key=lambda j: j.created_at)

    def unannounced(self) -> builtins.list[Job]:
        """Completed jobs not yet announced, and failed ones of the last day (a store from before failures
        were announced this way has every old failure unannounced: those were told, or are long stale)."""
        recent = time.time() - FAILURES_ANNOUNCED_WITHIN_S
        failed = [j for j in self.list([JobState.FAILED], limit=10_000, announced=False)
                  if (j.finished_at or 0) >= recent]
        return self.list([JobState.COMPLETED], limit=10_000, announced=False) + failed
