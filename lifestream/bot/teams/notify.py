"""Tell the Teams reply chain how its recording is doing: progress, the minutes card, or why it failed.

Runs wherever job events happen: the worker threads of ``lifestream serve``
(embedded broker) or of a separate ``lifestream worker`` that has the Teams
credentials. Nothing of the original request is left by then; the job's
origin carries the serialized
``ConversationReference`` and the id of the acknowledgement, and a
``CloudAdapter`` built from settings continues that conversation
proactively, with its own credentials.

Job events arrive on plain threads, but botbuilder is asyncio: the notifier
owns one event loop on a daemon thread and runs each message there, waiting
for it so events stay in order.

No minutes are lost and none are posted twice: a send that meets a 5xx, a
429 or a dropped connection is tried again a few times; a card once posted
is recorded beside the job's results (``teams-posts.json``,
``teams-failure.json``, for the same results: the job's ``finished_at``) and
not sent again when an announcement that failed later is tried again.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import json
import logging
import tempfile
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import aiohttp
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from lifestream.bot.notify import ChatNotifier
from lifestream.bot.teams.cards import failure_card, md, minutes_card, preview_card, status_text, summary_text
from lifestream.bot.teams.config import build_adapter
from lifestream.bot.teams.posts import POSTS_FILE, MinutesPosts
from lifestream.bot.teams.proactive import card_message, send, update_card, update_text
from lifestream.bot.teams.tenants import tenant_allowed
from lifestream.links import meeting_link
from lifestream.meetings import load
from lifestream.origin import TeamsOrigin
from lifestream.people import mentionable
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.timefmt import clock
from lifestream.workers.fanout import PREVIEW_POSTS_SUFFIX, early_minutes
from lifestream.workers.hooks import JobEvent
from lifestream.workers.jobstore import Job
from lifestream.workers.recordings import recording_gone

log = logging.getLogger(__name__)

SEND_TIMEOUT_S = 120.0
SEND_ATTEMPTS = 5  # the first and 4 retries, 0.5 s apart doubling
FAILURE_FILE = "teams-failure.json"
PREVIEW_FILE = "teams" + PREVIEW_POSTS_SUFFIX  # the early minutes' card, which the whole minutes replace


def transient(exc: BaseException) -> bool:
    """A send worth trying again: a dropped connection, a timeout, or the connector's 5xx / 429."""
    # OSError: ConnectionError, and requests' (msrest's transport) connection errors
    if isinstance(exc, aiohttp.ClientConnectionError | OSError | asyncio.TimeoutError):
        return True
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    if isinstance(status, int):
        return status >= 500 or status == 429
    inner = getattr(exc, "inner_exception", None) or exc.__cause__  # msrest wraps connection errors
    return inner is not None and inner is not exc and transient(inner)


async def send_retrying(adapter: CloudAdapter, settings: Settings, reference: dict, activity: Activity) -> str | None:
    for attempt in range(SEND_ATTEMPTS):
        try:
            return await send(adapter, settings, reference, activity)
        except Exception as exc:
            if attempt == SEND_ATTEMPTS - 1 or not transient(exc):
                raise
            log.warning("sending to Teams failed (%s); trying again", type(exc).__name__)
            await asyncio.sleep(0.5 * 2**attempt)
    return None


