"""A local stand-in for the Bot Framework connector service that Teams puts in ``serviceUrl``.

The bot's real ``CloudAdapter`` / ``ConnectorClient`` talks to it exactly as to
``https://smba.trafficmanager.net/...``: inbound activities name it as their
``serviceUrl``, and every reply, proactive message and update comes back here.
It records those calls (``POST /v3/conversations/{id}/activities``,
``POST .../activities/{replyToId}``, ``PUT .../activities/{activityId}``),
keeps the current version of every activity it holds so a test can read a
conversation as a person in Teams would, and serves recordings at pre-signed
``downloadUrl``s the way SharePoint does for Teams file attachments (a
missing or wrong ``tempauth`` gets 401).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

from aiohttp import web

from tests.support.loopback import LoopbackServer


class ConnectorDouble(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[dict] = []  # {"method", "conversation", "path_id", "activity", "authorization"}
        self.activities: dict[str, dict] = {}  # activity id -> latest version, as the bot sent it
        self.order: list[str] = []  # activity ids in the order they were first posted
        self.files: dict[str, tuple[Path, str, str]] = {}  # name -> (path, mimetype, tempauth)
        self.downloads: list[str] = []  # names actually downloaded
        self.members: dict[str, list[dict]] = {}  # team or chat id -> member accounts, as Teams returns them
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.fault: Callable[[], str | None] | None = None  # per send: "500", "drop" or None (answered first)
        self.faults: list[str] = []

    # --- what tests set up and read

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def add_file(self, path: Path, mimetype: str, name: str | None = None) -> str:
        """A pre-authenticated download URL, like Teams' ``content.downloadUrl``."""
        name = name or path.name
        token = secrets.token_hex(8)
        self.files[name] = (path, mimetype, token)
        return f"http://127.0.0.1:{self.port}/sites/files/{name}?tempauth={token}"

    def in_conversation(self, conversation_id: str) -> list[dict]:
        """The bot's activities in one conversation (thread), current versions, in posting order."""
        with self._lock:
            return [self.activities[i] for i in self.order if self.activities[i]["_conversation"] == conversation_id]

    def replies_to(self, conversation_id: str, reply_to_id: str) -> list[dict]:
        return [a for a in self.in_conversation(conversation_id) if a.get("replyToId") == reply_to_id]

    def updates(self, activity_id: str) -> list[dict]:
        with self._lock:
            return [c["activity"] for c in self.calls if c["method"] == "PUT" and c["path_id"] == activity_id]

    # --- the connector API

    async def _record(self, request: web.Request, method: str) -> dict:
        conversation = unquote(request.match_info["conversation"])
        path_id = request.match_info.get("activity")
        activity = await request.json()
        with self._lock:
            self.calls.append({"method": method, "conversation": conversation, "path_id": path_id,
                               "activity": activity, "authorization": request.headers.get("Authorization")})
        return {"conversation": conversation, "path_id": path_id, "activity": activity}

    async def _send(self, request: web.Request) -> web.Response:
        if self.fault is not None and (fault := self.fault()):
            self.faults.append(fault)
            if fault == "drop":  # the connection goes away with no answer at all
                assert request.transport is not None
                request.transport.abort()
                raise ConnectionResetError("dropped by the connector double")
            return web.json_response({"error": {"code": "ServiceError", "message": "internal"}}, status=int(fault))
        call = await self._record(request, "POST")
        activity_id = f"bot-{next(self._ids)}"
        stored = {**call["activity"], "id": activity_id, "_conversation": call["conversation"]}
        if call["path_id"]:
            # The route's id is the one Teams threads on; the body's replyToId should agree with it.
            stored["replyToId"] = call["path_id"]
        with self._lock:
            self.activities[activity_id] = stored
            self.order.append(activity_id)
        return web.json_response({"id": activity_id}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        call = await self._record(request, "PUT")
        activity_id = call["path_id"]
        with self._lock:
            if activity_id not in self.activities:
                return web.json_response({"error": {"code": "NotFound", "message": "no such activity"}}, status=404)
            previous = self.activities[activity_id]
            self.activities[activity_id] = {**call["activity"], "id": activity_id,
                                            "_conversation": previous["_conversation"],
                                            "replyToId": previous.get("replyToId")}
        return web.json_response({"id": activity_id})

    async def _paged_members(self, request: web.Request) -> web.Response:
        """GET /v3/conversations/{id}/pagedmembers: a team's (by team id) or a chat's members, paged."""
        conversation = unquote(request.match_info["conversation"])
        with self._lock:
            self.calls.append({"method": "GET", "conversation": conversation, "path_id": "pagedmembers",
                               "activity": None, "authorization": request.headers.get("Authorization")})
        if conversation not in self.members:
            return web.json_response({"error": {"code": "ConversationNotFound", "message": "no such conversation"}},
                                     status=404)
        members = self.members[conversation]
        start = int(request.query.get("continuationToken") or 0)
        size = int(request.query.get("pageSize") or 100)
        following = str(start + size) if start + size < len(members) else None
        return web.json_response({"members": members[start:start + size], "continuationToken": following})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404, text="not found")
        path, mimetype, token = self.files[name]
        if request.query.get("tempauth") != token:
            return web.Response(status=401, text="unauthorized")
        self.downloads.append(name)
        return web.FileResponse(path, headers={"Content-Type": mimetype})

    # --- lifecycle

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v3/conversations/{conversation}/activities", self._send)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._send)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._update)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        app.router.add_get("/sites/files/{name}", self._download)
