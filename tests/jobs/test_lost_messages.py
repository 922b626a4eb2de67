"""A queue that goes away for a moment loses no job (issue 14, found by tests/jobs/test_chaos.py):
a message is sent again while Redis restarts, and a job whose message Redis lost is sent again by the
recovery loop. Real redis-server on loopback."""

from __future__ import annotations

import threading
import time

from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.workers.broker import DEFAULT_QUEUE, build_broker, send_job
from lifestream.workers.jobstore import Job, JobState
from lifestream.workers.recovery import JobRecovery
from tests.support.faults import RedisServer


def queued_messages(broker) -> list[str]:
    """The jobs of the messages waiting in the queue, taken as a worker takes them (and not acknowledged:
    Redis keeps them as being worked on)."""
    consumer = broker.consume(DEFAULT_QUEUE, prefetch=10, timeout=500)
    ids = []
    while (message := next(consumer)) is not None:
        ids.append(message.args[0])
    consumer.close()
    return ids


def test_a_message_sent_while_redis_restarts_gets_through(tmp_path):
    with RedisServer(tmp_path) as redis:
        settings = Settings(data_dir=tmp_path / "data", broker_url=f"redis://127.0.0.1:{redis.port}/0")
        broker = build_broker(settings)
        broker.client.ping()  # a pooled connection, which the restart leaves dead
        redis.kill()
        restart = threading.Timer(1.0, redis.start)
        restart.start()
        started = time.monotonic()
        try:
            send_job(broker, settings, "job-during-restart", 30.0)
        finally:
            restart.join()  # so that the server it starts is the one stopped at the end
        assert 0.9 < time.monotonic() - started < 8
        assert queued_messages(broker) == ["job-during-restart"]
        broker.close()


def test_a_job_whose_message_redis_lost_is_sent_again(tmp_path):
    with RedisServer(tmp_path) as redis:
        settings = Settings(data_dir=tmp_path / "data", broker_url=f"redis://127.0.0.1:{redis.port}/0")
        services = Services(settings)
        store = services.store
        long_ago = time.time() - 120
        lost, _ = store.create(Job(id="lost", storage_key="uploads/a.wav", idempotency_key="k:a", source_name="a.wav",
                                   created_at=long_ago, updated_at=long_ago))
        fresh, _ = store.create(Job(id="fresh", storage_key="uploads/b.wav", idempotency_key="k:b",
                                    source_name="b.wav"))
        waiting, _ = store.create(Job(id="waiting", storage_key="uploads/c.wav", idempotency_key="k:c",
                                      source_name="c.wav", created_at=long_ago, updated_at=long_ago))
        broker = build_broker(settings)
        send_job(broker, settings, "waiting", 30.0)  # queued behind others for two minutes, its message safe
        recovery = JobRecovery(services)
        assert recovery.resend_after == 60.0  # 2 leases of 30 s
        recovery.scan(broker)
        # The job queued for two minutes with no message anywhere gets one; the one whose message waits in
        # Redis gets no second, and the fresh one is left to its own.
        assert sorted(queued_messages(broker)) == ["lost", "waiting"]
        assert store.get("lost").state is JobState.QUEUED and store.get("lost").updated_at > long_ago + 100
        recovery.scan(broker)  # and not again at the next scan: its clock started over, and its message is there
        assert queued_messages(broker) == []
        broker.close()
        services.close()
