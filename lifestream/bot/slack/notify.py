"""Tell the Slack thread how its recording is doing: progress, minutes, or why it failed.

Runs wherever job events happen (the worker, or the bot process with an
embedded worker), with the synchronous WebClient: no request is waiting on
it, and the worker's threads are not asyncio. Each post goes out with the
token of the workspace the job came from (its origin), which
``Services.slack`` finds: the one static token, or that workspace's
installation, refreshed when Slack rotates it. A workspace that has
uninstalled the app meanwhile gets nothing posted.

No minutes are lost and none are posted twice: each call is retried on 429
(after Retry-After), on 5xx and on a dropped connection; what was posted is
recorded in the job's results after every message (``slack-posts.json``,
``slack-failure.json``), so an announcement that still fails part way raises,
is tried again later (``JobEvents.announce``) and carries on after the last
message posted. A record only counts for the same results (the job's
``finished_at``): a re-run posts its new minutes anew.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryState
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

from lifestream.bot.notify import ChatNotifier
from lifestream.bot.slack.blocks import failure_blocks, fallback_text, minutes_blocks, preview_blocks, status_text
from lifestream.bot.slack.mrkdwn import escape
from lifestream.links import meeting_link
from lifestream.meetings import load
from lifestream.models import Meeting
from lifestream.origin import SlackOrigin
from lifestream.people import mentionable
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.timefmt import clock
from lifestream.workers.fanout import PREVIEW_POSTS_SUFFIX, early_minutes
from lifestream.workers.jobstore import Job
from lifestream.workers.recordings import recording_gone

log = logging.getLogger(__name__)

KEYFRAMES_POSTED = 2
POSTS_FILE = "slack-posts.json"  # where the minutes messages went, for later edits (speaker renames) and resuming
FAILURE_FILE = "slack-failure.json"  # the failure notice, once posted
PREVIEW_FILE = "slack" + PREVIEW_POSTS_SUFFIX  # the early minutes' message, which the whole minutes replace
RETRIES = 4


class AnyServerErrorRetryHandler(ServerErrorRetryHandler):
    """Every 5xx (slack_sdk's own retries 500 and 503 only; a proxy in between answers 502 and 504)."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and 500 <= response.status_code < 600


def slack_client(settings: Settings, token: str | None) -> WebClient:
    client = WebClient(token=token, base_url=settings.slack_api_url)
    # Honour 429 Retry-After, and try again after a 5xx or a dropped connection, instead of failing the post.
    client.retry_handlers.extend([RateLimitErrorRetryHandler(max_retry_count=5),
                                  AnyServerErrorRetryHandler(max_retry_count=RETRIES),
                                  ConnectionErrorRetryHandler(max_retry_count=RETRIES)])
    return client


class SlackNotifier(ChatNotifier[SlackOrigin]):
    origin_type = SlackOrigin

    def __init__(self, services: Services, client: WebClient | None = None) -> None:
        super().__init__()
        self.settings = services.settings
        self.storage = services.storage
        self.installations = services.slack
        self._client = client  # a fixed client (tests); else one per post, with the workspace's token

    def client_for(self, origin: SlackOrigin) -> WebClient | None:
        """A client with the bot token of the origin's workspace; None if the app is not installed there."""
        if self._client is not None:
            return self._client
        token = self.installations.bot_token(origin.workspace, origin.enterprise)
        if token is None:
            log.warning("workspace %s has no installation of the app (uninstalled?): nothing posted", origin.workspace)
            return None
        return slack_client(self.settings, token)

    def progress(self, job: Job, origin: SlackOrigin) -> None:
        if not origin.status_ts or (client := self.client_for(origin)) is None:
            return
        try:
            client.chat_update(channel=origin.channel, ts=origin.status_ts, text=status_text(job))
        except SlackApiError as exc:  # progress is best effort; the minutes are what matter
            log.warning("could not update progress of job %s: %s", job.id, exc.response.get("error"))

    def preview(self, job: Job, origin: SlackOrigin) -> None:
        if (client := self.client_for(origin)) is None:
            return
        if (meeting := early_minutes(self.storage, job.id)) is None:
            return
        text = fallback_text(meeting, early=True)
        earlier = self._load(job, PREVIEW_FILE)  # an earlier attempt's early minutes: these take their place
        try:
            if earlier is not None:
                client.chat_update(channel=earlier["channel"], ts=earlier["ts"], text=text,
                                   blocks=preview_blocks(meeting))
                return
            reply = client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts, text=text,
                                            blocks=preview_blocks(meeting), unfurl_links=False)
        except SlackApiError as exc:  # best effort: the whole minutes are what is owed
            log.warning("could not post the early minutes of job %s: %s", job.id, exc.response.get("error"))
            return
        self._save(job, PREVIEW_FILE, {"channel": origin.channel, "ts": reply["ts"]})

    def completed(self, job: Job, origin: SlackOrigin) -> None:
        if (client := self.client_for(origin)) is None:
            return
        meeting = load(self.storage, job.result_prefix)
        link = meeting_link(self.settings, meeting.meeting_id)
        record = self._record(job, POSTS_FILE) or {"channel": origin.channel, "thread_ts": origin.thread_ts,
                                                     "ts": [], "keyframes": 0}
        record["finished_at"] = job.finished_at
        posted: list[str] = record["ts"]
        # Posted where the meeting was shared: its linked speakers are members of this workspace.
        messages = minutes_blocks(meeting, link=link, job_id=job.id, recording_gone=recording_gone(job),
                                  mentions=mentionable(meeting))
        if not posted and (early := self._load(job, PREVIEW_FILE)) is not None:
            try:  # the whole minutes take the early minutes' place
                client.chat_update(channel=early["channel"], ts=early["ts"], text=fallback_text(meeting),
                                   blocks=messages[0])
                posted.append(early["ts"])
                self._save(job, POSTS_FILE, record)
            except SlackApiError as exc:  # deleted meanwhile, say: the minutes are posted anew below
                log.warning("job %s: the early minutes could not be replaced (%s)", job.id,
                            exc.response.get("error"))
            self.storage.delete(job.result_prefix + PREVIEW_FILE)
        for blocks in messages[len(posted):]:  # resume after the last
            reply = client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts,
                                            text=fallback_text(meeting), blocks=blocks, unfurl_links=False)
            posted.append(reply["ts"])
            self._save(job, POSTS_FILE, record)
        self._post_keyframes(client, job, origin, meeting, record)
        if origin.status_ts:
            client.chat_update(channel=origin.channel, ts=origin.status_ts,
                               text=f":white_check_mark: Minutes of *{escape(meeting.source.name)}* "
                                    f"({clock(meeting.source.duration)}) are below.")

    def _post_keyframes(self, client: WebClient, job: Job, origin: SlackOrigin, meeting: Meeting,
                        record: dict) -> None:
        frames = [s for s in meeting.scenes if s.keyframe][:KEYFRAMES_POSTED]
        with tempfile.TemporaryDirectory(prefix="lifestream-post-") as folder:
            for scene in frames[record.get("keyframes", 0):]:
                assert scene.keyframe is not None
                try:
                    local = self.storage.get(job.result_prefix + scene.keyframe, Path(folder) / Path(scene.keyframe).name)
                    client.files_upload_v2(channel=origin.channel, thread_ts=origin.thread_ts,
                                                file=str(local), filename=local.name,
                                                title=f"Scene {scene.index + 1} at {clock(scene.keyframe_time)}")
                except Exception:  # a missing picture never hides the minutes
                    log.warning("could not post keyframe %s of job %s", scene.keyframe, job.id, exc_info=True)
                record["keyframes"] = record.get("keyframes", 0) + 1
                self._save(job, POSTS_FILE, record)

    def failed(self, job: Job, origin: SlackOrigin) -> None:
        if (client := self.client_for(origin)) is None:
            return
        if self._record(job, FAILURE_FILE) is None:  # not yet told (this time: a retried job may fail again)
            text = f"I couldn't process {escape(job.source_name)}: {escape(job.reason or 'the job failed.')}"
            reply = client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts, text=text,
                                            blocks=failure_blocks(job))
            self._save(job, FAILURE_FILE, {"ts": reply["ts"], "finished_at": job.finished_at})
            self._early_minutes_stand_alone(client, job)
        if origin.status_ts:
            client.chat_update(channel=origin.channel, ts=origin.status_ts,
                               text=f":x: Processing *{escape(job.source_name)}* failed.")

    def _early_minutes_stand_alone(self, client: WebClient, job: Job) -> None:
        """Early minutes already posted no longer promise the whole minutes: they say the rest failed."""
        if (early := self._load(job, PREVIEW_FILE)) is None:
            return
        if (meeting := early_minutes(self.storage, job.id)) is None:
            return
        try:
            client.chat_update(channel=early["channel"], ts=early["ts"], blocks=preview_blocks(meeting, failed=True),
                               text=fallback_text(meeting, early=True))
        except SlackApiError as exc:  # deleted meanwhile, say: the failure notice says it all
            log.warning("job %s: the early minutes could not be marked as all there is (%s)", job.id,
                        exc.response.get("error"))

    def _save(self, job: Job, name: str, record: dict) -> None:
        self.storage.put(job.result_prefix + name, io.BytesIO(json.dumps(record).encode()),
                         content_type="application/json")

    def _record(self, job: Job, name: str) -> dict | None:
        """What an earlier try at this announcement posted (the same results: the same finish), if any."""
        record = self._load(job, name)
        if record is None or record.get("finished_at") != job.finished_at:
            return None
        return record

    def _load(self, job: Job, name: str) -> dict | None:
        with tempfile.TemporaryDirectory(prefix="lifestream-post-") as folder:
            if self.storage.stat(job.result_prefix + name) is None:
                return None
            return json.loads(self.storage.get(job.result_prefix + name, Path(folder) / name).read_text())

    def refresh_minutes(self, job: Job) -> bool:
        """Re-render the posted minutes (after speakers were renamed). False if they were never posted."""
        if not isinstance(job.origin, SlackOrigin) or (client := self.client_for(job.origin)) is None:
            return False
        try:
            posts = self._load(job, POSTS_FILE)
        except Exception:
            return False
        if posts is None:
            return False
        meeting = load(self.storage, job.result_prefix)
        messages = minutes_blocks(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                                  recording_gone=recording_gone(job), mentions=mentionable(meeting))
        for ts, blocks in zip(posts["ts"], messages, strict=False):  # a renamed meeting renders the same count
            client.chat_update(channel=posts["channel"], ts=ts, text=fallback_text(meeting), blocks=blocks)
        return True

