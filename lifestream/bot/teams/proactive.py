"""Messages the bot sends outside a request's turn, through a stored ConversationReference.

Both the bot (after its turn has only acknowledged) and the notifier (in a
worker, possibly hours later in another process) reach the conversation this
way, with ``continue_conversation``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity, ActivityTypes, ConversationReference

from lifestream.bot.teams.cards import attachment
from lifestream.settings import Settings


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


async def send(adapter: CloudAdapter, settings: Settings, reference: dict, activity: Activity | str) -> str | None:
    """Post a message; the id the connector gave it (to edit it later), when it gives one."""
    sent: list[str | None] = []

    async def logic(context: TurnContext) -> None:
        response = await context.send_activity(activity)
        sent.append(response.id if response else None)

    await continue_in(adapter, settings, reference, logic)
    return sent[0] if sent else None


async def update_card(adapter: CloudAdapter, settings: Settings, reference: dict, activity_id: str, content: dict,
                      summary: str) -> None:
    """Replace the card of a message the bot sent earlier (the minutes, after a rename)."""
    async def logic(context: TurnContext) -> None:
        message = card_message(content, summary)
        message.id = activity_id
        await context.update_activity(message)

    await continue_in(adapter, settings, reference, logic)


def card_message(content: dict, summary: str) -> Activity:
    """A message holding one Adaptive Card; ``summary`` is what notifications show."""
    message = MessageFactory.attachment(attachment(content))
    message.summary = summary
    return message
