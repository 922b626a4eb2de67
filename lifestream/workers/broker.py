"""The Dramatiq broker, chosen by ``LIFESTREAM_BROKER_URL``.

- unset (or ``embedded://``): the embedded broker, no server needed;
- ``redis://host:port/db`` (or ``rediss://``): Redis;
- ``sqs://<queue-name>``: Amazon SQS, through dramatiq-sqs
  (``LIFESTREAM_SQS_ENDPOINT_URL`` points it at any SQS-compatible server).
  Failed messages go to ``<queue-name>_dlq``.

A worker's broker (``lifestream.workers.actors.worker_broker``) carries the
recovery middleware (``lifestream.workers.recovery``), which sends messages
through this module; a process that only submits jobs sends them through its
``JobQueue`` (``Services.queue``), whose broker needs no middleware of its own.

Why the embedded broker is Dramatiq's StubBroker fed from the job store, and
not dramatiq-sqlite (0.1.0, evaluated from its wheel):

- dramatiq-sqlite marks a fetched message ``consumed`` and nothing ever
  turns it back to ``queued`` if that worker dies, so a kill -9 loses the
  job: the one thing the embedded default must not do. Its ``requeue`` (used
  on graceful shutdown) binds a tuple to a single ``IN ?`` parameter, which
  sqlite3 rejects. It polls every 0.1 s, and it is a first 0.1.0 release.
- Its one advantage, a queue shared by processes on disk, we already have:
  the job store (SQLite by default) is durable and shared, and records each
  job's state, lease and retry time.

So in embedded mode the job store *is* the queue. The worker's recovery loop
(``lifestream.workers.recovery``) moves due jobs (queued ones, including
those submitted by other processes, ones whose backoff has passed, ones
whose worker's lease expired) into an in-process StubBroker, which gives
them all of Dramatiq's middleware: retries with backoff, time limits. A
message lost with the process is rebuilt from its job record at the next
start; nothing exists only in memory.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlparse

import dramatiq
from dramatiq.middleware import (
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from lifestream.errors import ConfigError, TransientError
from lifestream.settings import Settings
from lifestream.workers import policy

ACTOR_NAME = "process_recording"
# One segment of a long recording (lifestream.workers.fanout), on the same queue: any worker takes either.
SEGMENT_ACTOR_NAME = "process_segment"
DEFAULT_QUEUE = "lifestream"
# A message is redelivered on dramatiq.Retry only; lease waits count too, hence the headroom.
_MAX_REDELIVERIES = 100
_QUEUE_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9._-]*$")


@dataclass(frozen=True)
class BrokerSpec:
    kind: Literal["embedded", "redis", "sqs"]
    queue: str
    url: str | None = None


def parse_broker_url(url: str | None) -> BrokerSpec:
    if not url or url in ("embedded", "embedded://"):
        return BrokerSpec("embedded", DEFAULT_QUEUE)
    scheme = urlparse(url).scheme
    if scheme in ("redis", "rediss", "unix"):
        return BrokerSpec("redis", DEFAULT_QUEUE, url)
    if scheme == "sqs":
        name = url[len("sqs://"):].strip("/")
        if not _QUEUE_NAME.match(name):
            raise ConfigError(f"LIFESTREAM_BROKER_URL={url}: write sqs://<queue-name> (letters, digits, - and _).")
        return BrokerSpec("sqs", name, url)
    raise ConfigError(f"LIFESTREAM_BROKER_URL={url}: unsupported; use redis://host:port/db, sqs://<queue-name> "
                      "or leave it unset for the embedded broker.")


def _retry_when(retries: int, exc: BaseException) -> bool:
    # The actor decides (lifestream.workers.execute): it raises Retry for a transient failure
    # with retries left, and the error itself when the job has failed for good.
    return isinstance(exc, dramatiq.Retry) and retries < _MAX_REDELIVERIES


def build_broker(settings: Settings, *, recovery: Middleware | None = None) -> dramatiq.Broker:
    """A new broker with LifeStream's middleware and its queue declared.

    A worker's broker gets ``recovery`` (``JobRecovery``); one that only sends messages needs none.
    """
    spec = parse_broker_url(settings.broker_url)
    middleware: list[Middleware] = [
        # First in the list, so its after_* hooks run last: it sees whether Retries kept the message.
        *([recovery] if recovery is not None else []),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=_MAX_REDELIVERIES, retry_when=_retry_when,
                min_backoff=settings.job_retry_min_backoff_ms, max_backoff=settings.job_retry_max_backoff_ms),
        CurrentMessage(),
    ]
    broker: dramatiq.Broker
    if spec.kind == "redis":
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(url=spec.url, middleware=middleware)
    elif spec.kind == "sqs":
        from dramatiq_sqs import SQSBroker

        # dramatiq-sqs hides a received message for 12 hours by default: a worker killed mid-job would
        # keep its message in flight that long, and the queue would not look idle to the scale-to-zero
        # alarm. Leases, not visibility, keep a job from running twice, so a short timeout is safe: a
        # message that reappears while its job is still leased is put back with a delay.
        broker = SQSBroker(middleware=middleware, dead_letter=True, endpoint_url=settings.sqs_endpoint_url,
                           region_name=settings.s3_region, visibility_timeout=settings.sqs_visibility_seconds)
    else:
        from dramatiq.brokers.stub import StubBroker

        broker = StubBroker(middleware=middleware)
    broker.declare_queue(spec.queue)
    return broker


# A dropped connection or a broker restarting is a few seconds' gap: the message is sent again over
# about 6 s (a new connection each time) before the job is given up as unsent.
SEND_RETRY_DELAYS_S = (0.2, 0.5, 1.0, 2.0, 2.5)


def send_job(broker: dramatiq.Broker, settings: Settings, job_id: str, duration: float | None) -> None:
    """Enqueue a job's message, with a time limit scaled to the recording's length."""
    spec = parse_broker_url(settings.broker_url)
    _send(broker, settings, dramatiq.Message(
        queue_name=spec.queue, actor_name=ACTOR_NAME, args=(job_id,), kwargs={},
        options={"time_limit": policy.time_limit_ms(duration, settings)}))


def send_segment(broker: dramatiq.Broker, settings: Settings, job_id: str, index: int, seconds: float) -> None:
    """Enqueue one segment of a fanned-out job, with a time limit scaled to the segment's length."""
    spec = parse_broker_url(settings.broker_url)
    _send(broker, settings, dramatiq.Message(
        queue_name=spec.queue, actor_name=SEGMENT_ACTOR_NAME, args=(job_id, index), kwargs={},
        options={"time_limit": policy.time_limit_ms(seconds, settings)}))


