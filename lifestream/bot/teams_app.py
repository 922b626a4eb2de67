"""The Teams side: recordings shared with the bot become minutes in the same reply chain; questions get cited answers.

Built like botbuilder's own aiohttp samples: a ``CloudAdapter`` with
``ConfigurationBotFrameworkAuthentication`` validates every request's Bot
Framework JWT and runs an ``ActivityHandler`` (``TeamsBot``). The turn only
acknowledges; downloading, searching and the later replies happen after the
request has returned (Teams redelivers a message it gets no answer to within
15 s), and reach the conversation proactively through its stored
``ConversationReference`` with ``continue_conversation``, which is also how
the worker posts the minutes (``teams_notify``), possibly from another
process hours later.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import jwt
import requests
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationReference

from lifestream.bot import intake
from lifestream.bot.background import BackgroundTasks
from lifestream.links import meeting_link
from lifestream.bot.seen import SeenStore
from lifestream.bot.teams_cards import ASK, RETRY, answer_card, attachment, md, minutes_card, status_text, summary_text
from lifestream.errors import LifeStreamError
from lifestream.meetings import load as load_meeting
from lifestream.origin import TeamsOrigin
from lifestream.search import Scope, ask
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.workers.submit import retry_job

log = logging.getLogger(__name__)

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"

HELP = (
    "**LifeStream** turns meeting recordings into minutes.\n\n"
    f"- **Share a recording** ({intake.SUPPORTED_LIST}) or paste a direct link to one, and mention me: "
    "the minutes arrive in this reply chain. In a chat with me, just send it.\n"
    "- **ask** *what did we decide about the launch?* answers from the meetings shared in this conversation, "
    "with the meeting, speaker and time of each source.\n"
    "- **help** shows this."
)
_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_ASK = re.compile(r"^ask\b[:\s]*(.*)$", re.IGNORECASE | re.DOTALL)


# --- configuration and the adapter

Mode = Literal["jwt", "emulator", "off"]


def teams_mode(settings: Settings) -> Mode:
    """jwt: every request must carry a valid Bot Framework token. emulator: none is asked for (local use only)."""
    if settings.teams_app_id or settings.teams_app_password or settings.teams_tenant_id:
        return "jwt"
    return "emulator" if settings.teams_allow_unauthenticated else "off"


def teams_problem(settings: Settings) -> str | None:
    """Why /api/messages cannot take requests with this configuration, or None if it can."""
    mode = teams_mode(settings)
    if mode == "off":
        return ("Teams is not configured: set LIFESTREAM_TEAMS_APP_ID and LIFESTREAM_TEAMS_APP_PASSWORD "
                "(and LIFESTREAM_TEAMS_TENANT_ID for a single-tenant bot), or LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED=true "
                "for local testing with the Bot Framework Emulator.")
    if mode == "jwt" and not (settings.teams_app_id and settings.teams_app_password):
        # Half a credential would silently turn validation off (botbuilder treats an empty app id as "no auth").
        return "Teams is misconfigured: LIFESTREAM_TEAMS_APP_ID and LIFESTREAM_TEAMS_APP_PASSWORD must both be set."
    return None


class BotConfig:
    """The attribute names ``ConfigurationBotFrameworkAuthentication`` reads, as in botbuilder's samples' config.py."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.teams_app_id or ""  # empty: authentication disabled (Emulator mode only)
        self.APP_PASSWORD = settings.teams_app_password or ""
        self.APP_TYPE = "SingleTenant" if settings.teams_tenant_id else "MultiTenant"
        self.APP_TENANTID = settings.teams_tenant_id or ""


def build_adapter(settings: Settings) -> CloudAdapter:
    if teams_problem(settings):
        raise LifeStreamError(teams_problem(settings))
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(BotConfig(settings)))


async def continue_in(adapter: CloudAdapter, settings: Settings, reference: dict[str, Any],
                      logic: Callable[[TurnContext], Awaitable[None]]) -> None:
    """Run ``logic`` in a proactive turn of the conversation ``reference`` (a serialized ConversationReference)."""
    ref = ConversationReference().deserialize(reference)

    async def turn(context: TurnContext) -> None:
        # A continuation turn carries a made-up activity id, and replies name it as their replyToId;
        # reply to the message that started it all instead, so the reply chain is the person's.
        context.activity.id = ref.activity_id
        await logic(context)

    await adapter.continue_conversation(ref, turn, bot_app_id=settings.teams_app_id or "")


