"""Tell the Slack thread how its recording is doing: progress, minutes, or why it failed.

Runs wherever job events happen (the worker, or the bot process with an
embedded worker), with the synchronous WebClient: no request is waiting on
it, and the worker's threads are not asyncio. Each post goes out with the
token of the workspace the job came from (its origin), which
``Services.slack`` finds: the one static token, or that workspace's
installation, refreshed when Slack rotates it. A workspace that has
uninstalled the app meanwhile gets nothing posted.
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
from pathlib import Path

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from lifestream.bot.notify import ChatNotifier
from lifestream.bot.slack.blocks import failure_blocks, fallback_text, minutes_blocks, status_text
from lifestream.bot.slack.mrkdwn import escape
from lifestream.links import meeting_link
from lifestream.meetings import load
from lifestream.models import Meeting
from lifestream.origin import SlackOrigin
from lifestream.people import mentionable
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.timefmt import clock
from lifestream.workers.jobstore import Job

log = logging.getLogger(__name__)

KEYFRAMES_POSTED = 2
POSTS_FILE = "slack-posts.json"  # where the minutes messages went, for later edits (speaker renames)


def slack_client(settings: Settings, token: str | None) -> WebClient:
    client = WebClient(token=token, base_url=settings.slack_api_url)
    # Honour 429 Retry-After instead of failing the post.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=5))
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

    def completed(self, job: Job, origin: SlackOrigin) -> None:
        if (client := self.client_for(origin)) is None:
            return
        meeting = load(self.storage, job.result_prefix)
        link = meeting_link(self.settings, meeting.meeting_id)
        posted = []
        # Posted where the meeting was shared: its linked speakers are members of this workspace.
        for blocks in minutes_blocks(meeting, link=link, job_id=job.id, mentions=mentionable(meeting)):
            reply = client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts,
                                            text=fallback_text(meeting), blocks=blocks, unfurl_links=False)
            posted.append(reply["ts"])
        self._save_posts(job, {"channel": origin.channel, "thread_ts": origin.thread_ts, "ts": posted})
        self._post_keyframes(client, job, origin, meeting)
        if origin.status_ts:
            client.chat_update(channel=origin.channel, ts=origin.status_ts,
                               text=f":white_check_mark: Minutes of *{escape(meeting.source.name)}* "
                                    f"({clock(meeting.source.duration)}) are below.")

    def _post_keyframes(self, client: WebClient, job: Job, origin: SlackOrigin, meeting: Meeting) -> None:
        frames = [s for s in meeting.scenes if s.keyframe][:KEYFRAMES_POSTED]
        with tempfile.TemporaryDirectory(prefix="lifestream-post-") as folder:
            for scene in frames:
                assert scene.keyframe is not None
                try:
                    local = self.storage.get(job.result_prefix + scene.keyframe, Path(folder) / Path(scene.keyframe).name)
                    client.files_upload_v2(channel=origin.channel, thread_ts=origin.thread_ts,
                                                file=str(local), filename=local.name,
                                                title=f"Scene {scene.index + 1} at {clock(scene.keyframe_time)}")
                except Exception:  # a missing picture never hides the minutes
                    log.warning("could not post keyframe %s of job %s", scene.keyframe, job.id, exc_info=True)

    def failed(self, job: Job, origin: SlackOrigin) -> None:
        if (client := self.client_for(origin)) is None:
            return
        text = f"I couldn't process {escape(job.source_name)}: {escape(job.reason or 'the job failed.')}"
        client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts, text=text,
                                blocks=failure_blocks(job))
        if origin.status_ts:
            client.chat_update(channel=origin.channel, ts=origin.status_ts,
                               text=f":x: Processing *{escape(job.source_name)}* failed.")

    def _save_posts(self, job: Job, posts: dict) -> None:
        self.storage.put(job.result_prefix + POSTS_FILE, io.BytesIO(json.dumps(posts).encode()),
                         content_type="application/json")

    def refresh_minutes(self, job: Job) -> bool:
        """Re-render the posted minutes (after speakers were renamed). False if they were never posted."""
        if not isinstance(job.origin, SlackOrigin) or (client := self.client_for(job.origin)) is None:
            return False
        with tempfile.TemporaryDirectory(prefix="lifestream-post-") as folder:
            try:
                posts = json.loads(self.storage.get(job.result_prefix + POSTS_FILE, Path(folder) / POSTS_FILE).read_text())
            except Exception:
                return False
        meeting = load(self.storage, job.result_prefix)
        messages = minutes_blocks(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                                  mentions=mentionable(meeting) if job.origin is not None else {})
        for ts, blocks in zip(posts["ts"], messages, strict=False):  # a renamed meeting renders the same count
            client.chat_update(channel=posts["channel"], ts=ts, text=fallback_text(meeting), blocks=blocks)
        return True

