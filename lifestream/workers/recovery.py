"""Keeps jobs moving whatever dies: a Dramatiq middleware that every worker runs.

At worker start-up, and then every few seconds, it

- puts back in the queue every job whose worker's lease expired (the worker
  was killed, or its machine went away) and sends it a new message;
- in embedded mode, sends every due queued job to the in-process broker
  (see ``lifestream.workers.broker`` for why the job store is the queue);
- with Redis, sends a job that has waited queued for a while (``resend_after``) with no message in
  Redis its message again: a Redis without persistence that restarts, or fails over, loses every
  message it held, and nothing else would ever send them (SQS keeps its messages; the embedded broker
  is fed from the store anyway);
- announces completed jobs nobody announced (a worker died in between).

Duplicate messages are harmless by construction: a job is claimed with a
compare-and-set, so the second message for it finds it taken or done.
"""

from __future__ import annotations

import logging
import threading
import time

import dramatiq
from dramatiq import Middleware

from lifestream.services import Services
from lifestream.workers import attempts
from lifestream.workers.broker import ACTOR_NAME, redis_job_ids, send_job

log = logging.getLogger(__name__)

_EMBEDDED_POLL_S = 0.5  # how soon an embedded worker notices a job submitted by another process


class JobRecovery(Middleware):
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self.spec = services.queue.spec
        self.interval = (_EMBEDDED_POLL_S if self.spec.kind == "embedded"
                         else max(0.5, self.settings.job_lease_seconds / 3))
        self._in_flight: set[str] = set()  # embedded: jobs with a message in this process's broker
        self._lock = threading.Lock()
        self._wake = threading.Event()  # set by the process's JobQueue when it submits a job
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # A job is queued in the store a moment before its message is sent, and a retry's message is
        # re-enqueued a moment after the job is queued again: only a job older than this can have lost it.
        self.resend_after = max(30.0, 2 * self.settings.job_lease_seconds)

    # --- Dramatiq hooks

    def after_worker_boot(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stopping.clear()
        self.services.queue.watch(self._wake)
        self._thread = threading.Thread(target=self._loop, args=(broker,), name="lifestream-recovery", daemon=True)
        self._thread.start()

    def before_worker_shutdown(self, broker: dramatiq.Broker, worker: dramatiq.Worker) -> None:
        self._stopping.set()
        self._wake.set()
        self.services.queue.unwatch(self._wake)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
        # Runs after Retries (middleware run their after_* hooks in reverse): a message it
        # re-enqueued is still in flight; one that succeeded or failed for good is not.
        if exception is None or message.failed:
            self._done(message)

    def after_skip_message(self, broker, message) -> None:
        self._done(message)

    def _done(self, message) -> None:
        if message.actor_name == ACTOR_NAME and message.args:
            with self._lock:
                self._in_flight.discard(message.args[0])

    # --- the loop

    def _loop(self, broker: dramatiq.Broker) -> None:
        while not self._stopping.is_set():
            try:
                self.scan(broker)
            except Exception:  # the store or broker is down: keep trying, the jobs are safe in the store
                log.warning("job recovery scan failed; retrying in %.1f s", self.interval, exc_info=True)
            self._wake.wait(self.interval)
            self._wake.clear()

    def scan(self, broker: dramatiq.Broker) -> None:
        store = self.services.store
        for job in store.expired():
            # Queued again, or failed for good past the attempt cap (a poison job must not loop forever).
            released = attempts.settle_expired(store, job, self.settings, self.services.events)
            if released is not None:
                log.warning("job %s: its worker %s stopped renewing its lease; queued again", job.id, job.owner)
                if self.spec.kind != "embedded":
                    send_job(broker, self.settings, released.id, released.duration)
        if self.spec.kind == "redis":
            waiting = [job for job in store.due() if job.updated_at < time.time() - self.resend_after]
            present = redis_job_ids(broker, self.spec.queue) if waiting else set()
            for job in waiting:
                if job.id not in present and store.mark_resent(job.id) is not None:
                    log.warning("job %s: queued for %.0f s with no message in Redis (lost in a restart?); "
                                "sent again", job.id, time.time() - job.updated_at)
                    send_job(broker, self.settings, job.id, job.duration)
        if self.spec.kind == "embedded":
            for job in store.due():
                with self._lock:
                    if job.id in self._in_flight:
                        continue
                    self._in_flight.add(job.id)
                try:
                    send_job(broker, self.settings, job.id, job.duration)
                except Exception:
                    with self._lock:
                        self._in_flight.discard(job.id)
                    raise
        self.services.events.announce_pending(store)