def _send(broker: dramatiq.Broker, settings: Settings, message: dramatiq.Message) -> None:
    for delay in (*SEND_RETRY_DELAYS_S, None):
        try:
            broker.enqueue(message)
            return
        except Exception as exc:
            if not isinstance(exc, dramatiq.BrokerError) and not policy.is_transient(exc):
                raise
            if delay is None:
                raise TransientError(f"cannot reach the queue ({settings.broker_url}): {exc}") from exc
            time.sleep(delay)


def redis_job_ids(broker: dramatiq.Broker, queue: str) -> set[str]:
    """The jobs that have a message in Redis: waiting, delayed (a retry's backoff) or being worked.

    Read from the hashes Dramatiq's Redis broker keeps every unacknowledged message in
    (``<namespace>:<queue>.msgs`` and ``<namespace>:<queue>.DQ.msgs``, see its dispatch.lua). Should that
    layout change, this finds nothing, and the recovery loop re-sends a waiting job now and then instead
    of only when its message is gone: duplicates, which the claim's compare-and-set makes harmless.
    """
    from dramatiq.brokers.redis import RedisBroker

    if not isinstance(broker, RedisBroker):
        return set()
    ids = set()
    for key in (f"{broker.namespace}:{queue}.msgs", f"{broker.namespace}:{queue}.DQ.msgs"):
        for _, data in broker.client.hscan_iter(key):
            try:
                message = dramatiq.Message.decode(data)
            except dramatiq.errors.DecodeError:
                continue
            if message.actor_name == ACTOR_NAME and message.args:
                ids.add(str(message.args[0]))
    return ids


class JobQueue:
    """How this process gets a queued job to a worker: a message on the broker or, with the embedded
    broker, a nudge to this process's own workers (there the job store is the queue, see above)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.spec = parse_broker_url(settings.broker_url)
        self._broker: dramatiq.Broker | None = None
        self._lock = threading.Lock()
        self._wakeups: list[threading.Event] = []  # this process's embedded workers
        self._local: dramatiq.Broker | None = None

    @property
    def embedded(self) -> bool:
        return self.spec.kind == "embedded"

    def send(self, job_id: str, duration: float | None) -> None:
        """Raises TransientError when the broker cannot be reached."""
        if self.embedded:
            self.wake()  # a worker in this process looks at the job store now, not at its next poll
            return
        send_job(self._sender(), self.settings, job_id, duration)

    def _sender(self) -> dramatiq.Broker:
        # Built on first use: `lifestream jobs list` never connects to the broker.
        with self._lock:
            if self._broker is None:
                self._broker = build_broker(self.settings)
            return self._broker

    def send_segment(self, job_id: str, index: int, seconds: float) -> None:
        """A segment of a fanned-out job, to any worker; with the embedded broker, to this process's own
        workers (when one is running here)."""
        if self.embedded:
            with self._lock:
                local = self._local
            if local is not None:
                send_segment(local, self.settings, job_id, index, seconds)
            return
        send_segment(self._sender(), self.settings, job_id, index, seconds)

    def attach_local(self, broker: dramatiq.Broker) -> None:
        """The embedded worker's broker of this process, for segment messages."""
        with self._lock:
            self._local = broker

    def watch(self, wakeup: threading.Event) -> None:
        """An embedded worker's recovery loop: set ``wakeup`` when a job is submitted in this process."""
        with self._lock:
            self._wakeups.append(wakeup)

    def unwatch(self, wakeup: threading.Event) -> None:
        with self._lock:
            if wakeup in self._wakeups:
                self._wakeups.remove(wakeup)

    def wake(self) -> None:
        with self._lock:
            wakeups = list(self._wakeups)
        for wakeup in wakeups:
            wakeup.set()

    def close(self) -> None:
        with self._lock:
            broker, self._broker = self._broker, None
        if broker is not None:
            broker.close()
