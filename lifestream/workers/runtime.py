"""Running Dramatiq workers in this process: ``lifestream worker``, and the embedded one of ``lifestream serve``."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from lifestream.errors import ConfigError, TransientError
from lifestream.services import Services
from lifestream.workers.actors import worker_broker
from lifestream.workers.broker import BrokerSpec
from lifestream.workers.hooks import load_hook

log = logging.getLogger(__name__)

# On SIGTERM/SIGINT a running job gets this long to finish; past it the process exits and the
# job's lease runs out, so another worker takes it over. A second signal exits at once.
_GRACE_MS = 30_000


def _preflight(broker: dramatiq.Broker, spec: BrokerSpec) -> None:
    """Fail at start with a clear message rather than log connection errors forever."""
    try:
        if isinstance(broker, RedisBroker):
            broker.client.ping()
        elif spec.kind == "sqs":  # also creates the queue (and its dead-letter queue) if missing
            broker.consume(spec.queue, timeout=1000).close()
    except Exception as exc:
        raise TransientError(f"cannot reach the queue broker ({spec.url}): {exc}") from exc


def start_worker(broker: dramatiq.Broker, *, threads: int = 1) -> dramatiq.Worker:
    """Start a worker on ``broker`` (from ``worker_broker``); stop it with ``worker.stop``."""
    worker = dramatiq.Worker(broker, worker_threads=threads)
    # Fetch no more messages than there are threads: a message prefetched by a worker that is
    # then killed waits for the broker's own recovery, while one never fetched goes to a live worker.
    worker.queue_prefetch = threads
    worker.start()
    return worker


def run_worker(services: Services, *, threads: int = 1, hooks: Sequence[str] = ()) -> int:
    """``lifestream worker``: work the queue until SIGTERM/SIGINT.

    The job events go to ``services.events``: the chat notifiers its entry point subscribed, and the
    ``hooks`` named here (``package.module:function``).
    """
    if threads < 1:
        raise ConfigError("--threads must be 1 or more")
    for spec in hooks:
        services.events.subscribe(load_hook(spec))
    queue = services.queue.spec
    broker = worker_broker(services)
    _preflight(broker, queue)

    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        if stop.is_set():
            raise SystemExit(1)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker = start_worker(broker, threads=threads)
    print(f"lifestream worker: ready ({queue.kind} broker, queue {queue.queue}, {threads} thread(s))",
          file=sys.stderr, flush=True)
    while not stop.wait(1.0):
        pass
    print("lifestream worker: stopping", file=sys.stderr, flush=True)
    worker.stop(timeout=_GRACE_MS)
    broker.close()
    services.close()
    return 0
