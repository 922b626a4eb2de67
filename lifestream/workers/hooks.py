"""Job events for whoever wants them (the chat notifiers, ``--hook`` callables): ``JobEvents``.

Events are ``progress`` (a stage started, advanced or finished),
``completed`` and ``failed``. A callback runs in the process that sees the
event; one that raises is logged and never fails the job. Each process has
one ``JobEvents`` (``Services.events``); its entry point subscribes the
callbacks, so a worker is handed its notifiers rather than importing them.

"completed" is announced at most once per job across every process and
every redelivery: the announcer must first win the job store's
compare-and-set on ``completion_announced``. A process only claims
announcements while it has callbacks subscribed, so a worker without any
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
from collections.abc import Callable, Iterable
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


class JobEvents:
    """The job-event callbacks of one process."""

    def __init__(self, callbacks: Iterable[JobCallback] = ()) -> None:
        self._callbacks: list[JobCallback] = []
        self._lock = threading.Lock()
        for callback in callbacks:
            self.subscribe(callback)

    def subscribe(self, callback: JobCallback) -> JobCallback:
        """Add a callback (once: subscribing the same one again changes nothing); returns it unchanged."""
        with self._lock:
            if callback not in self._callbacks:
                self._callbacks.append(callback)
        return callback

    def unsubscribe(self, callback: JobCallback) -> None:
        with self._lock:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

    @property
    def callbacks(self) -> list[JobCallback]:
        return list(self._callbacks)

    @property
    def listening(self) -> bool:
        return bool(self._callbacks)

    def emit(self, kind: EventKind, job: Job) -> None:
        event = JobEvent(kind, job)
        for callback in self.callbacks:
            try:
                callback(event)
            except Exception:
                log.exception("job event callback %r failed on %s %s", callback, kind, job.id)

    def announce_completed(self, store: JobStore, job_id: str) -> bool:
        """Emit "completed" if this process wins the announcement; True if it did."""
        if not self.listening:
            return False
        job = store.claim_announcement(job_id)
        if job is None:
            return False
        self.emit("completed", job)
        return True

    def announce_pending(self, store: JobStore) -> int:
        """Announce every completed job nobody has announced yet; how many this call announced."""
        if not self.listening:
            return 0
        return sum(self.announce_completed(store, job.id) for job in store.unannounced())


def load_hook(spec: str) -> JobCallback:
    """The callable ``package.module:function`` names (as given to ``lifestream worker --hook``)."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"hook {spec!r}: write it as package.module:function")
    try:
        callback = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"hook {spec!r} cannot be loaded: {exc}") from exc
    if not callable(callback):
        raise ConfigError(f"hook {spec!r} is not callable")
    return callback
