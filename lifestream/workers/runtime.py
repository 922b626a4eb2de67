"""``lifestream worker``: Dramatiq workers for the configured broker, in this process."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Sequence

from lifestream.errors import ConfigError, TransientError

log = logging.getLogger(__name__)

# On SIGTERM/SIGINT a running job gets this long to finish; past it the process exits and the
# job's lease runs out, so another worker takes it over. A second signal exits at once.
_GRACE_MS = 30_000


def _preflight(broker, spec) -> None:
    """Fail at start with a clear message rather than log connection errors forever."""
    try:
        if spec.kind == "redis":
            broker.client.ping()
        elif spec.kind == "sqs":  # also creates the queue (and its dead-letter queue) if missing
            broker.consume(spec.queue, timeout=1000).close()
    except Exception as exc:
        raise TransientError(f"cannot reach the queue broker ({spec.url}): {exc}") from exc


def run_worker(*, threads: int = 1, hooks: Sequence[str] = ()) -> int:
    import dramatiq

    from lifestream.workers.hooks import load_hook

    if threads < 1:
        raise ConfigError("--threads must be 1 or more")
    for spec in hooks:
        load_hook(spec)
    from lifestream.bot.web import register_notifiers
    from lifestream.workers import actors  # sets the broker up, then declares the actors on it
    from lifestream.workers.broker import parse_broker_url

    # A worker apart from the bot's server tells the chat threads itself (progress, minutes,
    # failures) for every platform whose credentials it has.
    register_notifiers(actors.settings)

    broker = actors.broker
    spec = parse_broker_url(actors.settings.broker_url)
    _preflight(broker, spec)
    worker = dramatiq.Worker(broker, worker_threads=threads)
    # Fetch no more messages than there are threads: a message prefetched by a worker that is
    # then killed waits for the broker's own recovery, while one never fetched goes to a live worker.
    worker.queue_prefetch = threads

    stop = threading.Event()

    def request_stop(signum, frame) -> None:
        if stop.is_set():
            raise SystemExit(1)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    worker.start()
    print(f"lifestream worker: ready ({spec.kind} broker, queue {spec.queue}, {threads} thread(s))",
          file=sys.stderr, flush=True)
    while not stop.wait(1.0):
        pass
    print("lifestream worker: stopping", file=sys.stderr, flush=True)
    worker.stop(timeout=_GRACE_MS)
    broker.close()
    return 0
