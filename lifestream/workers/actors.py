"""LifeStream's Dramatiq actor, declared on the broker of one worker process.

Dramatiq's rule is "set the broker up, then declare the actors"; here both
happen in ``worker_broker``, called once by whatever runs a worker
(``lifestream worker``, or ``lifestream serve`` with the embedded broker)
with that process's ``Services``. The actor does its work with those
services: nothing is read from the environment or cached at import.
"""

from __future__ import annotations

import dramatiq

from lifestream.errors import LifeStreamError
from lifestream.services import Services
from lifestream.workers.broker import ACTOR_NAME, SEGMENT_ACTOR_NAME, build_broker
from lifestream.workers.execute import execute_job, owner_id
from lifestream.workers.fanout import execute_segment
from lifestream.workers.recovery import JobRecovery


def worker_broker(services: Services) -> dramatiq.Broker:
    """A broker with the recovery middleware and the actor declared on it, for a worker of this process."""
    broker = build_broker(services.settings, recovery=JobRecovery(services))
    declare_actor(broker, services)
    declare_segment_actor(broker, services)
    if services.queue.embedded:  # segments of a long recording go to this process's own workers
        services.queue.attach_local(broker)
    return broker


def declare_actor(broker: dramatiq.Broker, services: Services) -> dramatiq.Actor:
    def process_recording(job_id: str) -> None:
        execute_job(job_id, services=services)  # attempts are counted in the job store, whatever the broker

    declare = dramatiq.actor(
        broker=broker,
        actor_name=ACTOR_NAME,
        queue_name=services.queue.spec.queue,
        # A LifeStreamError that reaches Dramatiq has already been recorded as the job's failure
        # reason: expected, so logged without a traceback and never retried.
        throws=(LifeStreamError,),
    )
    return declare(process_recording)


def declare_segment_actor(broker: dramatiq.Broker, services: Services) -> dramatiq.Actor:
    def process_segment(job_id: str, index: int) -> None:
        # Never retried by Dramatiq: a segment that fails here is taken again by its job's holder.
        execute_segment(job_id, index, services=services, owner=owner_id())

    declare = dramatiq.actor(broker=broker, actor_name=SEGMENT_ACTOR_NAME, queue_name=services.queue.spec.queue,
                             max_retries=0)
    return declare(process_segment)
