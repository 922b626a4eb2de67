"""Run one job under its lease: claim, work, publish, complete, announce.

This is the body of the Dramatiq actor, kept free of Dramatiq's globals so
the benchmark (and a debugger) can call it directly. The protocol:

1. Claim the job (compare-and-set). A job that is already final is a
   redelivered or duplicate message: nothing to do. A job another live
   worker holds is not ours either, but that worker may be about to die, so
   the message comes back after the lease would have run out.
2. Run the work while a thread renews the lease. Losing the lease (the job
   was cancelled, or another worker took it over after we stalled) stops
   the work at its next progress event, and its results are dropped.
3. Publish the results to storage, then mark the job completed with the
   owner's compare-and-set, then announce it (done once everything is posted: see hooks).

The pipeline itself runs in a child process (``lifestream.pipeline.isolation``):
a native crash there ends the attempt with its reason, and the worker goes on.
A crash of the worker itself leaves the job ``processing`` with a lease nobody
renews; the recovery loop of any worker puts it back in the queue when it
expires. Every way an attempt ends counts against one cap (``attempts``).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import dramatiq

from lifestream.errors import RecordingMissing
from lifestream.people import load_roster
from lifestream.pipeline import llm_answers
from lifestream.pipeline.isolation import IndexScope, PipelineRequest
from lifestream.pipeline.naming import Person
from lifestream.pipeline.runner import StageEvent
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import Storage, StorageMissing, safe_name
from lifestream.voiceprints import VoiceprintStore, settle
from lifestream.voiceprints import enabled as voiceprints_enabled
from lifestream.workers import attempts, checkpoints, fanout, policy, recordings
from lifestream.workers.jobstore import Job, JobState, JobStore
from lifestream.workers.progress import JobProgress

log = logging.getLogger(__name__)

_PROGRESS_EVERY_S = 2.0  # in-stage progress is sent at most this often; stage starts and ends always
# A stage that reports nothing for this long (diarization, an LLM's minutes) still gets its estimate sent again,
# so the thread's status line moves with the clock instead of standing at an ETA that has passed.
_REFRESH_EVERY_S = 30.0

_PROCESS_ID = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def owner_id() -> str:
    """Unique per process and thread: a restarted worker never mistakes a dead one's lease for its own."""
    return f"{_PROCESS_ID}:{threading.get_ident()}"


class JobLost(Exception):
    """The job is no longer ours (cancelled, or taken over after our lease ran out)."""


class _Lease(threading.Thread):
    """Renews the job's lease every third of its length until stopped."""

    def __init__(self, store: JobStore, job_id: str, owner: str, seconds: float) -> None:
        super().__init__(name=f"lease-{job_id}", daemon=True)
        self.store, self.job_id, self.owner, self.seconds = store, job_id, owner, seconds
        self.lost = threading.Event()
        self._stopping = threading.Event()
        self.on_tick: Callable[[], None] | None = None  # after each renewal (the progress refresh)

    def run(self) -> None:
        while not self._stopping.wait(self.seconds / 3):
            try:
                if self.store.renew(self.job_id, self.owner, self.seconds) is None:
                    self.lost.set()
                    return
            except Exception:  # a store hiccup: try again next tick; the lease has slack for two misses
                log.warning("could not renew the lease of job %s", self.job_id, exc_info=True)
                continue
            if self.on_tick is not None:
                try:
                    self.on_tick()
                except Exception:  # a progress note is never worth the lease
                    log.warning("job %s: could not refresh its progress", self.job_id, exc_info=True)

    def stop(self) -> None:
        self._stopping.set()


@dataclass
class JobContext:
    """What the work function gets besides the job: services, and a progress callback."""

    job: Job
    services: Services
    owner: str
    lease: _Lease
    _progress: JobProgress | None = None
    _last_sent: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def store(self) -> JobStore:
        return self.services.store

    @property
    def storage(self) -> Storage:
        return self.services.storage

    def check(self) -> None:
        if self.lease.lost.is_set():
            raise JobLost(f"job {self.job.id} is no longer held by this worker")

    def on_stage(self, event) -> None:
        """A pipeline StageEvent: record the stage, percent and ETA in the job store, tell the hooks."""
        self.check()
        with self._lock:
            if self._progress is None:  # here, not at claim: the store is read once the work has started
                self._progress = JobProgress.for_job(self.job, self.store)
            estimate = self._progress.update(event.stage, event.state, event.fraction, event.seconds)
            now = time.monotonic()
            if event.state == "progress" and now - self._last_sent < _PROGRESS_EVERY_S:
                return
            self._last_sent = now
            stage_seconds = self._progress.stage_seconds
        if event.state == "skipped":
            return
        self._publish(estimate.stage or event.stage, estimate.percent, estimate.eta_at, stage_seconds)
        self.check()

    def refresh(self) -> None:
        """The estimate again, from the clock alone, when no stage has said anything for a while (called by
        the lease thread): a long silent stage pushes the ETA out instead of leaving one that has passed."""
        with self._lock:
            if self._progress is None or time.monotonic() - self._last_sent < _REFRESH_EVERY_S:
                return
            estimate = self._progress.estimate()
            self._last_sent = time.monotonic()
            stage_seconds = self._progress.stage_seconds
        if estimate.stage:
            self._publish(estimate.stage, estimate.percent, estimate.eta_at, stage_seconds)

    def _publish(self, stage: str, percent: float, eta_at: float | None, stage_seconds: dict[str, float]) -> None:
        """Into the job store (which renews the lease), then to the hooks (the chat thread's status line)."""
        try:
            job = self.store.renew(self.job.id, self.owner, self.settings.job_lease_seconds, stage=stage,
                                   percent=percent, eta_at=eta_at, stage_seconds=stage_seconds)
        except Exception:  # a progress note is not worth failing an hour-long job; the lease thread retries
            log.warning("job %s: could not record progress", self.job.id, exc_info=True)
            return
        if job is None:
            self.lease.lost.set()
            return
        self.services.events.emit("progress", job)


