"""Job events for whoever wants them (the chat notifiers, ``--hook`` callables): ``JobEvents``.

Events are ``progress`` (a stage started, advanced or finished),
``preview`` (a long recording's early minutes are stored: ``workers.fanout.load_preview``),
``completed`` and ``failed``. A callback runs in the process that sees the
event; one that raises is logged and never fails the job. Each process has
one ``JobEvents`` (``Services.events``); its entry point subscribes the
callbacks, so a worker is handed its notifiers rather than importing them.

"completed" and "failed" are announced at least once and, as long as the
callbacks resume rather than repeat (the chat notifiers record what they
posted and carry on from there), their effect happens once, across every
process and every redelivery. The announcer first takes the job's
announcement lease in the job store (a compare-and-set on a final job not yet
announced whose lease is free), runs the callbacks, and only when every one
of them succeeded marks the job announced; a callback that raises (Slack
answering 500 four times in a row) gives the lease back, and a process that
dies while announcing lets it run out: either way the next
``announce_pending`` takes over. A process only announces while it has
callbacks subscribed, so a worker without any never swallows an
announcement a bot process is waiting for; such a bot calls
``announce_pending`` from time to time (workers do so after each job and
periodically), which also covers a worker that died between finishing a job
and announcing it.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from lifestream.errors import ConfigError
from lifestream.workers.jobstore import Job, JobState, JobStore

log = logging.getLogger(__name__)

# How long one process may take to post an announcement before another takes over (resuming, not repeating).
ANNOUNCE_LEASE_S = 300.0

EventKind = Literal["progress", "preview", "completed", "failed"]


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

    def emit(self, kind: EventKind, job: Job) -> bool:
        """Run every callback; False if one of them raised (logged, never raised here)."""
        event = JobEvent(kind, job)
        ok = True
        for callback in self.callbacks:
            try:
                callback(event)
            except Exception:
                ok = False
                log.exception("job event callback %r failed on %s %s", callback, kind, job.id)
        return ok

    def announce(self, store: JobStore, job_id: str) -> bool:
        """Emit "completed" or "failed" for a final job if this process takes its announcement; True if the
        announcement is done (every callback succeeded), False if nobody here listens, another process
        holds it, or a callback failed (the lease is given back, to be tried again by ``announce_pending``)."""
        if not self.listening:
            return False
        owner = f"announce:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        job = store.claim_announcement(job_id, owner, ANNOUNCE_LEASE_S)
        if job is None:
            return False
        kind: EventKind = "completed" if job.state is JobState.COMPLETED else "failed"
        if self.emit(kind, job):
            return store.finish_announcement(job_id, owner) is not None
        store.release_announcement(job_id, owner)
        return False

    def announce_pending(self, store: JobStore) -> int:
        """Announce every final job nobody has announced yet; how many this call announced."""
        if not self.listening:
            return 0
        return sum(self.announce(store, job.id) for job in store.unannounced())


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
