"""What to do when a job fails, and how long a job may run.

The decision "retry or fail now" is made once, here, from the exception:
LifeStreamError says it itself (``.permanent``); network and storage hiccups
are transient; a time limit or an unknown bug fails at once, since running
the same code on the same recording again would most likely do the same.
"""

from __future__ import annotations

import logging

from dramatiq.common import compute_backoff
from dramatiq.middleware.time_limit import TimeLimitExceeded

from lifestream.errors import LifeStreamError
from lifestream.public_errors import public_reason
from lifestream.settings import Settings

log = logging.getLogger(__name__)

# A recording may take 5 minutes plus twice its own length: the pipeline runs
# at a fraction of real time on two cores, so hitting this means it is stuck.
BASE_TIME_LIMIT_S = 300
TIME_LIMIT_PER_SECOND = 2.0
# Dramatiq's own time limit is only a backstop behind the pipeline process's (which can stop
# native code, and says in which stage): it adds time to fetch the upload and publish results.
HANDOFF_MARGIN_S = 600


def pipeline_time_limit_s(duration: float | None, settings: Settings) -> float:
    """How long the pipeline may run on a recording: never more than for the longest one accepted.

    A duration unknown at submission counts as the longest accepted; the worker then
    refuses a recording over ``LIFESTREAM_MAX_DURATION`` before spending any time on it.
    """
    seconds = min(duration, settings.max_duration) if duration and duration > 0 else settings.max_duration
    limit = BASE_TIME_LIMIT_S + TIME_LIMIT_PER_SECOND * seconds
    return min(limit, settings.job_time_limit_seconds) if settings.job_time_limit_seconds else limit


def time_limit_ms(duration: float | None, settings: Settings) -> int:
    """The Dramatiq message's time limit (see HANDOFF_MARGIN_S)."""
    return int((pipeline_time_limit_s(duration, settings) + HANDOFF_MARGIN_S) * 1000)


def _transient_types() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return ConnectionError, TimeoutError, BotoCoreError, RedisConnectionError, RedisTimeoutError


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, LifeStreamError):
        return not exc.permanent
    return isinstance(exc, _transient_types())


def failure_reason(exc: BaseException, job_id: str) -> str:
    """The job's recorded reason, which chat threads, the API and the jobs page show: a recording's own
    problem as it is; an outage or a bug as a plain reason with a correlation id, its details logged."""
    if isinstance(exc, TimeLimitExceeded):
        return "processing took longer than its time limit (5 min + 2x the recording's length)"
    return public_reason(exc, log=log, context=f"job {job_id}")


def retry_delay_ms(retries: int, *, min_backoff_ms: int, max_backoff_ms: int) -> int:
    """Exponential backoff with jitter, as Dramatiq computes it: min, 2x min, 4x min... up to max."""
    return compute_backoff(retries, factor=min_backoff_ms, max_backoff=max_backoff_ms)[1]