Work = Callable[[Job, JobContext], None]


def _index_scope(job: Job) -> IndexScope | None:
    """Searchable where it came from: origin's workspace and conversation (a Slack channel, an API client)."""
    if job.origin is None:
        return None
    return IndexScope(job.origin.workspace, job.origin.conversation)


def _people(job: Job, services: Services) -> list[Person]:
    """Who the speakers may be: the members of the conversation it was shared in, as the bot saved them."""
    if job.origin is None:
        return []
    roster = load_roster(services.storage, job.origin.workspace, job.origin.conversation)
    return roster.people() if roster else []


def _voices(job: Job, services: Services, settings: Settings) -> dict:
    """With the workspace's voiceprints on: keep this meeting's voices, and recognise its known ones."""
    workspace = job.origin.workspace if job.origin else None
    if workspace is None or not voiceprints_enabled(settings, workspace):
        return {}
    return {"remember_voices": True, "voiceprints": tuple(VoiceprintStore(services.storage).gallery(workspace))}


def _fetch_upload(job: Job, storage: Storage, dest: Path) -> Path:
    """The job's recording. A job is made only once its upload is stored, so a missing one was deleted since:
    waiting will not bring it back (a permanent failure, said plainly, not five backoffs)."""
    try:
        return storage.get(job.storage_key, dest)
    except StorageMissing as exc:
        raise RecordingMissing(
            f"{job.source_name}: the recording is no longer in storage (it was deleted after it was shared), "
            "so it cannot be processed; share it again.") from exc


def _preview_announcer(job: Job, ctx: JobContext, settings: Settings) -> Callable[[], None] | None:
    """What tells the chat that a long recording's early minutes are ready; None (none are made) when no chat
    waits for this job here, or the workspace turned them off."""
    if job.origin is None or not settings.early_minutes or not ctx.services.events.listening:
        return None

    def announce() -> None:  # best effort, like progress: the whole minutes are what is owed
        ctx.services.events.emit("preview", ctx.store.get(job.id) or job)

    return announce


