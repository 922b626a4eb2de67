"""How many times a job is tried, whatever ends its attempts.

An attempt begins when a worker claims the job (the job store counts it) and
ends in success, in a permanent failure (the job fails at once), or in
something worth another try: a transient error, a crash of the pipeline's
process, or the worker itself dying (its lease runs out and a recovery loop
or a redelivered message finds the job). All three count against one cap,
``LIFESTREAM_MAX_ATTEMPTS``, on every broker and job store alike, because the
count lives in the job record rather than in a broker's message (a job
released after a lease expiry gets a new message, so no broker's own
redelivery count or dead-letter queue would ever see it twice).

Past the cap the job is ``failed`` with the last reason, and whoever wins the
job store's compare-and-set to ``failed`` announces it: once. A manual retry
(``lifestream jobs retry``, the Retry button) starts the count again.
"""

from __future__ import annotations

import logging

from lifestream.settings import Settings
from lifestream.workers.hooks import JobEvents
from lifestream.workers.jobstore import Job, JobStore

log = logging.getLogger(__name__)


def has_attempts_left(job: Job, settings: Settings) -> bool:
    """Whether a job whose current attempt just ended may be tried again."""
    return job.attempts < settings.max_attempts


def gave_up(reason: str, attempts: int) -> str:
    return f"{reason} (gave up after {attempts} attempts)"


def worker_lost(job: Job) -> str:
    """Why a job whose worker kept dying under it failed."""
    where = f" in {job.stage}" if job.stage else ""
    return gave_up(f"its worker stopped while processing it{where} (killed, or out of memory?)", job.attempts)


def settle_expired(store: JobStore, job: Job, settings: Settings, events: JobEvents) -> Job | None:
    """A job whose worker stopped renewing its lease: queued again (returned, to be sent), or failed for good."""
    if has_attempts_left(job, settings):
        return store.release_expired(job.id)
    failed = store.give_up(job.id, worker_lost(job))
    if failed is not None:
        log.warning("job %s failed: %s", job.id, failed.reason)
        events.announce(store, failed.id)
    return None


def within_cap(claimed: Job, settings: Settings) -> bool:
    """False for a claim past the cap: a redelivered message took over a job whose worker died on
    its last attempt (the recovery loop would have failed it; the message got there first)."""
    return claimed.attempts <= settings.max_attempts


def fail_over_cap(store: JobStore, claimed: Job, before: Job, owner: str, events: JobEvents) -> None:
    """Fail a claim past the cap; ``before`` is the job as the dead worker left it (its stage)."""
    tried = before.model_copy(update={"attempts": claimed.attempts - 1})
    failed = store.fail(claimed.id, owner, worker_lost(tried), retryable=True)
    if failed is not None:
        log.warning("job %s failed: %s", claimed.id, failed.reason)
        events.announce(store, failed.id)
