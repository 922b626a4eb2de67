"""Questions in Slack: ``/ask``'s private answers, the Ask button's, and "Share in channel".

An answer searches only the meetings of conversations the asker is in (Slack's ``users.conversations``,
kept a minute per person), so a private answer may cite a DM's meeting. Sharing it in a channel asks again
within that channel's own meetings, so nothing of elsewhere reaches the channel's members.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError

from lifestream.bot.slack import mrkdwn
from lifestream.bot.slack.blocks import answer_blocks
from lifestream.bot.slack.ids import workspace_of
from lifestream.bot.slack.mrkdwn import escape
from lifestream.errors import LifeStreamError
from lifestream.links import ANSWER_TTL, meeting_link
from lifestream.origin import SlackOrigin, shared_in
from lifestream.public_errors import public_reason
from lifestream.search import Scope, ask_async
from lifestream.search.answers import Answer
from lifestream.services import Services
from lifestream.timefmt import clock

log = logging.getLogger(__name__)

MEMBERSHIP_CACHE_S = 60


def _cited(question: str, result: Answer) -> dict:
    """What the "Share in channel" button carries: the question and the meetings the private answer cited."""
    return {"question": question[:300], "cited": list(dict.fromkeys(c.meeting_id for c in result.citations))[:20]}


class SlackQuestions:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings
        self._members: dict[tuple[str, str], tuple[float, list[str]]] = {}

    async def user_conversations(self, client, team: str, user: str) -> list[str]:
        """Conversations the user is a member of: the only meetings they may search."""
        cached = self._members.get((team, user))
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
        self._members[(team, user)] = (time.monotonic(), channels)
        return channels

    async def answer(self, question: str, user: str, team: str | None, client, meeting_id: str | None = None) -> Answer:
        workspace = workspace_of(team)
        conversations = await self.user_conversations(client, workspace, user)
        settings = await asyncio.to_thread(self.services.settings_for, workspace)  # its LLM choice
        return await ask_async(question, Scope(workspace, conversations), settings=settings,
                               index=self.services.index, meeting_ids=(meeting_id,) if meeting_id else ())

    async def answer_privately(self, text: str, command: dict, respond, client) -> None:
        try:
            result = await self.answer(text, command["user_id"], command.get("team_id"), client)
        except LifeStreamError as exc:
            reason = public_reason(exc, log=log, context="/ask")
            await respond(text=f":warning: {escape(reason)}", response_type="ephemeral")
            return
        except SlackApiError as exc:
            log.warning("/ask: Slack API error %s", exc.response.get("error"))
            await respond(text=":warning: I couldn't check which conversations you're in, so I can't answer "
                               "safely right now. Please try again in a minute.", response_type="ephemeral")
            return
        await respond(text=escape(result.text), blocks=answer_blocks(text, self.render(result), share=_cited(text, result)),
                      response_type="ephemeral")

    def render(self, result: Answer) -> str:
        """An answer in mrkdwn, with its citations: meeting (a short-lived link), speaker, time."""
        if not result.found:
            return escape(result.text)
        lines = [escape(result.text), ""]
        for n, c in enumerate(result.citations, 1):
            # Answers cite meetings from any conversation the asker is in, and can be shared: short-lived links.
            link = mrkdwn.link(meeting_link(self.settings, c.meeting_id, ttl=ANSWER_TTL), c.title)
            lines.append(f"[{n}] {link} · {escape(c.speaker or 'unknown')} · {clock(c.start)}")
        return "\n".join(lines)

    async def share_answer(self, body: dict, asked: dict, client, respond) -> None:
        """"Share in channel": the question answered again from this channel's own meetings only.

        The private answer may cite meetings of other channels and DMs the asker is in; their words and
        links must not reach this channel's members. What the channel gets is searched within the channel,
        and it says when sources from elsewhere were left out.
        """
        workspace, channel, user = workspace_of((body.get("team") or {}).get("id")), body["channel"]["id"], body["user"]["id"]
        question = str(asked.get("question") or "")
        meeting_id = asked.get("meeting_id")
        try:
            result = await ask_async(question, Scope(workspace, [channel]), settings=self.settings,
                                     index=self.services.index, meeting_ids=(meeting_id,) if meeting_id else ())
            cited = [str(m) for m in asked.get("cited") or []]
            jobs = await asyncio.to_thread(lambda: [self.services.store.get(m) for m in dict.fromkeys(cited)])
        except LifeStreamError as exc:
            reason = public_reason(exc, log=log, context="sharing an answer")
            await respond(text=f":warning: {escape(reason)}", response_type="ephemeral", replace_original=False)
            return
        left_out = sum(1 for job in jobs if job is None or not shared_in(job.origin, SlackOrigin, workspace, channel))
        if not result.found:
            await respond(text="Nothing in this channel's own meetings answers that, so I haven't shared it here"
                               + (" (the answer came from meetings of other conversations)." if left_out else "."),
                          response_type="ephemeral", replace_original=False)
            return
        note = (f"Answered from this channel's meetings only: {left_out} meeting{'s' if left_out != 1 else ''} "
                f"from other conversations that the private answer cited {'were' if left_out != 1 else 'was'} "
                "left out." if left_out else None)
        await client.chat_postMessage(channel=channel, text=escape(result.text), unfurl_links=False,
                                      blocks=answer_blocks(question, self.render(result), shared_by=user,
                                                           note=note))
        await respond(delete_original=True)

    async def answer_in_modal_channel(self, user: str, meta: dict, question: str, client, team: str | None) -> None:
        try:
            result = await self.answer(question, user, team, client, meeting_id=meta.get("meeting_id"))
            text = self.render(result)
            share: dict | None = _cited(question, result)
        except LifeStreamError as exc:
            share = None
            text = f":warning: {escape(public_reason(exc, log=log, context='asking about a meeting'))}"
        if share is not None:
            share["meeting_id"] = meta.get("meeting_id")
        await client.chat_postEphemeral(channel=meta["channel"], user=user, text=text,
                                        blocks=answer_blocks(question, text, share=share))
