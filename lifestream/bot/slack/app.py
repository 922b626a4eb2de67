"""The Slack bot: recordings shared in channels become threaded minutes; ``/ask`` answers from past meetings.

Built like slack-bolt's own async examples: one ``AsyncApp``, listeners
registered with decorators, ``ack()`` first, slow work after it. Slack
re-sends events it believes were missed; every event and every shared file is
handled once (``SeenStore``), and the same recording shared twice makes one
job (the job store's idempotency key).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from lifestream import meetings
from lifestream.bot import intake
from lifestream.bot.background import BackgroundTasks
from lifestream.bot.commands import Ask, Help, Rename, parse_command
from lifestream.bot.seen import SeenStore
from lifestream.bot.slack.blocks import (
    answer_blocks,
    ask_modal,
    escape,
    fallback_text,
    minutes_blocks,
    rename_modal,
    status_text,
    submitted_names,
)
from lifestream.bot.slack.notify import SlackNotifier
from lifestream.bot.slack.people import SlackDirectory
from lifestream.errors import LifeStreamError
from lifestream.links import meeting_link
from lifestream.origin import SlackOrigin
from lifestream.people import mentionable, save_roster
from lifestream.search import Scope, ask
from lifestream.services import Services
from lifestream.timefmt import clock
from lifestream.workers.submit import rerun_job, retry_job

log = logging.getLogger(__name__)

HELP = (
    "*LifeStream* turns meeting recordings into minutes.\n"
    "• Share a recording (mp4, mov, mkv, webm, m4a, mp3, wav, ogg) or a direct link to one in a channel "
    "I'm in: the minutes arrive in its thread.\n"
    "• In a thread that holds a recording, mention me with `minutes` to process it.\n"
    "• `/ask what did we decide about the launch?` searches the meetings of conversations you're in.\n"
    "• `/ask rename SPEAKER_1 Alice` names a speaker in this channel's latest minutes."
)
MEMBERSHIP_CACHE_S = 60


def _thread_root(event: dict) -> str:
    return event.get("thread_ts") or event["ts"]


class SlackBot:
    def __init__(self, services: Services, *, notifier: SlackNotifier | None = None) -> None:
        settings = services.settings
        self.services = services
        self.settings = settings
        client = AsyncWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url)
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=5))
        self.app = AsyncApp(
            client=client,
            signing_secret=settings.slack_signing_secret,
            # Every HTTP request is verified. Without a signing secret (Socket Mode only) there is no
            # HTTP route at all (lifestream.server); Socket Mode requests skip this check by design.
            request_verification_enabled=bool(settings.slack_signing_secret),
        )
        self.seen = SeenStore(settings.data_dir / "slack-seen.sqlite3")
        # Re-renders posted minutes after a rename; the one the process subscribed to job events, if any.
        self.notifier = notifier or SlackNotifier(services)
        self._members: dict[str, tuple[float, list[str]]] = {}
        self.directory = SlackDirectory()  # who is in a channel: the people a recording's speakers may be
        self._background = BackgroundTasks("Slack handler")
        self._register()

    # --- plumbing

    def _spawn(self, coro) -> None:
        """Slow work runs after ack, within Slack's 3 seconds."""
        self._background.spawn(coro)

    async def drain(self) -> None:
        await self._background.drain()

    def _register(self) -> None:
        app = self.app

        @app.middleware
        async def once_per_event(body, next, logger):  # noqa: A002 - bolt's parameter name
            event_id = body.get("event_id")
            if event_id and not self.seen.first_time(f"event:{event_id}"):
                logger.info("event %s already handled (Slack retry)", event_id)
                return BoltResponse(status=200, body="")  # acknowledged, not processed again
            return await next()

        @app.event({"type": "message", "subtype": "file_share"})
        async def on_file_share(event, client, context):
            self._spawn(self.handle_files(event, client, context.get("team_id") or event.get("team")))

        @app.event("message")
        async def on_message(event, client, context):
            if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
                return
            links = [u for u in intake.find_links(event.get("text", "")) if intake.is_recording_link(u)]
            if links:
                self._spawn(self.handle_links(event, links, client, context.get("team_id") or event.get("team")))

        @app.event("app_mention")
        async def on_mention(event, client, context, say):
            if "minutes" not in event.get("text", "").lower():
                await say(text=HELP, thread_ts=_thread_root(event))
                return
            self._spawn(self.handle_mention(event, client, context.get("team_id") or event.get("team")))

        @app.event("file_shared")
        async def on_file_shared():
            # The same upload also arrives as a message with subtype file_share, which knows its thread.
            return

        @app.command("/ask")
        async def on_ask(ack, command, respond, client):
            await ack()
            self._spawn(self.handle_ask(command, respond, client))

        @app.action("ask_meeting")
        async def on_ask_button(ack, body, client):
            await ack()
            await client.views_open(trigger_id=body["trigger_id"], view=ask_modal(body["actions"][0]["value"],
                                                                                  body["channel"]["id"]))

        @app.view("ask_meeting_modal")
        async def on_ask_submit(ack, body, view, client):
            await ack()
            meta = json.loads(view["private_metadata"])
            question = view["state"]["values"]["question"]["text"]["value"]
            self._spawn(self.answer_in_modal_channel(body["user"]["id"], meta, question, client,
                                                     body.get("team", {}).get("id")))

        @app.action("share_answer")
        async def on_share(ack, body, client, respond):
            await ack()
            payload = json.loads(body["actions"][0]["value"])
            await client.chat_postMessage(channel=body["channel"]["id"], text=payload["text"],
                                          blocks=answer_blocks(payload["question"], payload["text"], shared_by=body["user"]["id"]))
            await respond(delete_original=True)

        @app.action("retry_job")
        @app.action("rerun_job")
        async def on_retry(ack, body, client):
            await ack()
            self._spawn(self.handle_retry(body, client))

        # The Download buttons are links (the browser fetches the export); Slack still reports the
        # click, and an unacknowledged action shows the person a warning.
        @app.action(re.compile(r"^download_"))
        async def on_download(ack):
            await ack()

        @app.action("rename_speaker")
        async def on_rename_button(ack, body, client):
            await ack()
            self._spawn(self.open_rename_modal(body, client))

        @app.view("rename_speakers_modal")
        async def on_rename_submit(ack, body, view):
            await ack()
            meta = json.loads(view["private_metadata"])
            names = submitted_names(view)  # only the boxes the person changed; an emptied one clears a name
            if names:
                self._spawn(self.rename(meta["job_id"], names))

    # --- recordings in

    def _origin(self, event: dict, team: str | None, status_ts: str) -> SlackOrigin:
        return SlackOrigin(workspace=team or "slack", conversation=event["channel"], thread_ts=_thread_root(event),
                           status_ts=status_ts, user=event.get("user"))

    async def _reply(self, client, event: dict, text: str) -> dict:
        return await client.chat_postMessage(channel=event["channel"], thread_ts=_thread_root(event), text=text)

    async def handle_files(self, event: dict, client, team: str | None) -> None:
        for file in event.get("files", []):
            if not self.seen.first_time(f"file:{team}:{file['id']}"):
                continue
            name = file.get("name") or file.get("title") or "recording"
            if not intake.is_media(name, file.get("mimetype")):
                if event.get("channel_type") == "im":
                    await self._reply(client, event, f"{name} isn't a recording; share audio or video "
                                                     f"({intake.SUPPORTED_LIST}).")
                continue
            problem = intake.unsupported_reason(name, file.get("mimetype")) or intake.too_large(file.get("size"), self.settings)
            if problem:
                await self._reply(client, event, f":warning: {problem[0].upper()}{problem[1:]}")
                continue
            url = file.get("url_private_download") or file.get("url_private")
            # Slack's file URLs need the bot token; it is sent to Slack's file URL only.
            await self._process(event, client, team, url, name, {"Authorization": f"Bearer {self.settings.slack_bot_token}"})

    async def handle_links(self, event: dict, links: list[str], client, team: str | None) -> None:
        for url in links:
            if self.seen.first_time(f"link:{event['channel']}:{_thread_root(event)}:{url}"):
                await self._process(event, client, team, url, None, None)

    async def handle_mention(self, event: dict, client, team: str | None) -> None:
        root = _thread_root(event)
        replies = await client.conversations_replies(channel=event["channel"], ts=root, limit=100)
        for message in replies.get("messages", []):
            files = [f for f in message.get("files", []) if intake.is_media(f.get("name", ""), f.get("mimetype"))]
            links = [u for u in intake.find_links(message.get("text", "")) if intake.is_recording_link(u)]
            if files or links:
                fake = {**message, "channel": event["channel"], "thread_ts": root}
                if files:
                    await self.handle_files({**fake, "files": files}, client, team)
                else:
                    await self.handle_links(fake, links, client, team)
                return
        await self._reply(client, event, "I don't see a recording in this thread. Share a file or a direct link to one, "
                                         "then mention me with `minutes`.")

    async def _process(self, event: dict, client, team: str | None, url: str, name: str | None,
                       headers: dict[str, str] | None) -> None:
        label = name or url.rsplit("/", 1)[-1][:80]
        status = await self._reply(client, event, f":inbox_tray: Received *{escape(label)}*, fetching it…")
        origin = self._origin(event, team, status["ts"])
        await self._save_roster(client, origin)
        try:
            outcome = await intake.receive(url, services=self.services, origin=origin, name=name, headers=headers)
        except LifeStreamError as exc:
            await client.chat_update(channel=event["channel"], ts=status["ts"],
                                     text=f":warning: I can't process *{escape(label)}*: {escape(exc.message)}")
            return
        job, shown = outcome.job, escape(outcome.name)
        match outcome.kind:
            case "queued":
                text = status_text(job, outcome.name)
            case "processed_before":
                text = f":recycle: *{shown}* was processed before; here are its minutes."
            case "in_progress":
                text = (f":recycle: *{shown}* is already {job.state.value} (job `{job.id}`); the minutes will appear "
                        "in the thread where it was first shared.")
        await client.chat_update(channel=event["channel"], ts=status["ts"], text=text)
        if outcome.kind == "processed_before":  # give this thread the minutes that already exist
            await self._post_existing(client, event, job, team)

    async def _save_roster(self, client, origin: SlackOrigin) -> None:
        """The channel's members, saved before the job is queued: the worker names speakers from them."""
        roster = await self.directory.roster(client, origin.workspace, origin.conversation)
        if roster is not None:
            await asyncio.to_thread(save_roster, self.services.storage, roster)

    async def _post_existing(self, client, event: dict, job, team: str | None) -> None:
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        # Mentions only where the meeting's people are: the workspace it was first shared in.
        same_workspace = job.origin is not None and job.origin.workspace == (team or "slack")
        mentions = mentionable(meeting) if same_workspace else {}
        for blocks in minutes_blocks(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                                     mentions=mentions):
            await client.chat_postMessage(channel=event["channel"], thread_ts=_thread_root(event),
                                          text=fallback_text(meeting), blocks=blocks)

    # --- questions

    async def user_conversations(self, client, user: str) -> list[str]:
        """Conversations the user is a member of: the only meetings they may search."""
        cached = self._members.get(user)
        if cached and time.monotonic() - cached[0] < MEMBERSHIP_CACHE_S:
            return cached[1]
        channels, cursor = [], None
        while True:
            page = await client.users_conversations(user=user, types="public_channel,private_channel,mpim,im",
                                                    limit=200, cursor=cursor, exclude_archived=True)
            channels += [c["id"] for c in page.get("channels", [])]
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        self._members[user] = (time.monotonic(), channels)
        return channels

    async def answer(self, question: str, user: str, team: str | None, client, meeting_id: str | None = None):
        conversations = await self.user_conversations(client, user)
        return await asyncio.to_thread(ask, question, Scope(team or "slack", conversations), settings=self.settings,
                                       index=self.services.index, meeting_ids=(meeting_id,) if meeting_id else ())

    async def handle_ask(self, command: dict, respond, client) -> None:
        match parse_command(command.get("text")):
            case Help():
                await respond(text=HELP, response_type="ephemeral")
            case Rename(label, name):
                await respond(text=await self.rename_latest(command["channel_id"], label, name),
                              response_type="ephemeral")
            case Ask(question):
                await self.answer_privately(question, command, respond, client)

    async def answer_privately(self, text: str, command: dict, respond, client) -> None:
        try:
            result = await self.answer(text, command["user_id"], command.get("team_id"), client)
        except LifeStreamError as exc:
            await respond(text=f":warning: {exc.message}", response_type="ephemeral")
            return
        except SlackApiError as exc:
            log.warning("/ask: Slack API error %s", exc.response.get("error"))
            await respond(text=":warning: I couldn't check which conversations you're in, so I can't answer "
                               "safely right now. Please try again in a minute.", response_type="ephemeral")
            return
        await respond(text=result.text, blocks=answer_blocks(text, self._render_answer(result), share=True),
                      response_type="ephemeral")

    def _render_answer(self, result) -> str:
        if not result.found:
            return result.text
        lines = [escape(result.text), ""]
        for n, c in enumerate(result.citations, 1):
            link = meeting_link(self.settings, c.meeting_id)
            lines.append(f"[{n}] <{link}|{escape(c.title)}> · {escape(c.speaker or 'unknown')} · {clock(c.start)}")
        return "\n".join(lines)

    async def answer_in_modal_channel(self, user: str, meta: dict, question: str, client, team: str | None) -> None:
        try:
            result = await self.answer(question, user, team, client, meeting_id=meta.get("meeting_id"))
            text = self._render_answer(result)
        except LifeStreamError as exc:
            text = f":warning: {exc.message}"
        await client.chat_postEphemeral(channel=meta["channel"], user=user, text=text,
                                        blocks=answer_blocks(question, text, share=True))

    # --- actions on jobs and minutes

    async def handle_retry(self, body: dict, client) -> None:
        job_id = body["actions"][0]["value"]
        action = body["actions"][0]["action_id"]
        channel = body["channel"]["id"]
        thread = (body.get("message") or {}).get("thread_ts") or (body.get("message") or {}).get("ts")
        try:
            job = await asyncio.to_thread(retry_job if action == "retry_job" else rerun_job, job_id,
                                          services=self.services)
            text = f":arrows_counterclockwise: Processing *{escape(job.source_name)}* again."
        except LifeStreamError as exc:
            text = f":warning: {exc.message}"
        await client.chat_postMessage(channel=channel, thread_ts=thread, text=text)

    async def open_rename_modal(self, body: dict, client) -> None:
        meeting_id = body["actions"][0]["value"]
        job = await asyncio.to_thread(self.services.store.get, meeting_id)
        if job is None:
            return
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        await client.views_open(trigger_id=body["trigger_id"], view=rename_modal(job.id, meeting))

    async def rename(self, job_id: str, names: dict[str, str]) -> bool:
        job = await asyncio.to_thread(self.services.store.get, job_id)
        if job is None:
            return False
        await asyncio.to_thread(meetings.rename, self.services, job, names)
        return await asyncio.to_thread(self.notifier.refresh_minutes, job)

    async def rename_latest(self, channel: str, label: str, name: str) -> str:
        job = await asyncio.to_thread(meetings.latest_in, self.services, SlackOrigin, channel)
        if job is None:
            return "There are no processed meetings in this channel yet."
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        if label not in meeting.speakers:
            return f"{label} is not a speaker in *{escape(meeting.source.name)}* (speakers: {', '.join(meeting.speakers)})."
        await self.rename(job.id, {label: name})
        return f"{label} is now *{escape(name)}* in the minutes of *{escape(meeting.source.name)}*."

