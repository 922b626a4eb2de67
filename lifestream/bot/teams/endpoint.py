"""POST /api/messages: the Bot Framework's one route into the Teams bot."""

from __future__ import annotations

import json
import logging

import jwt
import requests
from aiohttp import web
from botbuilder.core import TurnContext

from lifestream.bot.teams.bot import TeamsBot
from lifestream.bot.teams.config import build_adapter, teams_mode, teams_problem, unauthenticated_exposure
from lifestream.public_errors import new_ref
from lifestream.services import Services

log = logging.getLogger(__name__)


class TeamsEndpoint:
    """POST /api/messages: the Bot Framework's one route into the bot."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        self.problem = teams_problem(settings) or unauthenticated_exposure(settings)
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
        ref = new_ref()
        log.error("ref %s: Teams turn failed", ref, exc_info=error)
        try:
            await context.send_activity(f"⚠️ Something went wrong on my side (ref {ref}); please try again.")
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
            raise web.HTTPUnauthorized(text=json.dumps({"error": "invalid token"}),
                                       content_type="application/json") from None
        except requests.RequestException:
            log.warning("could not fetch the Bot Framework signing keys to validate a token", exc_info=True)
            return web.json_response({"error": "cannot validate the token right now"}, status=503)

    async def close(self) -> None:
        if self.bot:
            await self.bot.drain()