async def update_text(adapter: CloudAdapter, settings: Settings, reference: dict, activity_id: str, text: str) -> None:
    """Replace the text of a message the bot sent earlier (the acknowledgement)."""
    async def logic(context: TurnContext) -> None:
        await context.update_activity(Activity(type=ActivityTypes.message, id=activity_id, text=text,
                                               text_format="markdown"))

    await continue_in(adapter, settings, reference, logic)


async def send(adapter: CloudAdapter, settings: Settings, reference: dict, activity: Activity | str) -> None:
    async def logic(context: TurnContext) -> None:
        await context.send_activity(activity)

    await continue_in(adapter, settings, reference, logic)


def card_message(content: dict, summary: str) -> Activity:
    """A message holding one Adaptive Card; ``summary`` is what notifications show."""
    message = MessageFactory.attachment(attachment(content))
    message.summary = summary
    return message


# --- reading an activity


@dataclass(frozen=True)
class SharedFile:
    name: str
    url: str | None
    mimetype: str | None


def shared_files(activity: Activity) -> list[SharedFile]:
    """Files attached to a message: Teams' file download info, or plain attachments (the Emulator, Web Chat)."""
    files = []
    for a in activity.attachments or []:
        content = a.content if isinstance(a.content, dict) else {}
        if a.content_type == FILE_DOWNLOAD_INFO:
            # downloadUrl is a short-lived pre-authenticated SharePoint URL: no token goes with it.
            name = a.name or f"recording.{content.get('fileType', '')}".rstrip(".")
            files.append(SharedFile(name, content.get("downloadUrl"), None))
        elif a.content_url and not (a.content_type or "").startswith(("text/html", "application/vnd.microsoft.")):
            name = a.name or urlsplit(a.content_url).path.rsplit("/", 1)[-1] or "recording"
            files.append(SharedFile(name, a.content_url, a.content_type))
    return files


def command_text(activity: Activity) -> str:
    """The message text without the bot's @mention (Teams writes it as <at>Name</at>) and without markup.

    Not ``TurnContext.remove_recipient_mention``: it deletes the bot's name everywhere in the text (as a
    regex), and a question may well name the bot or a person. Only the mention entities that point at the
    bot are removed; other people's mentions keep their names ("what did <at>Diane</at> promise?").
    """
    text = activity.text or ""
    bot_id = activity.recipient.id if activity.recipient else None
    for mention in TurnContext.get_mentions(activity):
        props = mention.additional_properties or {}
        if (props.get("mentioned") or {}).get("id") == bot_id and props.get("text"):
            text = text.replace(props["text"], " ")
    text = _MENTION.sub(lambda m: re.sub(r"<[^>]+>", "", m.group(0)), text)
    text = re.sub(r"<[^>]+>", " ", text).replace("&nbsp;", " ")
    return " ".join(text.split())


def _channel_data(activity: Activity) -> dict:
    return activity.channel_data if isinstance(activity.channel_data, dict) else {}


def search_scope(activity: Activity) -> tuple[str, str]:
    """(workspace, conversation) under which this conversation's meetings are indexed and searched.

    The workspace is the tenant. The conversation is the channel for channel
    messages (Teams adds ";messageid=…" to a reply chain's id; all chains of a
    channel share its meetings), else the group chat or 1:1 chat itself.
    """
    data = _channel_data(activity)
    tenant = (data.get("tenant") or {}).get("id") or getattr(activity.conversation, "tenant_id", None) or "teams"
    channel = (data.get("channel") or {}).get("id")
    conversation = channel or (activity.conversation.id or "").split(";", 1)[0]
    return tenant, conversation


# --- the bot


