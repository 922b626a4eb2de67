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

log = logging.getLogger(__name__)

# A recording may take 5 minutes plus twice its own length: the pipeline runs
# at a fraction of real time on two cores, so hitting this means it is stuck.
BASE_TIME_LIMIT_S = 300
TIME_LIMIT_PER_SECOND = 2.0
# Duration unknown at submission (a stored object that was never probed): allow a 3 h recording.
UNKNOWN_DURATION_S = 3 * 3600


def time_limit_ms(duration: float | None) -> int:
    seconds = duration if duration and duration > 0 else UNKNOWN_DURATION_S
    return int((BASE_TIME_LIMIT_S + TIME_LIMIT_PER_SECOND * seconds) * 1000)


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
