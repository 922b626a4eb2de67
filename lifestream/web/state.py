"""What the handlers find on the app: the process's ``Services`` and the API's token table."""

from __future__ import annotations

from aiohttp import web

from lifestream.services import Services

SERVICES = web.AppKey("services", Services)
# sha256 hex of each API token -> its workspace (lifestream.web.auth.token_table), read once at start.
TOKENS = web.AppKey("api_tokens", dict[str, str])


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def tokens(request: web.Request) -> dict[str, str]:
    return request.app[TOKENS]
