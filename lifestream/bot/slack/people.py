"""Who is in a Slack channel: ``conversations.members``, then ``users.info`` for each member.

Runs with the client bolt hands the listener (whichever token the workspace installed), so it works
the same with one workspace or many. A member's profile changes rarely: each is asked once an hour at
most per bot process. Bots, Slackbot and deactivated accounts are not people a speaker can be.
"""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from lifestream.people import Member, Roster
from lifestream.people.roster import MAX_MEMBERS

log = logging.getLogger(__name__)

PROFILE_TTL_S = 3600.0
CONCURRENT_LOOKUPS = 8  # users.info is Tier 4 (100+ a minute): a few at a time, 429s waited out by the client


def member_from_user(user: dict) -> Member | None:
    """A Slack user object as a roster member; None for bots and deactivated accounts."""
    if user.get("is_bot") or user.get("deleted") or user.get("id") == "USLACKBOT" or user.get("is_app_user"):
        return None
    profile = user.get("profile") or {}
    forms = [
        profile.get("real_name"),
        user.get("real_name"),
        profile.get("display_name"),
        profile.get("first_name"),
        user.get("name"),
    ]
    names = list(dict.fromkeys(" ".join(str(f).split()) for f in forms if f and str(f).strip()))
    if not names or not user.get("id"):
        return None
    return Member(person_id=user["id"], display_name=names[0], other_names=names[1:])


class SlackDirectory:
    """Channel rosters for one bot process, with its users' profiles cached for an hour."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], tuple[float, Member | None]] = {}

    async def roster(self, client: AsyncWebClient, team: str, channel: str) -> Roster | None:
        """The channel's members, or None when Slack will not say (a missing scope) or there are too many."""
        try:
            ids = await self._member_ids(client, channel)
            if ids is None:
                log.info(
                    "channel %s has over %d members: its speakers are named from the recording only",
                    channel,
                    MAX_MEMBERS,
                )
                return None
            limit = asyncio.Semaphore(CONCURRENT_LOOKUPS)

            async def lookup(user_id: str) -> Member | None:
                async with limit:
                    return await self._member(client, team, user_id)

            found = await asyncio.gather(*(lookup(u) for u in ids))
        except SlackApiError as exc:
            # users:read or channels:read missing (an app installed from an older manifest): names still come
            # from the recording.
            log.warning("could not read the members of %s: %s", channel, exc.response.get("error"))
            return None
        return Roster(workspace=team, conversation=channel, members=[m for m in found if m is not None])

    async def _member_ids(self, client: AsyncWebClient, channel: str) -> list[str] | None:
        ids: list[str] = []
        cursor = None
        while True:
            page = await client.conversations_members(channel=channel, limit=200, cursor=cursor)
            ids += page.get("members") or []
            if len(ids) > MAX_MEMBERS:
                return None
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return list(dict.fromkeys(ids))

    async def _member(self, client: AsyncWebClient, team: str, user_id: str) -> Member | None:
        cached = self._users.get((team, user_id))
        if cached and time.monotonic() - cached[0] < PROFILE_TTL_S:
            return cached[1]
        reply = await client.users_info(user=user_id)
        member = member_from_user(reply.get("user") or {})
        self._users[(team, user_id)] = (time.monotonic(), member)
        return member
