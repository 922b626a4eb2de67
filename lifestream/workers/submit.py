"""Submitting recordings as jobs, and the operator's actions on them.

Submitting is idempotent: the job id is derived from the idempotency key
(the recording's SHA-256, or a stored object's key and ETag), so the same
recording submitted twice, even at the same moment from two processes,
makes one job; the second submitter gets the first one's job back, with its
minutes if it has completed.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from lifestream.errors import LifeStreamError, MediaError, TransientError
from lifestream.origin import Origin
from lifestream.pipeline.probe import probe, require_local_file
from lifestream.pipeline.runner import file_sha256
from lifestream.public_errors import public_reason
from lifestream.services import Services
from lifestream.storage import Storage, upload_key
from lifestream.workers import checkpoints
from lifestream.workers.jobstore import Job, JobState, JobStore, job_id_for
from lifestream.workers.recordings import recording_gone

log = logging.getLogger(__name__)


class JobNotFound(LifeStreamError):
    permanent = True


class JobStateError(LifeStreamError):
    """The action does not apply to the job in its current state."""

    permanent = True


@dataclass(frozen=True)
class Submission:
    job: Job
    created: bool
    minutes: str | None = None  # when the job already existed and has completed


def _duration(path: Path) -> float | None:
    """For the time limit; a file ffprobe cannot read is the worker's to reject, with its reason."""
    try:
        return probe(path).duration
    except LifeStreamError:
        return None


def dispatch(job: Job, services: Services) -> None:
    """Get a queued job to a worker. If the queue cannot be reached the job is kept, failed and retryable."""
    try:
        services.queue.send(job.id, job.duration)
    except TransientError as exc:
        # The job's reason is shown in chat and on the jobs page: no broker URL (with its password) in it.
        services.store.fail_unsent(job.id, public_reason(exc, log=log, context=f"queueing job {job.id}"))
        raise TransientError(f"{exc.message}. Job {job.id} is saved; run `lifestream jobs retry {job.id}` "
                             "once the queue is back.") from exc


def read_minutes(job: Job, storage: Storage) -> str | None:
    if job.state is not JobState.COMPLETED:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = storage.get(job.result_prefix + "minutes.md", Path(tmp) / "minutes.md")
        except LifeStreamError:
            return None
        return path.read_text(encoding="utf-8")


def _submit(job: Job, upload: Path | None, services: Services) -> Submission:
    store, storage = services.store, services.storage
    existing = store.get(job.id)
    if existing is None:
        if upload is not None and storage.stat(job.storage_key) is None:
            with upload.open("rb") as fh:
                storage.put(job.storage_key, fh)
        existing, created = store.create(job)
        if created:
            dispatch(existing, services)
            return Submission(existing, True)
    return Submission(existing, False, read_minutes(existing, storage))


def content_key(sha256: str, origin: Origin | None) -> str:
    """The idempotency key of a recording: one job per recording *per workspace*.

    A meeting belongs to the workspace it was shared in (its search scope, its settings, its deletion on
    uninstall), so the same file shared in two workspaces makes two jobs, each workspace's own.
    """
    return f"sha256:{sha256}" if origin is None else f"{origin.workspace}/sha256:{sha256}"


def submit_file(path: Path, *, services: Services, origin: Origin | None = None,
                num_speakers: int | None = None, display_name: str | None = None) -> Submission:
    """Store a local recording under uploads/ (once per content) and make or find its job."""
    path = require_local_file(path)
    sha = file_sha256(path)
    name = display_name or path.name
    key = content_key(sha, origin)
    job = Job(id=job_id_for(key), storage_key=upload_key(sha, name), idempotency_key=key, source_name=name,
              origin=origin, num_speakers=num_speakers, duration=_duration(path))
    return _submit(job, path, services)


def submit_stored(storage_key: str, *, services: Services, source_name: str | None = None,
                  origin: Origin | None = None, num_speakers: int | None = None,
                  duration: float | None = None, idempotency_key: str | None = None) -> Submission:
    """Make or find the job for an object already in storage (e.g. uploaded to a presigned PUT URL).

    ``idempotency_key`` (default: the object's key and ETag) fixes the job id in advance, e.g. the
    API's upload id, whose job id the uploader is told before the upload.
    """
    found = services.storage.stat(storage_key)
    if found is None:
        raise MediaError(f"{storage_key}: not found in storage; upload it before submitting.")
    key = idempotency_key or f"etag:{storage_key}:{found.etag}"
    job = Job(id=job_id_for(key), storage_key=storage_key, idempotency_key=key,
              source_name=source_name or Path(storage_key).name, origin=origin, num_speakers=num_speakers,
              duration=duration)
    return _submit(job, None, services)


def get_job(job_id: str, store: JobStore) -> Job:
    job = store.get(job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id!r} (see `lifestream jobs list`).")
    return job


def _requeue(job_id: str, services: Services, reset: str, refusal: str) -> Job:
    store = services.store
    job = get_job(job_id, store)
    gone = recording_gone(job)
    if gone is not None:
        raise JobStateError(gone)
    again = getattr(store, reset)(job_id)
    if again is None:
        raise JobStateError(f"job {job_id} is {job.state.value}; {refusal}")
    dispatch(again, services)
    return again


def retry_job(job_id: str, *, services: Services) -> Job:
    """Queue a failed or cancelled job again; it keeps its id, upload and history (attempts)."""
    return _requeue(job_id, services, "reset_for_retry", "only failed or cancelled jobs can be retried.")


def rerun_job(job_id: str, *, services: Services) -> Job:
    """Process a finished job's recording again (the "Re-run" button); the new results replace the old."""
    job = get_job(job_id, services.store)
    if (gone := recording_gone(job)) is not None:  # deleted under the retention rules: why, and when
        raise JobStateError(gone)
    if job.state is JobState.COMPLETED and services.storage.stat(job.storage_key) is None:
        # gone some other way (deleted by hand, the bucket's lifecycle rule): nothing to process again
        raise JobStateError(f"the recording of job {job_id} is no longer kept, so it cannot be re-run.")
    # A Re-run transcribes and diarizes anew (lifestream.workers.checkpoints): none left from before count.
    checkpoints.drop(services.storage, job_id)
    return _requeue(job_id, services, "reset_for_rerun", "it can be re-run once it has finished.")


def cancel_job(job_id: str, *, services: Services) -> Job:
    job = get_job(job_id, services.store)
    cancelled = services.store.cancel(job_id)
    if cancelled is None:
        raise JobStateError(f"job {job_id} is {job.state.value}; only queued or processing jobs can be cancelled.")
    return cancelled
