"""Job events for whoever wants them (the chat bots): ``on_job_event(callback)``.

Events are ``progress`` (a stage started, advanced or finished),
``completed`` and ``failed``. A callback runs in the process that sees the
event; one that raises is logged and never fails the job.

"completed" is announced at most once per job across every process and
every redelivery: the announcer must first win the job store's
compare-and-set on ``completion_announced``. A process only claims
announcements while it has callbacks registered, so a worker without hooks
never swallows an announcement a bot process is waiting for; such a bot
calls ``announce_pending`` from time to time (workers do so after each job
and periodically), which also covers a worker that died between finishing a
job and announcing it. The one window left is a crash between winning the
claim and the callback finishing: that announcement is lost rather than
repeated (at most once, by design: a duplicate message in a channel is worse
than a missing one, and the job stays visible with ``lifestream jobs``).
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from lifestream.errors import ConfigError
from lifestream.workers.jobstore import Job, JobStore

log = logging.getLogger(__name__)

EventKind = Literal["progress", "completed", "failed"]


@dataclass(frozen=True)
class JobEvent:
    kind: EventKind
    job: Job


JobCallback = Callable[[JobEvent], None]

_callbacks: list[JobCallback] = []
_lock = threading.Lock()


def on_job_event(callback: JobCallback) -> JobCallback:
    """Register a callback (usable as a decorator); returns it unchanged."""
    with _lock:
        if callback not in _callbacks:
            _callbacks.append(callback)
    return callback


def remove_job_event(callback: JobCallback) -> None:
    with _lock:
        if callback in _callbacks:
            _callbacks.remove(callback)


def has_listeners() -> bool:
    return bool(_callbacks)


def emit(kind: EventKind, job: Job) -> None:
    event = JobEvent(kind, job)
    for callback in list(_callbacks):
        try:
            callback(event)
        except Exception:
            log.exception("job event callback %r failed on %s %s", callback, kind, job.id)


def announce_completed(store: JobStore, job_id: str) -> bool:
    """Emit "completed" if this process wins the announcement; True if it did."""
    if not has_listeners():
        return False
    job = store.claim_announcement(job_id)
    if job is None:
        return False
    emit("completed", job)
    return True


def announce_pending(store: JobStore) -> int:
    """Announce every completed job nobody has announced yet; how many this call announced."""
    if not has_listeners():
        return 0
    return sum(announce_completed(store, job.id) for job in store.unannounced())


def load_hook(spec: str) -> JobCallback:
    """Register ``package.module:function`` (as given to ``lifestream worker --hook``)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"hook {spec!r}: write it as package.module:function")
    try:
        callback = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"hook {spec!r} cannot be loaded: {exc}") from exc
    if not callable(callback):
        raise ConfigError(f"hook {spec!r} is not callable")
    return on_job_event(callback)
