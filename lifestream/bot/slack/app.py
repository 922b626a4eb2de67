"""The Slack bot: recordings shared in channels become threaded minutes; ``/ask`` answers from past meetings.

Built like slack-bolt's own async examples: one ``AsyncApp``, listeners
registered with decorators, ``ack()`` first, slow work after it. Slack
re-sends events it believes were missed; every event and every shared file is
handled once (``Services.seen``, shared by every bot task when configured), and the same recording shared twice makes one
job (the job store's idempotency key).

One workspace (a bot token), or any number: with OAuth credentials the app
serves bolt's install flow (``installations.py``) and bolt's authorize step
gives every request the token of the workspace it came from. A job remembers
its workspace (``SlackOrigin.workspace``, ``enterprise``), so whatever is
posted later uses that workspace's token too.

This module takes recordings in and acts on jobs (retry, re-run, rename); the
bot's other rooms are beside it: questions and their answers (``questions.py``),
the workspace's settings, Home tab and uninstall (``workspace.py``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

from lifestream import meetings
from lifestream.bot import intake
from lifestream.bot.background import BackgroundTasks
from lifestream.bot.commands import (
    Ask,
    ForgetVoice,
    Help,
    RememberVoice,
    Rename,
    ShowSettings,
    ShowVoice,
    parse_command,
)
from lifestream.bot.fetcher import Credential, origin_of
from lifestream.bot.slack.blocks import (
    ask_modal,
    fallback_text,
    minutes_blocks,
    rename_modal,
    status_text,
    submitted_names,
)
from lifestream.bot.slack.files import file_credential
from lifestream.bot.slack.ids import team_of, thread_root, workspace_of
from lifestream.bot.slack.installations import authorize, oauth_flow
from lifestream.bot.slack.mrkdwn import escape
from lifestream.bot.slack.notify import SlackNotifier
from lifestream.bot.slack.people import SlackDirectory
from lifestream.bot.slack.questions import SlackQuestions
from lifestream.bot.slack.settings_view import OPEN_SETTINGS, SETTINGS_MODAL
from lifestream.bot.slack.workspace import SlackWorkspace
from lifestream.bot.voices import voice_reply
from lifestream.downloads import DownloadsBusy
from lifestream.errors import LifeStreamError
from lifestream.links import meeting_link
from lifestream.origin import SlackOrigin, shared_in
from lifestream.people import mentionable, save_roster
from lifestream.public_errors import public_reason
from lifestream.services import Services
from lifestream.workers.jobstore import Job
from lifestream.workers.recordings import recording_gone
from lifestream.workers.submit import rerun_job, retry_job

log = logging.getLogger(__name__)

HELP = (
    "*LifeStream* turns meeting recordings into minutes.\n"
    "• Share a recording (mp4, mov, mkv, webm, m4a, mp3, wav, ogg) or a direct link to one in a channel "
    "I'm in: the minutes arrive in its thread.\n"
    "• In a thread that holds a recording, mention me with `minutes` to process it.\n"
    "• `/ask what did we decide about the launch?` searches the meetings of conversations you're in.\n"
    "• `/ask rename SPEAKER_1 Alice` names a speaker in this channel's latest minutes.\n"
    "• `/ask settings` shows this workspace's settings (how long meetings are kept, and more); admins change them.\n"
    "• `/ask my voice` shows what I keep of your voice (with voiceprints on), `/ask forget my voice` deletes it."
)
NOT_HERE = (":warning: That meeting was shared in another conversation, so its speakers can be renamed, and it can "
            "be re-run or asked about from its minutes, only there.")


class SlackBot:
    def __init__(self, services: Services, *, notifier: SlackNotifier | None = None) -> None:
        settings = services.settings
        self.services = services
        self.settings = settings
        installations = services.slack
        client = AsyncWebClient(token=None if installations.oauth else settings.slack_bot_token,
                                base_url=settings.slack_api_url)
        # 429s after Retry-After; 500/503 and dropped connections a few times (replies and acknowledgements).
        client.retry_handlers.extend([AsyncRateLimitErrorRetryHandler(max_retry_count=5),
                                      AsyncServerErrorRetryHandler(max_retry_count=4),
                                      AsyncConnectionErrorRetryHandler(max_retry_count=4)])
        # Every HTTP request is verified. Without a signing secret (Socket Mode only) there is no
        # HTTP route at all (lifestream.server); Socket Mode requests skip this check by design.
        verify = bool(settings.slack_signing_secret)
        if installations.oauth:  # any number of workspaces: bolt's install flow and per-workspace tokens
            self.app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret,
                                request_verification_enabled=verify,
                                oauth_flow=oauth_flow(settings, installations, client),
                                # bolt takes an AsyncAuthorize instance (it checks with isinstance) but its
                                # annotation names only the plain-function form.
                                authorize=authorize(settings, installations, client),  # type: ignore[arg-type]
                                installation_store=installations.store)
        else:
            self.app = AsyncApp(client=client, signing_secret=settings.slack_signing_secret,
                                request_verification_enabled=verify)
        self.seen = services.seen  # shared with every bot task when the idempotency table is set
        # Re-renders posted minutes after a rename; the one the process subscribed to job events, if any.
        self.notifier = notifier or SlackNotifier(services)
        self.directory = SlackDirectory()  # who is in a channel: the people a recording's speakers may be
        self._background = BackgroundTasks("Slack handler")
        self.questions = SlackQuestions(services)  # /ask, the Ask button, "Share in channel"
        self.workspace = SlackWorkspace(services, HELP)  # settings, Home tab, uninstall
        self._register()

    # --- plumbing

    def _spawn(self, coro) -> None:
        """Slow work runs after ack, within Slack's 3 seconds."""
        self._background.spawn(coro)

    async def drain(self) -> None:
        await self._background.drain()

    async def close(self) -> None:
        """At shutdown: what the handlers started finishes (a workspace deletion after its current pass)."""
        self.workspace.stop()
        await self.drain()

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
            self._spawn(self.handle_files(event, client, context))

        @app.event("message")
        async def on_message(event, client, context):
            if event.get("bot_id") or event.get("subtype") not in (None, "thread_broadcast"):
                return
            links = [u for u in intake.find_links(event.get("text", "")) if intake.is_recording_link(u)]
            if links:
                self._spawn(self.handle_links(event, links, client, context))

        @app.event("app_mention")
        async def on_mention(event, client, context, say):
            if "minutes" not in event.get("text", "").lower():
                await say(text=HELP, thread_ts=thread_root(event))
                return
            self._spawn(self.handle_mention(event, client, context))

        @app.event("file_shared")
        async def on_file_shared():
            # The same upload also arrives as a message with subtype file_share, which knows its thread.
            return

        @app.command("/ask")
        async def on_ask(ack, command, respond, client):
            await ack()
            self._spawn(self.handle_ask(command, respond, client))

        # --- the workspace: its settings (admins), and the app leaving it

        @app.event("app_home_opened")
        async def on_home(event, client, context):
            if event.get("tab") == "home":
                self._spawn(self.workspace.publish_home(client, team_of(context), event["user"]))

        @app.action(OPEN_SETTINGS)
        async def on_open_settings(ack, body, client, context):
            await ack()
            self._spawn(self.workspace.open_settings(client, team_of(context), body["user"]["id"], body["trigger_id"]))

        @app.view(SETTINGS_MODAL)
        async def on_settings_submit(ack, body, view, client, context):
            error = await self.workspace.save_settings(client, team_of(context), body["user"]["id"], view)
            if error:
                first = next(iter(view["state"]["values"]))
                await ack(response_action="errors", errors={first: error[:150]})
                return
            await ack()
            self._spawn(self.workspace.publish_home(client, team_of(context), body["user"]["id"]))

        @app.event("app_uninstalled")
        async def on_uninstalled(context):
            self._spawn(self.workspace.uninstall(team_of(context), context.enterprise_id))

        @app.event("tokens_revoked")
        async def on_tokens_revoked(event, context):
            if self.app.installation_store is not None:  # bolt's own: forget the revoked users' tokens
                await self.app.default_tokens_revoked_event_listener()(event=event, context=context)
            if (event.get("tokens") or {}).get("bot"):  # the bot's token is gone: as good as uninstalled
                self._spawn(self.workspace.uninstall(team_of(context), context.enterprise_id))

        @app.action("ask_meeting")
        async def on_ask_button(ack, body, client):
            await ack()
            if await self._job_here(body["actions"][0]["value"], body) is None:
                await self._refuse(client, body, NOT_HERE)
                return
            await client.views_open(trigger_id=body["trigger_id"], view=ask_modal(body["actions"][0]["value"],
                                                                                  body["channel"]["id"]))

        @app.view("ask_meeting_modal")
        async def on_ask_submit(ack, body, view, client):
            await ack()
            meta = json.loads(view["private_metadata"])
            question = view["state"]["values"]["question"]["text"]["value"]
            self._spawn(self.questions.answer_in_modal_channel(body["user"]["id"], meta, question, client,
                                                     (body.get("team") or {}).get("id")))

        @app.action("share_answer")
        async def on_share(ack, body, client, respond):
            await ack()
            self._spawn(self.questions.share_answer(body, json.loads(body["actions"][0]["value"]), client, respond))

        @app.action("retry_job")
        @app.action("rerun_job")
        async def on_retry(ack, body, client, context):
            await ack()
            self._spawn(self.handle_retry(body, client))

        # The Download buttons are links (the browser fetches the export); Slack still reports the
        # click, and an unacknowledged action shows the person a warning.
        @app.action(re.compile(r"^download_"))
        async def on_download(ack):
            await ack()

        @app.action("rename_speaker")
        async def on_rename_button(ack, body, client, context):
            await ack()
            self._spawn(self.open_rename_modal(body, client))

        @app.view("rename_speakers_modal")
        async def on_rename_submit(ack, body, view, context):
            await ack()
            meta = json.loads(view["private_metadata"])
            names = submitted_names(view)  # only the boxes the person changed; an emptied one clears a name
            if names:
                self._spawn(self.rename_from_modal(meta, names))

    # --- recordings in

    def _origin(self, event: dict, context, status_ts: str) -> SlackOrigin:
        return SlackOrigin(workspace=team_of(context), enterprise=context.get("enterprise_id"),
                           conversation=event["channel"], thread_ts=thread_root(event), status_ts=status_ts,
                           user=event.get("user"))

    async def _reply(self, client, event: dict, text: str) -> dict:
        return await client.chat_postMessage(channel=event["channel"], thread_ts=thread_root(event), text=text)

    async def handle_files(self, event: dict, client, context) -> None:
        for file in event.get("files", []):
            seen_key = f"file:{team_of(context)}:{file['id']}"
            if not self.seen.first_time(seen_key):
                continue
            name = file.get("name") or file.get("title") or "recording"
            if not intake.is_media(name, file.get("mimetype")):
                if event.get("channel_type") == "im":
                    await self._reply(client, event, f"{escape(name)} isn't a recording; share audio or video "
                                                     f"({intake.SUPPORTED_LIST}).")
                continue
            problem = intake.unsupported_reason(name, file.get("mimetype")) or intake.too_large(file.get("size"), self.settings)
            if problem:
                await self._reply(client, event, f":warning: {escape(problem[0].upper() + problem[1:])}")
                continue
            url = file.get("url_private_download") or file.get("url_private")
            # Slack's file URLs need the workspace's bot token: it goes to Slack's file host only, so a file
            # URL anywhere else is refused, not fetched.
            credential = file_credential(self.settings, client.token or "")
            if not url or not credential.covers(url):
                log.warning("file %s: its URL is not on Slack's file host (%s); not fetched", file.get("id"),
                            origin_of(url or ""))
                await self._reply(client, event, f":warning: I can't fetch *{escape(name)}*: Slack gave me no "
                                                 "download link for it on its own file server. Please share it again.")
                continue
            await self._process(event, client, context, url, name, credential, seen_key, file.get("size"))

    async def handle_links(self, event: dict, links: list[str], client, context) -> None:
        for url in links:
            seen_key = f"link:{event['channel']}:{thread_root(event)}:{url}"
            if self.seen.first_time(seen_key):
                await self._process(event, client, context, url, None, None, seen_key)

    async def handle_mention(self, event: dict, client, context) -> None:
        root = thread_root(event)
        replies = await client.conversations_replies(channel=event["channel"], ts=root, limit=100)
        for message in replies.get("messages", []):
            files = [f for f in message.get("files", []) if intake.is_media(f.get("name", ""), f.get("mimetype"))]
            links = [u for u in intake.find_links(message.get("text", "")) if intake.is_recording_link(u)]
            if files or links:
                fake = {**message, "channel": event["channel"], "thread_ts": root}
                if files:
                    await self.handle_files({**fake, "files": files}, client, context)
                else:
                    await self.handle_links(fake, links, client, context)
                return
        await self._reply(client, event, "I don't see a recording in this thread. Share a file or a direct link to one, "
                                         "then mention me with `minutes`.")

    async def _process(self, event: dict, client, context, url: str, name: str | None,
                       credential: Credential | None, seen_key: str, size: int | None = None) -> None:
        label = name or url.rsplit("/", 1)[-1][:80]
        status = await self._reply(client, event, f":inbox_tray: Received *{escape(label)}*, fetching it…")
        origin = self._origin(event, context, status["ts"])
        await self._save_roster(client, origin)
        try:
            outcome = await intake.receive(url, services=self.services, origin=origin, name=name,
                                           credential=credential, size=size)
        except DownloadsBusy as busy:  # nothing was fetched: the same share must work again in a minute
            self.seen.forget(seen_key)
            await client.chat_update(channel=event["channel"], ts=status["ts"],
                                     text=f":hourglass_flowing_sand: *{escape(label)}*: {escape(busy.message)} "
                                          "Mention me with `minutes` in this thread, or share it again.")
            return
        except Exception as exc:  # the status message must not stay at "fetching it…"
            reason = public_reason(exc, log=log, context=f"Slack recording {label!r} in {event['channel']}")
            await client.chat_update(channel=event["channel"], ts=status["ts"],
                                     text=f":warning: I can't process *{escape(label)}*: {escape(reason)}")
            return
        job, shown = outcome.job, escape(outcome.name)
        # The same recording shared in another conversation first is that conversation's job: say so.
        elsewhere = not shared_in(job.origin, SlackOrigin, team_of(context), event["channel"])
        match outcome.kind:
            case "queued":
                text = status_text(job, outcome.name)
            case "processed_before":
                text = f":recycle: *{shown}* was processed before; here are its minutes."
            case "in_progress" if elsewhere:
                text = (f":recycle: *{shown}* is already {job.state.value}: it was shared in another conversation "
                        "first, and its minutes will be posted there. Share it here again once it has finished "
                        "and I'll post them here too.")
            case "in_progress":
                text = (f":recycle: *{shown}* is already {job.state.value} (job `{job.id}`); the minutes will appear "
                        "in the thread where it was first shared.")
        await client.chat_update(channel=event["channel"], ts=status["ts"], text=text)
        if outcome.kind == "processed_before":  # give this thread the minutes that already exist
            await self._post_existing(client, event, job, elsewhere, team_of(context))

    async def _save_roster(self, client, origin: SlackOrigin) -> None:
        """The channel's members, saved before the job is queued: the worker names speakers from them."""
        try:
            roster = await self.directory.roster(client, origin.workspace, origin.conversation)
        except Exception:  # names then come from the recording alone; the recording matters more
            log.warning("could not read the members of %s", origin.conversation, exc_info=True)
            return
        if roster is not None:
            await asyncio.to_thread(save_roster, self.services.storage, roster)

    async def _post_existing(self, client, event: dict, job, elsewhere: bool, workspace: str) -> None:
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        # Mentions only where the meeting's people are: the workspace it was first shared in.
        same_workspace = job.origin is not None and job.origin.workspace == workspace
        for blocks in minutes_blocks(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                                     shared_elsewhere=elsewhere, recording_gone=recording_gone(job),
                                     mentions=mentionable(meeting) if same_workspace else {}):
            await client.chat_postMessage(channel=event["channel"], thread_ts=thread_root(event),
                                          text=fallback_text(meeting), blocks=blocks)

    # --- /ask: what its words ask for

    async def handle_ask(self, command: dict, respond, client) -> None:
        match parse_command(command.get("text")):
            case Help():
                await respond(text=HELP, response_type="ephemeral")
            case Rename(label, name):
                await respond(text=await self.rename_latest(command.get("team_id"), command["channel_id"], label, name),
                              response_type="ephemeral")
            case ShowSettings():
                await self.workspace.show_settings(command, respond, client)
            case Ask(question):
                await self.questions.answer_privately(question, command, respond, client)
            case ShowVoice() | ForgetVoice() | RememberVoice() as voice:  # only ever the asker's own voiceprint
                text = await asyncio.to_thread(voice_reply, voice, self.services, team_of(command), command["user_id"])
                await respond(text=escape(text), response_type="ephemeral")

    # --- actions on jobs and minutes

    async def _job_here(self, job_id: str | None, body: dict) -> Job | None:
        """The job a button or form names, if it was shared in the conversation the button was used in.

        A message with the bot's buttons can be forwarded, and the same recording shared in two channels is
        one job: buttons act on the job's own channel only (its minutes, its thread), never across.
        """
        workspace = workspace_of((body.get("team") or {}).get("id"))
        channel = (body.get("channel") or {}).get("id")
        job = await asyncio.to_thread(self.services.store.get, job_id) if job_id and channel else None
        return job if job is not None and shared_in(job.origin, SlackOrigin, workspace, channel or "") else None

    async def _refuse(self, client, body: dict, text: str) -> None:
        message = body.get("message") or {}
        await client.chat_postEphemeral(channel=body["channel"]["id"], user=body["user"]["id"], text=text,
                                        thread_ts=message.get("thread_ts") or message.get("ts"))

    async def handle_retry(self, body: dict, client) -> None:
        job_id = body["actions"][0]["value"]
        action = body["actions"][0]["action_id"]
        channel = body["channel"]["id"]
        thread = (body.get("message") or {}).get("thread_ts") or (body.get("message") or {}).get("ts")
        if await self._job_here(job_id, body) is None:
            await self._refuse(client, body, NOT_HERE)
            return
        try:
            job = await asyncio.to_thread(retry_job if action == "retry_job" else rerun_job, job_id,
                                          services=self.services)
            text = f":arrows_counterclockwise: Processing *{escape(job.source_name)}* again."
        except LifeStreamError as exc:
            text = f":warning: {escape(public_reason(exc, log=log, context=f'{action} {job_id}'))}"
        await client.chat_postMessage(channel=channel, thread_ts=thread, text=text)

    async def open_rename_modal(self, body: dict, client) -> None:
        job = await self._job_here(body["actions"][0]["value"], body)
        if job is None:
            await self._refuse(client, body, NOT_HERE)
            return
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        # Where the form was opened goes with it (Slack keeps private_metadata server-side) and is checked again.
        view = rename_modal(job.id, meeting, where={"team": (body.get("team") or {}).get("id"),
                                                     "channel": body["channel"]["id"]})
        await client.views_open(trigger_id=body["trigger_id"], view=view)

    async def rename_from_modal(self, meta: dict, names: dict[str, str]) -> bool:
        job = await self._job_here(meta.get("job_id"), {"team": {"id": meta.get("team")},
                                                        "channel": {"id": meta.get("channel")}})
        if job is None:
            log.warning("rename of job %s from %s refused: not shared there", meta.get("job_id"), meta.get("channel"))
            return False
        return await self.rename(job, names)

    async def rename(self, job: Job, names: dict[str, str]) -> bool:
        await asyncio.to_thread(meetings.rename, self.services, job, names)
        return await asyncio.to_thread(self.notifier.refresh_minutes, job)

    async def rename_latest(self, team: str | None, channel: str, label: str, name: str) -> str:
        job = await asyncio.to_thread(meetings.latest_in, self.services, SlackOrigin, workspace_of(team), channel)
        if job is None:
            return "There are no processed meetings in this channel yet."
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        if label not in meeting.speakers:
            return (f"{escape(label)} is not a speaker in *{escape(meeting.source.name)}* "
                    f"(speakers: {escape(', '.join(meeting.speakers))}).")
        await self.rename(job, {label: name})
        return f"{escape(label)} is now *{escape(name)}* in the minutes of *{escape(meeting.source.name)}*."