def run_pipeline(job: Job, ctx: JobContext) -> None:
    """The real work: fetch the upload, process it in a scratch folder (in a pipeline process), publish."""
    scratch_root = ctx.settings.data_dir / "tmp"  # same file system as local storage: publishing is a rename
    scratch_root.mkdir(parents=True, exist_ok=True)
    for stale in scratch_root.glob(f"job-{job.id}-*"):  # left by a worker that died on this job; we hold it now
        checkpoints.keep(ctx.storage, job.id, stale / "checkpoints")  # what it got done before it died
        shutil.rmtree(stale, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=scratch_root, prefix=f"job-{job.id}-") as scratch:
        source = _fetch_upload(job, ctx.storage, Path(scratch) / "input" / safe_name(job.source_name))
        ctx.check()
        result_dir = Path(scratch) / "result"
        checkpoint_dir = Path(scratch) / "checkpoints"
        if checkpoints.bring(ctx.storage, job.id, checkpoint_dir):
            log.info("job %s: resuming from the checkpoints of an earlier attempt", job.id)
        # The workspace's own choices (LLM or not, minutes language, redaction...) over the server's.
        settings = ctx.services.settings_for(job.origin.workspace if job.origin else None)
        voices = _voices(job, ctx.services, settings)

        # each of the minutes model's answers is stored once (it comes with an event of its own)
        answers_stored = checkpoints.files_of(checkpoint_dir, llm_answers.STAGE)

        def on_event(event: StageEvent) -> None:
            if event.state == "checkpointed":  # stored at once: an attempt may end without a goodbye
                checkpoints.keep_stage(ctx.storage, job.id, checkpoint_dir, event.stage,
                                       stored=answers_stored if event.stage == llm_answers.STAGE else None)
            else:
                ctx.on_stage(event)

        request = PipelineRequest(source, settings, meeting_id=job.id, result_dir=result_dir,
                                  num_speakers=job.num_speakers, display_name=job.source_name,
                                  index=_index_scope(job), people=tuple(_people(job, ctx.services)),
                                  checkpoint_dir=checkpoint_dir, **voices)
        try:
            # A long recording's segments are worked on by every free worker (unless an earlier attempt got past
            # them); the pipeline then joins them.
            if not checkpoints.has_costly(checkpoint_dir):
                fanout_dir = fanout.fan_out(ctx.services, job, request, Path(scratch), owner=ctx.owner,
                                            check=ctx.check, on_event=on_event,
                                            on_preview=_preview_announcer(job, ctx, settings))
                request = replace(request, fanout_dir=fanout_dir)
            run = ctx.services.pipelines.run(request, on_event=on_event, check=ctx.check,
                                             time_limit=policy.pipeline_time_limit_s(job.duration, settings))
        except BaseException:
            if not ctx.lease.lost.is_set():  # cancelled or taken over: not ours to write any more
                checkpoints.keep(ctx.storage, job.id, checkpoint_dir)  # the next attempt resumes after them
            raise
        log.info("job %s: pipeline took %.1f s in process %d (peak RSS %s MB)", job.id, run.seconds, run.pid,
                 f"{run.peak_rss_bytes / 2**20:.0f}" if run.peak_rss_bytes else "?")
        ctx.check()  # never publish over a job that was cancelled or handed to another worker
        fanout.keep_preview_posts(ctx.storage, job, result_dir)
        ctx.storage.put_dir(result_dir, job.result_prefix)
        checkpoints.drop(ctx.storage, job.id)  # the results hold it all now; a Re-run starts afresh
        if voices and job.origin is not None:  # a speaker linked to a chat member by a heard name: learn the voice
            settle(ctx.storage, job.origin.workspace, run.meeting, job.result_prefix)


def execute_job(job_id: str, *, services: Services, work: Work = run_pipeline) -> Job | None:
    """Run a job once. Raises dramatiq.Retry to be redelivered later, or the final error to fail the message."""
    settings, store, events = services.settings, services.store, services.events
    job = store.get(job_id)
    if job is None:
        log.warning("job %s is not in the job store; dropping its message", job_id)
        return None
    if job.final:
        log.info("job %s is already %s; duplicate message ignored", job_id, job.state.value)
        events.announce(store, job_id)  # in case the worker that finished it died before announcing it
        return job
    owner = owner_id()
    claimed = store.claim(job_id, owner, settings.job_lease_seconds)
    if claimed is None:
        current = store.get(job_id)
        if current is not None and current.state is JobState.PROCESSING:
            wait_ms = int(max(0.0, (current.lease_until or 0) - time.time()) * 1000) + 1000
            raise dramatiq.Retry(f"job {job_id} is held by {current.owner}", delay=wait_ms)
        return current
    if not attempts.within_cap(claimed, settings):
        attempts.fail_over_cap(store, claimed, job, owner, events)
        return store.get(job_id)

    lease = _Lease(store, job_id, owner, settings.job_lease_seconds)
    lease.start()
    try:
        ctx = JobContext(job=claimed, services=services, owner=owner, lease=lease)
        lease.on_tick = ctx.refresh
        work(claimed, ctx)
        ctx.check()
        done = store.complete(job_id, owner)
    except JobLost:
        log.info("job %s: stopped, it is no longer ours", job_id)
        return store.get(job_id)
    except BaseException as exc:  # BaseException: Dramatiq's time limit is one
        _record_failure(services, claimed, owner, exc)
        raise
    finally:
        lease.stop()
    if done is None:  # cancelled between the last check and now
        return store.get(job_id)
    log.info("job %s completed (attempt %d)", job_id, done.attempts)
    done = recordings.after_processing(services, done)  # before the announcement, which says what is kept
    events.announce(store, job_id)
    return done


def _record_failure(services: Services, job: Job, owner: str, exc: BaseException) -> None:
    settings, store = services.settings, services.store
    reason = policy.failure_reason(exc, job.id)
    transient = policy.is_transient(exc)
    if transient and attempts.has_attempts_left(job, settings):
        delay = policy.retry_delay_ms(job.attempts - 1, min_backoff_ms=settings.job_retry_min_backoff_ms,
                                      max_backoff_ms=settings.job_retry_max_backoff_ms)
        if store.retry_later(job.id, owner, reason, not_before=time.time() + delay / 1000):
            log.warning("job %s: %s; attempt %d of %d in %.1f s", job.id, reason, job.attempts + 1,
                        settings.max_attempts, delay / 1000)
            raise dramatiq.Retry(reason, delay=delay) from exc
        return
    if transient:
        reason = attempts.gave_up(reason, job.attempts)
    failed = store.fail(job.id, owner, reason, retryable=transient)
    if failed is not None:
        log.warning("job %s failed: %s", job.id, reason)
        services.events.announce(store, failed.id)
