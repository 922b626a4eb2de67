"""LifeStream's Dramatiq actors.

Importing this module sets up the broker from ``LIFESTREAM_*`` settings and
then declares the actors on it, as Dramatiq requires; so besides
``lifestream worker``, ``dramatiq lifestream.workers.actors`` runs them too.
"""

from __future__ import annotations

from functools import lru_cache

import dramatiq

from lifestream.errors import LifeStreamError
from lifestream.settings import get_settings
from lifestream.workers.broker import ACTOR_NAME, parse_broker_url, setup_broker

settings = get_settings()
broker = setup_broker(settings)


@lru_cache(maxsize=1)
def _services():
    from lifestream.storage import get_storage
    from lifestream.workers.jobstore import get_job_store

    return get_job_store(settings), get_storage(settings)


@dramatiq.actor(
    actor_name=ACTOR_NAME,
    queue_name=parse_broker_url(settings.broker_url).queue,
    # A LifeStreamError that reaches Dramatiq has already been recorded as the job's failure
    # reason: expected, so logged without a traceback and never retried.
    throws=(LifeStreamError,),
)
def process_recording(job_id: str) -> None:
    from lifestream.workers.execute import execute_job, run_pipeline

    store, storage = _services()
    execute_job(job_id, settings=settings, store=store, storage=storage, work=run_pipeline)
