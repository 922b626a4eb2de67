"""Slack's file URLs: which origins are Slack's, and the bot token as a credential for those only.

A shared file's ``url_private_download`` needs the bot token. The token is
sent to Slack's file host and nowhere else (``lifestream.bot.fetcher`` drops it
on a redirect elsewhere), and a file URL on any other host is refused rather
than fetched: Slack never hands out one.
"""

from __future__ import annotations

from lifestream.bot.fetcher import Credential, origin_of
from lifestream.settings import Settings

SLACK_FILE_ORIGINS = frozenset({"https://files.slack.com"})
SLACK_API_ORIGIN = "https://slack.com"


def file_origins(settings: Settings) -> frozenset[str]:
    """Where Slack's file URLs may point: Slack's file host, and the Web API's own origin when it is not
    Slack's (a proxy or a local double in tests): that one already receives the token with every call."""
    api = origin_of(settings.slack_api_url)
    return SLACK_FILE_ORIGINS | ({api} if api != SLACK_API_ORIGIN else frozenset())


def file_credential(settings: Settings, token: str) -> Credential:
    return Credential(headers={"Authorization": f"Bearer {token}"}, origins=file_origins(settings))
