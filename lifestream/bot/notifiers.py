"""The chat notifiers a process gets: one per platform whose credentials its settings hold.

The entry points (``lifestream serve``, ``lifestream worker``) subscribe them to
``Services.events``, so whichever process runs a job tells its chat thread.
"""

from __future__ import annotations

from lifestream.bot.notify import ChatNotifier
from lifestream.bot.slack.notify import SlackNotifier
from lifestream.bot.teams.config import teams_problem
from lifestream.bot.teams.notify import TeamsNotifier
from lifestream.services import Services


def chat_notifiers(services: Services) -> list[ChatNotifier]:
    notifiers: list[ChatNotifier] = []
    if services.slack.configured:  # one static token, or OAuth installations
        notifiers.append(SlackNotifier(services))
    if not teams_problem(services.settings):
        notifiers.append(TeamsNotifier(services))
    return notifiers
