"""A job's recording under the retention rules: which rules apply, deleting it, and saying that it is gone.

A recording is deleted on its own (its minutes stay) when its workspace keeps
no recordings (right after processing, ``after_processing``) or when its
recording period ends (the sweeper, ``lifestream.retention``). The job is
marked first (``recording_deleted_at``), then the objects go: a job marked
while its object survived (storage failed half-way) leaves an object no kept
recording uses, which the sweeper's orphan pass deletes. Every deletion is
logged on ``lifestream.retention``.

Recordings shared in chat are stored once per content, so one object may
serve several jobs (the same file shared in two workspaces): it goes when the
last job that still keeps it lets it go. An API upload has its own folder.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timezone

from lifestream.installations import WorkspaceSettings
from lifestream.retention_rules import RetentionRules, RulesFor
from lifestream.services import Services
from lifestream.storage import api_upload_prefix
from lifestream.workers.jobstore import Job, JobState

# One logger for every retention deletion, so the record of what went is one filter away.
log = logging.getLogger("lifestream.retention")

ALL_JOBS = 1_000_000  # the job store lists newest first up to a limit; retention wants every one


def rules_of(settings: WorkspaceSettings) -> RetentionRules:
    """The retention rules of a workspace's settings in force."""
    return RetentionRules(
        recording_days=settings.recording_retention_days,
        meeting_days=settings.retention_days,
        keep_recordings=settings.keep_recordings,
    )


def rules_for(services: Services) -> RulesFor:
    """The retention rules of each workspace, from its settings in force (``Services.workspace_settings``).

    Each workspace's settings are read once per returned callable (one sweep pass, one request).
    """
    seen: dict[str | None, RetentionRules] = {}

    def of(workspace: str | None) -> RetentionRules:
        if workspace not in seen:
            seen[workspace] = rules_of(services.workspace_settings(workspace))
        return seen[workspace]

    return of


def workspace_of(job: Job) -> str | None:
    return job.origin.workspace if job.origin is not None else None


def keeps_recording(job: Job) -> bool:
    return job.recording_deleted_at is None


def _objects(job: Job) -> str:
    """The key (or folder) its recording's objects are under."""
    folder = api_upload_prefix(job.id)
    return folder if job.storage_key.startswith(folder) else job.storage_key


def used_by_others(job: Job, jobs: Sequence[Job]) -> bool:
    """Another job that still keeps its recording uses the same stored object."""
    return any(j.id != job.id and j.storage_key == job.storage_key and keeps_recording(j) for j in jobs)


def delete_objects(services: Services, job: Job, jobs: Sequence[Job] | None = None) -> int:
    """Delete the job's recording from storage unless another job still keeps it; how many objects went."""
    key = _objects(job)
    if key == job.storage_key:  # stored by content: perhaps shared
        others = services.store.with_recording(job.storage_key) if jobs is None else jobs
        if used_by_others(job, others):
            return 0
    return services.storage.delete(key)


def delete_recording(
    services: Services, job: Job, *, why: str, jobs: Sequence[Job] | None = None, now: float | None = None
) -> Job | None:
    """Delete a finished job's recording and mark the job; None if it is queued or running again (left alone)."""
    marked = services.store.mark_recording_deleted(job.id, time.time() if now is None else now)
    if marked is None:
        return None
    count = delete_objects(services, marked, jobs)
    log.info(
        "retention: deleted the recording of meeting %s (%s, workspace %s, shared %s; %s): %s",
        job.id,
        job.source_name,
        workspace_of(job) or "-",
        day(job.created_at),
        why,
        f"{count} object(s)" if count else "its stored copy is kept for another meeting of the same file",
    )
    return marked


def after_processing(services: Services, job: Job) -> Job:
    """A completed job, its recording deleted now if its workspace keeps no recordings.

    Never fails the job: a recording that could not be deleted now is the sweeper's on its next pass.
    """
    if job.state is not JobState.COMPLETED or not keeps_recording(job):
        return job
    if rules_for(services)(workspace_of(job)).keep_recordings:
        return job
    try:
        return delete_recording(services, job, why="recordings are deleted once their minutes are made") or job
    except Exception:
        log.warning(
            "retention: could not delete the recording of meeting %s now; the sweeper will", job.id, exc_info=True
        )
        return job


def day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def recording_gone(job: Job) -> str | None:
    """Why the job cannot be processed again, in words; None while its recording is kept."""
    if job.recording_deleted_at is None:
        return None
    return (
        f"The recording of {job.source_name} was deleted on {day(job.recording_deleted_at)} under this "
        "workspace's retention rules, so it cannot be processed again; its minutes remain."
    )


def retention_note(job: Job, rules: RetentionRules) -> str | None:
    """What is kept of a meeting, and until when, in words (the page, the API); None: everything, for good."""
    done = job.state is JobState.COMPLETED
    meeting_until = rules.meeting_until(job.created_at)
    later = (
        (
            f"The minutes are kept until {day(meeting_until)}."
            if done
            else f"This meeting is deleted on {day(meeting_until)}."
        )
        if meeting_until
        else ""
    )
    if job.recording_deleted_at is not None:
        now = f"The recording was deleted on {day(job.recording_deleted_at)} under the retention rules; " + (
            "the minutes remain, but the meeting cannot be re-run." if done else "it cannot be processed again."
        )
    elif not rules.keep_recordings and done:
        now = "The recording is being deleted: this workspace keeps no recordings once their minutes are made."
    elif (recording_until := rules.recording_until(job.created_at)) is not None:
        now = f"The recording is kept until {day(recording_until)}."
    else:
        now = ""
    return f"{now} {later}".strip() or None
