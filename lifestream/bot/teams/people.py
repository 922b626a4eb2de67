"""Who is in a Teams conversation: the connector's paged members, asked in a proactive turn.

The bot asks after its own turn has answered (like everything slow), so it continues the conversation
with the stored reference; that turn has the connector client but not the original channel data, so the
team is named explicitly: a channel's members are its team's members (everyone in the team can read a
standard channel), a group or 1:1 chat's are the chat's.
"""

from __future__ import annotations

import logging

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema.teams import TeamsChannelAccount
from msrest.exceptions import HttpOperationError

from lifestream.bot.teams.proactive import continue_in
from lifestream.origin import TeamsOrigin
from lifestream.people import Member, Roster
from lifestream.people.roster import MAX_MEMBERS
from lifestream.settings import Settings

log = logging.getLogger(__name__)

PAGE_SIZE = 200


def member_from_account(account: TeamsChannelAccount) -> Member | None:
    """A Teams member as a roster member: the Teams user id (what a mention needs) and their names."""
    if not account.id or not account.name or (account.user_role or "").lower() == "bot":
        return None
    forms = [account.name, " ".join(p for p in (account.given_name, account.surname) if p), account.given_name]
    names = list(dict.fromkeys(" ".join(f.split()) for f in forms if f and f.strip()))
    return Member(person_id=account.id, display_name=names[0], other_names=names[1:])


async def conversation_roster(adapter: CloudAdapter, settings: Settings, origin: TeamsOrigin) -> Roster | None:
    """The conversation's members, or None when Teams will not say or there are too many."""
    accounts: list[TeamsChannelAccount] = []
    too_many = False

    async def logic(context: TurnContext) -> None:
        nonlocal too_many
        client = context.turn_state.get(BotAdapter.BOT_CONNECTOR_CLIENT_KEY)
        conversation = origin.team or (context.activity.conversation.id if context.activity.conversation else None)
        if client is None or not conversation:
            return
        token = None
        while True:
            page = await client.conversations.get_teams_conversation_paged_members(conversation, PAGE_SIZE, token)
            accounts.extend(page.members or [])
            if len(accounts) > MAX_MEMBERS:
                too_many = True
                return
            token = page.continuation_token
            if not token:
                return

    try:
        await continue_in(adapter, settings, origin.reference, logic)
    except HttpOperationError as exc:
        log.warning("could not read the members of %s: %s", origin.conversation, exc)
        return None
    if too_many:
        log.info(
            "conversation %s has over %d members: its speakers are named from the recording only",
            origin.conversation,
            MAX_MEMBERS,
        )
        return None
    members = [m for m in (member_from_account(a) for a in accounts) if m is not None]
    return Roster(workspace=origin.workspace, conversation=origin.conversation, members=members)