class TeamsBot(TeamsActivityHandler):
    def __init__(self, services: Services, outbound: CloudAdapter) -> None:
        settings = services.settings
        self.services = services
        self.settings = settings
        # Proactive turns use an adapter without the inbound one's on_turn_error, so their failures
        # reach this code (and its short messages) instead of a generic apology.
        self.outbound = outbound
        self.seen = SeenStore(settings.data_dir / "teams-seen.sqlite3")
        # Failures here are typically the connector refusing a reply: nobody can be told in the chat.
        self._background = BackgroundTasks("Teams background work")

    # --- plumbing

    def _spawn(self, coro: Coroutine) -> None:
        """Work after the turn, which only acknowledges."""
        self._background.spawn(coro)

    async def drain(self) -> None:
        await self._background.drain()

    def _reference(self, context: TurnContext) -> dict[str, Any]:
        reference = TurnContext.get_conversation_reference(context.activity)
        tenant, _ = search_scope(context.activity)
        reference.conversation.tenant_id = reference.conversation.tenant_id or tenant
        return reference.serialize()

    async def _update(self, reference: dict, activity_id: str, text: str) -> None:
        await update_text(self.outbound, self.settings, reference, activity_id, text)

    async def _send(self, reference: dict, activity: Activity | str) -> None:
        await send(self.outbound, self.settings, reference, activity)

    # --- turns

    async def on_members_added_activity(self, members_added: list[ChannelAccount], turn_context: TurnContext):
        # Say what the bot does once, when it is the one added (installed in a team, chat or personally).
        if any(m.id == turn_context.activity.recipient.id for m in members_added):
            await turn_context.send_activity(MessageFactory.text(HELP))

    async def on_message_activity(self, turn_context: TurnContext):
        activity = turn_context.activity
        if activity.id and not self.seen.first_time(f"activity:{activity.conversation.id}:{activity.id}"):
            log.info("activity %s already handled (redelivery)", activity.id)
            return
        if isinstance(activity.value, dict) and activity.value.get("action"):
            await self.on_card_action(turn_context, activity.value)
            return
        text = command_text(activity)
        files = shared_files(activity)
        media = [f for f in files if intake.is_media(f.name, f.mimetype)]
        links = [u for u in intake.find_links(text) if intake.is_recording_link(u)]
        if media or links:
            for file in media:
                await self.start_recording(turn_context, file.url, file.name, file.mimetype)
            for url in links:
                await self.start_recording(turn_context, url, None, None)
            return
        if files and activity.conversation.conversation_type == "personal":
            names = ", ".join(f.name for f in files)
            await turn_context.send_activity(f"{md(names)} isn't a recording; share audio or video ({intake.SUPPORTED_LIST}).")
            return
        asked = _ASK.match(text)
        question = asked.group(1).strip() if asked else text
        if not question or text.lower() in ("help", "?", "hi", "hello") or (asked is None and text.lower() == "ask"):
            await turn_context.send_activity(MessageFactory.text(HELP))
            return
        await self.start_answer(turn_context, question, None)

    async def on_card_action(self, turn_context: TurnContext, value: dict) -> None:
        action = value.get("action")
        if action == ASK:
            question = " ".join(str(value.get("question") or "").split())
            if not question:
                await turn_context.send_activity("Type a question first.")
                return
            await self.start_answer(turn_context, question, value.get("meeting_id"))
        elif action == RETRY:
            await turn_context.send_activity(await self.retry(str(value.get("job_id") or ""), turn_context.activity))
        else:
            await turn_context.send_activity(MessageFactory.text(HELP))

    # --- recordings in

    async def start_recording(self, turn_context: TurnContext, url: str | None, name: str | None,
                              mimetype: str | None) -> None:
        label = name or urlsplit(url or "").path.rsplit("/", 1)[-1][:80] or "the recording"
        if not url:
            await turn_context.send_activity(f"⚠️ Teams didn't give me a download link for **{md(label)}**; "
                                             "please share it again.")
            return
        if name and (problem := intake.unsupported_reason(name, mimetype)):
            await turn_context.send_activity(f"⚠️ {md(problem)}")
            return
        ack = await turn_context.send_activity(f"📥 Received **{md(label)}**, fetching it…")
        reference = self._reference(turn_context)
        workspace, conversation = search_scope(turn_context.activity)
        sender = turn_context.activity.from_property
        origin = TeamsOrigin(workspace=workspace, conversation=conversation, reference=reference,
                             status_id=ack.id if ack else None,
                             user=sender.aad_object_id or sender.id if sender else None,
                             team=(_channel_data(turn_context.activity).get("team") or {}).get("id"))
        self._spawn(self.fetch_and_submit(url, name, label, origin))

    async def fetch_and_submit(self, url: str, name: str | None, label: str, origin: TeamsOrigin) -> None:
        reference, status_id = origin.reference, origin.status_id
        try:
            received = await intake.download_and_submit(url, services=self.services, origin=origin, name=name)
        except LifeStreamError as exc:
            await self._update(reference, status_id, f"⚠️ I can't process **{md(label)}**: {md(exc.message, 1000)}")
            return
        except Exception:
            log.exception("fetching %s failed", label)
            await self._update(reference, status_id,
                               f"⚠️ Something went wrong on my side while fetching **{md(label)}**; please try again.")
            return
        job = received.submission.job
        if received.submission.created:
            job = job.model_copy(update={"duration": received.duration})
            await self._update(reference, status_id, status_text(job, received.name))
            return
        # Shared before: say so, and give this conversation the minutes that already exist.
        if job.state.value == "completed":
            await self._update(reference, status_id,
                               f"♻️ **{md(received.name)}** was processed before; here are its minutes.")
            await self.post_minutes(reference, job)
        else:
            await self._update(reference, status_id,
                               f"♻️ **{md(received.name)}** is already {job.state.value} (job {job.id}); the minutes "
                               "will appear where it was first shared.")

    async def post_minutes(self, reference: dict, job) -> None:
        meeting = await asyncio.to_thread(load_meeting, self.services.storage, job.result_prefix)
        content = minutes_card(meeting, link=meeting_link(self.settings, meeting.meeting_id))
        await self._send(reference, card_message(content, summary_text(meeting)))

    # --- questions

    async def start_answer(self, turn_context: TurnContext, question: str, meeting_id: str | None) -> None:
        # Searching can take seconds (the embedding model loads on first use): answer after the turn.
        await turn_context.send_activity(Activity(type=ActivityTypes.typing))
        workspace, conversation = search_scope(turn_context.activity)
        self._spawn(self.answer(self._reference(turn_context), question, workspace, conversation, meeting_id))

    async def answer(self, reference: dict, question: str, workspace: str, conversation: str,
                     meeting_id: str | None) -> None:
        try:
            # Only meetings shared in this conversation: whoever can read it could read those minutes.
            result = await asyncio.to_thread(ask, question, Scope(workspace, [conversation]), settings=self.settings,
                                             index=self.services.index,
                                             meeting_ids=(meeting_id,) if meeting_id else ())
            message: Activity | str = card_message(
                answer_card(question, result, lambda mid: meeting_link(self.settings, mid)), result.text[:200])
        except LifeStreamError as exc:
            message = f"⚠️ {md(exc.message, 1000)}"
        except Exception:
            log.exception("answering %r failed", question)
            message = "⚠️ I couldn't search the meetings just now; please try again in a moment."
        await self._send(reference, message)

    # --- actions on jobs

    async def retry(self, job_id: str, activity: Activity) -> str:
        job = await asyncio.to_thread(self.services.store.get, job_id) if job_id else None
        _, conversation = search_scope(activity)
        if job is None or not isinstance(job.origin, TeamsOrigin) or job.origin.conversation != conversation:
            return "⚠️ I can't find that job in this conversation."
        try:
            job = await asyncio.to_thread(retry_job, job_id, services=self.services)
        except LifeStreamError as exc:
            return f"⚠️ {md(exc.message, 1000)}"
        return f"🔄 Processing **{md(job.source_name)}** again; progress shows in the first message about it."


