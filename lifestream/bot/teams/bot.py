"""The Teams bot: recordings shared with it become minutes in the same reply chain; questions get cited answers.

Built like botbuilder's own aiohttp samples: a ``CloudAdapter`` with
``ConfigurationBotFrameworkAuthentication`` validates every request's Bot
Framework JWT (``endpoint.py``) and runs this ``ActivityHandler``. The turn
only acknowledges; downloading, searching and the later replies happen after
the request has returned (Teams redelivers a message it gets no answer to
within 15 s), and reach the conversation proactively (``proactive.py``),
which is also how the worker posts the minutes (``notify.py``), possibly
from another process hours later.

Each tenant is a workspace: its meetings are searched only within it, its
admins set its settings (``settings``, a card), and a tenant outside
``LIFESTREAM_TEAMS_TENANTS`` (when set) is refused before anything is done.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any
from urllib.parse import urlsplit

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from lifestream import meetings
from lifestream.bot import intake, settings_choices
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
from lifestream.bot.teams.activities import channel_data, command_text, search_scope, shared_files
from lifestream.bot.teams.cards import (
    ASK,
    RENAME,
    RETRY,
    answer_card,
    md,
    minutes_card,
    status_text,
    submitted_names,
    summary_text,
)
from lifestream.bot.teams.people import conversation_roster
from lifestream.bot.teams.posts import MinutesPosts
from lifestream.bot.teams.proactive import card_message, send, update_text
from lifestream.bot.teams.settings_card import SETTINGS, settings_facts_card, settings_form_card, submitted
from lifestream.bot.teams.tenants import REFUSED, is_admin, tenant_allowed
from lifestream.bot.voices import voice_reply
from lifestream.downloads import DownloadsBusy
from lifestream.errors import LifeStreamError
from lifestream.links import ANSWER_TTL, meeting_link
from lifestream.origin import TeamsOrigin, shared_in
from lifestream.people import mentionable, save_roster
from lifestream.public_errors import public_reason
from lifestream.search import Scope, ask_async
from lifestream.services import Services
from lifestream.workers.jobstore import Job
from lifestream.workers.recordings import recording_gone
from lifestream.workers.submit import retry_job
from lifestream.workspaces import change_settings

log = logging.getLogger(__name__)

HELP = (
    "**LifeStream** turns meeting recordings into minutes.\n\n"
    f"- **Share a recording** ({intake.SUPPORTED_LIST}) or paste a direct link to one, and mention me: "
    "the minutes arrive in this reply chain. In a chat with me, just send it.\n"
    "- **ask** *what did we decide about the launch?* answers from the meetings shared in this conversation, "
    "with the meeting, speaker and time of each source.\n"
    "- **rename** *SPEAKER_1 Alice* names a speaker in this conversation's latest minutes.\n"
    "- **settings** shows your organization's LifeStream settings (how long meetings are kept, and more).\n"
    "- **my voice** shows what I keep of your voice (with voiceprints on); **forget my voice** deletes it.\n"
    "- **help** shows this."
)


class TeamsBot(TeamsActivityHandler):
    def __init__(self, services: Services, outbound: CloudAdapter) -> None:
        settings = services.settings
        self.services = services
        self.settings = settings
        # Proactive turns use an adapter without the inbound one's on_turn_error, so their failures
        # reach this code (and its short messages) instead of a generic apology.
        self.outbound = outbound
        self.posts = MinutesPosts(services)
        self.seen = services.seen  # shared with every bot task when the idempotency table is set
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

    async def _update(self, reference: dict, activity_id: str | None, text: str) -> None:
        if activity_id:
            await update_text(self.outbound, self.settings, reference, activity_id, text)

    async def _send(self, reference: dict, activity: Activity | str) -> str | None:
        return await send(self.outbound, self.settings, reference, activity)

    # --- turns

    async def on_turn(self, turn_context: TurnContext):
        tenant, _ = search_scope(turn_context.activity)
        if not tenant_allowed(self.settings, tenant):
            log.warning("refused a %s activity from tenant %s: not in LIFESTREAM_TEAMS_TENANTS",
                        turn_context.activity.type, tenant)
            if turn_context.activity.type == ActivityTypes.message:
                await turn_context.send_activity(REFUSED.format(tenant=tenant))
            return
        await super().on_turn(turn_context)

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
        match parse_command(text):
            case Help():
                await turn_context.send_activity(MessageFactory.text(HELP))
            case Ask(question):
                await self.start_answer(turn_context, question, None)
            case Rename(label, name):
                workspace, conversation = search_scope(activity)
                await turn_context.send_activity(await self.rename_latest(workspace, conversation, label, name))
            case ShowSettings():
                await turn_context.send_activity(await self.settings_message(activity))
            case ShowVoice() | ForgetVoice() | RememberVoice() as voice:  # only ever the asker's own voiceprint
                workspace, _ = search_scope(activity)
                sender = activity.from_property.id if activity.from_property else None
                if not sender:
                    await turn_context.send_activity("⚠️ Teams didn't say who you are, so I can't look up your voice.")
                    return
                text = await asyncio.to_thread(voice_reply, voice, self.services, workspace, sender)
                await turn_context.send_activity(MessageFactory.text(md(text, 1000)))

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
        elif action == SETTINGS:
            await turn_context.send_activity(await self.save_settings(turn_context.activity, value))
        elif action == RENAME:
            # The card's inputs come back beside its data: "name:SPEAKER_1": "Alice", …; only changes count.
            names = submitted_names(value)
            if not names:
                await turn_context.send_activity("Nothing was changed; the names stay as they are.")
                return
            await turn_context.send_activity(
                await self.rename(str(value.get("job_id") or ""), names, turn_context.activity))
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
        workspace, conversation = search_scope(turn_context.activity)
        sender = turn_context.activity.from_property
        origin = TeamsOrigin(workspace=workspace, conversation=conversation, reference=self._reference(turn_context),
                             status_id=ack.id if ack else None,
                             user=sender.aad_object_id or sender.id if sender else None,
                             team=(channel_data(turn_context.activity).get("team") or {}).get("id"))
        self._spawn(self.fetch_and_submit(url, name, label, origin))

    async def fetch_and_submit(self, url: str, name: str | None, label: str, origin: TeamsOrigin) -> None:
        reference, status_id = origin.reference, origin.status_id
        await self._save_roster(origin)
        try:
            outcome = await intake.receive(url, services=self.services, origin=origin, name=name)
        except DownloadsBusy as busy:  # nothing was fetched: sharing it again in a minute works
            await self._update(reference, status_id, f"⏳ **{md(label)}**: {md(busy.message, 1000)} "
                                                     "Share it again then.")
            return
        except Exception as exc:
            reason = public_reason(exc, log=log, context=f"Teams recording {label!r}")
            await self._update(reference, status_id, f"⚠️ I can't process **{md(label)}**: {md(reason, 1000)}")
            return
        job, shown = outcome.job, md(outcome.name)
        # The same recording shared in another conversation first is that conversation's job: say so.
        elsewhere = not shared_in(job.origin, TeamsOrigin, origin.workspace, origin.conversation)
        match outcome.kind:
            case "queued":
                await self._update(reference, status_id, status_text(job, outcome.name))
            case "processed_before":  # give this conversation the minutes that already exist
                await self._update(reference, status_id, f"♻️ **{shown}** was processed before; here are its minutes.")
                await self.post_minutes(reference, job, origin.workspace, elsewhere=elsewhere)
            case "in_progress" if elsewhere:
                await self._update(reference, status_id,
                                   f"♻️ **{shown}** is already {job.state.value}: it was shared in another conversation "
                                   "first, and its minutes will be posted there. Share it here again once it has "
                                   "finished and I'll post them here too.")
            case "in_progress":
                await self._update(reference, status_id,
                                   f"♻️ **{shown}** is already {job.state.value} (job {job.id}); the minutes "
                                   "will appear where it was first shared.")

    async def _save_roster(self, origin: TeamsOrigin) -> None:
        """The conversation's members, saved before the job is queued: the worker names speakers from them."""
        try:
            roster = await conversation_roster(self.outbound, self.settings, origin)
        except Exception:  # names then come from the recording alone; the recording matters more
            log.warning("could not read the members of %s", origin.conversation, exc_info=True)
            return
        if roster is not None:
            await asyncio.to_thread(save_roster, self.services.storage, roster)

    async def post_minutes(self, reference: dict, job: Job, workspace: str, *, elsewhere: bool = False) -> None:
        meeting = await asyncio.to_thread(meetings.load, self.services.storage, job.result_prefix)
        # Mentions only where the meeting's people are: the tenant it was first shared in.
        same_workspace = job.origin is not None and job.origin.workspace == workspace
        content = minutes_card(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                               shared_elsewhere=elsewhere, recording_gone=recording_gone(job),
                               mentions=mentionable(meeting) if same_workspace else {})
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
            settings = await asyncio.to_thread(self.services.settings_for, workspace)  # its LLM choice
            result = await ask_async(question, Scope(workspace, [conversation]), settings=settings,
                                     index=self.services.index,
                                     meeting_ids=(meeting_id,) if meeting_id else ())
            message: Activity | str = card_message(
                answer_card(question, result, lambda mid: meeting_link(self.settings, mid, ttl=ANSWER_TTL)),
                md(result.text, 200))
        except Exception as exc:
            message = f"⚠️ I couldn't answer that: {md(public_reason(exc, log=log, context='Teams ask'), 1000)}"
        await self._send(reference, message)

    # --- actions on jobs and minutes

    async def _own_job(self, job_id: str, activity: Activity) -> Job | None:
        """The job, if it was shared in this conversation of this tenant (a card can be forwarded elsewhere,
        and the same recording shared in two conversations is the first one's job)."""
        job = await asyncio.to_thread(self.services.store.get, job_id) if job_id else None
        workspace, conversation = search_scope(activity)
        return job if job is not None and shared_in(job.origin, TeamsOrigin, workspace, conversation) else None

    async def retry(self, job_id: str, activity: Activity) -> str:
        if await self._own_job(job_id, activity) is None:
            return "⚠️ I can't find that job in this conversation."
        try:
            job = await asyncio.to_thread(retry_job, job_id, services=self.services)
        except LifeStreamError as exc:
            return f"⚠️ {md(public_reason(exc, log=log, context=f'retry {job_id}'), 1000)}"
        return f"🔄 Processing **{md(job.source_name)}** again; progress shows in the first message about it."

    async def rename(self, job_id: str, names: dict[str, str], activity: Activity) -> str:
        """Name speakers (the minutes card's form): the stored minutes, the index and the posted card follow."""
        job = await self._own_job(job_id, activity)
        if job is None:
            return "⚠️ I can't find that meeting in this conversation."
        try:
            meeting = await asyncio.to_thread(meetings.rename, self.services, job, names)
        except LifeStreamError as exc:
            return f"⚠️ {md(public_reason(exc, log=log, context=f'rename in {job.id}'), 1000)}"
        await self.refresh_minutes(job)
        said = ", ".join(f"{label} is **{md(meeting.speaker_name(label), 60)}**" if label in meeting.speaker_names
                         else f"{label} has no name" for label in names)
        return f"✏️ {said} in the minutes of **{md(meeting.source.name, 120)}**."

    async def rename_latest(self, workspace: str, conversation: str, label: str, name: str) -> str:
        """``rename SPEAKER_1 Alice``: the conversation's latest minutes."""
        job = await asyncio.to_thread(meetings.latest_in, self.services, TeamsOrigin, workspace, conversation)
        if job is None:
            return "There are no processed meetings in this conversation yet."
        try:
            meeting = await asyncio.to_thread(meetings.rename, self.services, job, {label: name})
        except LifeStreamError as exc:
            return f"⚠️ {md(public_reason(exc, log=log, context=f'rename in {job.id}'), 1000)}"
        await self.refresh_minutes(job)
        return f"✏️ {label} is now **{md(name, 60)}** in the minutes of **{md(meeting.source.name, 120)}**."

    async def refresh_minutes(self, job: Job) -> None:
        """Re-render the minutes card the notifier posted, if it recorded one (best effort)."""
        try:
            await self.posts.refresh(self.outbound, job)
        except Exception:
            log.warning("could not update the posted minutes of job %s", job.id, exc_info=True)

    # --- the organization's settings

    def _can_change_settings(self, activity: Activity) -> bool:
        tenant, _ = search_scope(activity)
        sender = activity.from_property
        return is_admin(self.settings, tenant, sender.aad_object_id if sender else None)

    async def settings_message(self, activity: Activity) -> Activity:
        """``settings``: the form for the tenant's admins, the values for everyone else."""
        tenant, _ = search_scope(activity)
        chosen = await asyncio.to_thread(self.services.workspaces.overrides, tenant)
        llm = bool(self.settings.llm_base_url)
        if self._can_change_settings(activity):
            content = settings_form_card(settings_choices.forms(chosen, self.services.workspace_settings(None),
                                                                llm_available=llm))
        else:
            current = await asyncio.to_thread(self.services.workspace_settings, tenant)
            content = settings_facts_card(settings_choices.summary(current, chosen, llm_available=llm))
        return card_message(content, "LifeStream settings")

    async def save_settings(self, activity: Activity, value: dict) -> Activity | str:
        if not self._can_change_settings(activity):
            return "⚠️ Only this organization's LifeStream admins can change its settings."
        tenant, _ = search_scope(activity)
        sender = activity.from_property
        try:
            values, reset = settings_choices.read(submitted(value))
            current = await asyncio.to_thread(change_settings, self.services, tenant, values, reset=reset,
                                              by=f"teams:{tenant}:{sender.aad_object_id if sender else '?'}")
        except LifeStreamError as exc:
            return f"⚠️ {md(exc.message, 1000)}"
        chosen = await asyncio.to_thread(self.services.workspaces.overrides, tenant)
        summary = settings_choices.summary(current, chosen, llm_available=bool(self.settings.llm_base_url))
        return card_message(settings_facts_card(summary, note="Saved."), "LifeStream settings saved")