class TeamsNotifier(ChatNotifier[TeamsOrigin]):
    origin_type = TeamsOrigin

    def __init__(self, services: Services, adapter: CloudAdapter | None = None) -> None:
        super().__init__()
        self.settings = services.settings
        self.storage = services.storage
        self.adapter = adapter or build_adapter(services.settings)
        self.posts = MinutesPosts(services)
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="teams-notify", daemon=True).start()

    def _run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        """The coroutine's result, run on the notifier's loop; None when called from inside an event loop."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a plain thread (a worker): wait, so messages keep their order and errors surface
            return future.result(SEND_TIMEOUT_S)
        # Called from inside an event loop (announce_pending in a bot process): never block that loop.
        future.add_done_callback(_log_failure)
        return None

    def __call__(self, event: JobEvent) -> None:
        origin = event.job.origin
        if isinstance(origin, TeamsOrigin) and not tenant_allowed(self.settings, origin.workspace):
            log.warning("job %s: tenant %s is no longer served (LIFESTREAM_TEAMS_TENANTS); nothing posted",
                        event.job.id, origin.workspace)
            return
        super().__call__(event)

    def progress(self, job: Job, origin: TeamsOrigin) -> None:
        self._update_ack(job, origin, status_text(job))

    def _update_ack(self, job: Job, origin: TeamsOrigin, text: str) -> None:
        """Best effort: the acknowledgement may have been deleted; the minutes or the failure are what matter."""
        if not origin.status_id:
            return
        try:
            self._run(update_text(self.adapter, self.settings, origin.reference, origin.status_id, text))
        except Exception as exc:
            log.warning("could not update the acknowledgement of job %s in Teams: %s", job.id, exc)

    def preview(self, job: Job, origin: TeamsOrigin) -> None:
        if (meeting := early_minutes(self.storage, job.id)) is None:
            return
        content, summary = preview_card(meeting), summary_text(meeting, early=True)
        earlier = self._load(job, PREVIEW_FILE)  # an earlier attempt's early minutes: these take their place
        try:
            if earlier is not None:
                self._run(update_card(self.adapter, self.settings, origin.reference, earlier["activity_id"],
                                      content, summary))
                return
            posted = self._run(send_retrying(self.adapter, self.settings, origin.reference,
                                             card_message(content, summary)))
        except Exception as exc:  # best effort: the whole minutes are what is owed
            log.warning("could not post the early minutes of job %s in Teams: %s", job.id, exc)
            return
        if posted:
            self._save(job, PREVIEW_FILE, {"activity_id": posted})

    def completed(self, job: Job, origin: TeamsOrigin) -> None:
        meeting = load(self.storage, job.result_prefix)
        if self._record(job, POSTS_FILE) is None:  # not yet posted (an earlier try may have failed after it)
            # Posted where the meeting was shared: its linked speakers are members of this tenant.
            content = minutes_card(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                                   recording_gone=recording_gone(job), mentions=mentionable(meeting))
            posted = None
            if (early := self._load(job, PREVIEW_FILE)) is not None:
                try:  # the whole minutes take the early minutes' place
                    self._run(update_card(self.adapter, self.settings, origin.reference, early["activity_id"],
                                          content, summary_text(meeting)))
                    posted = early["activity_id"]
                except Exception as exc:  # deleted meanwhile, say: the minutes are posted anew
                    log.warning("job %s: the early minutes could not be replaced in Teams (%s)", job.id, exc)
            posted = posted or self._run(send_retrying(self.adapter, self.settings, origin.reference,
                                                       card_message(content, summary_text(meeting))))
            if posted:  # so a rename can re-render this card, and a later try does not post it again
                self.posts.record(job, origin.reference, posted)
                self.storage.delete(job.result_prefix + PREVIEW_FILE)
        self._update_ack(job, origin, f"✅ Minutes of **{md(meeting.source.name, 120)}** "
                                      f"({clock(meeting.source.duration)}) are below.")

    def failed(self, job: Job, origin: TeamsOrigin) -> None:
        if self._record(job, FAILURE_FILE) is None:
            posted = self._run(send_retrying(
                self.adapter, self.settings, origin.reference,
                card_message(failure_card(job), f"I couldn't process {md(job.source_name, 120)}")))
            if posted:  # (None: sent from inside an event loop, not waited for)
                self._save(job, FAILURE_FILE, {"activity_id": posted, "finished_at": job.finished_at})
                self._early_minutes_stand_alone(job, origin)
        self._update_ack(job, origin, f"❌ Processing **{md(job.source_name, 120)}** failed.")

    def _early_minutes_stand_alone(self, job: Job, origin: TeamsOrigin) -> None:
        """Early minutes already posted no longer promise the whole minutes: they say the rest failed."""
        if (early := self._load(job, PREVIEW_FILE)) is None:
            return
        if (meeting := early_minutes(self.storage, job.id)) is None:
            return
        try:
            self._run(update_card(self.adapter, self.settings, origin.reference, early["activity_id"],
                                  preview_card(meeting, failed=True), summary_text(meeting, early=True)))
        except Exception as exc:  # deleted meanwhile, say: the failure card says it all
            log.warning("job %s: the early minutes could not be marked as all there is in Teams (%s)", job.id, exc)

    def _record(self, job: Job, name: str) -> dict | None:
        """What an earlier try at this announcement posted, for the same results (the same finish)."""
        record = self._load(job, name)
        return record if record is not None and record.get("finished_at") == job.finished_at else None

    def _save(self, job: Job, name: str, record: dict) -> None:
        self.storage.put(job.result_prefix + name, io.BytesIO(json.dumps(record).encode()),
                         content_type="application/json")

    def _load(self, job: Job, name: str) -> dict | None:
        with tempfile.TemporaryDirectory(prefix="lifestream-post-") as folder:
            if self.storage.stat(job.result_prefix + name) is None:
                return None
            return json.loads(self.storage.get(job.result_prefix + name, Path(folder) / name).read_text())


def _log_failure(future: concurrent.futures.Future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a Teams notification failed", exc_info=future.exception())