# --- the HTTP endpoint


class TeamsEndpoint:
    """POST /api/messages: the Bot Framework's one route into the bot."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.problem = teams_problem(settings)
        self.bot: TeamsBot | None = None
        if self.problem:
            log.warning("/api/messages answers 503: %s", self.problem)
            return
        if teams_mode(settings) == "emulator":
            log.warning("Teams endpoint accepts UNAUTHENTICATED requests (LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED); "
                        "for local use with the Bot Framework Emulator only")
        self.adapter = build_adapter(settings)
        self.adapter.on_turn_error = self.on_turn_error
        self.bot = TeamsBot(services, outbound=build_adapter(settings))

    async def on_turn_error(self, context: TurnContext, error: Exception) -> None:
        # As botbuilder's samples do: log the trace, tell the person briefly, never show the trace.
        log.error("Teams turn failed", exc_info=error)
        try:
            await context.send_activity("⚠️ Something went wrong on my side; please try again.")
        except Exception:
            log.warning("could not tell the conversation about the failed turn", exc_info=True)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.problem:
            return web.json_response({"error": self.problem}, status=503)
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected an application/json activity"}, status=415)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"error": "the body is not JSON"}, status=400)
        if not isinstance(body, dict) or not body.get("type"):
            return web.json_response({"error": "the body is not a Bot Framework activity"}, status=400)
        try:
            # Validates the Authorization JWT (PermissionError → 401 inside process), then runs the turn.
            # Turn errors go to on_turn_error, so what escapes here comes from authentication.
            return await self.adapter.process(request, self.bot) or web.Response(status=201)
        except jwt.PyJWTError:
            log.info("rejected a request with a malformed or invalid token")
            raise web.HTTPUnauthorized(text=json.dumps({"error": "invalid token"}), content_type="application/json")
        except requests.RequestException:
            log.warning("could not fetch the Bot Framework signing keys to validate a token", exc_info=True)
            return web.json_response({"error": "cannot validate the token right now"}, status=503)

    async def close(self) -> None:
        if self.bot:
            await self.bot.drain()
