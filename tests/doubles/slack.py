"""A local stand-in for the Slack Web API, served over HTTP on 127.0.0.1.

The bot's real ``AsyncWebClient`` / ``WebClient`` is pointed at it with
``base_url``. It records every call, keeps posted messages by channel and
thread so tests can read a thread the way a person would, serves real
recordings at ``url_private_download`` (only with a bot token of the file's
workspace, like Slack), implements the files upload v2 flow, and can answer
429 with Retry-After.

Several workspaces: every bot token belongs to one workspace (``tokens``), and
each message records the workspace whose token posted it. Installing works
as Slack's OAuth v2 does: ``/oauth/v2/authorize`` (the installer approves at
once, for ``next_install``) sends the browser back to the app's redirect URL
with a one-time ``code`` and the app's ``state``; ``oauth.v2.access`` (HTTP
Basic auth with the client id and secret) trades the code for a bot token, or,
with ``grant_type=refresh_token``, a refresh token for a new one when token
rotation is on for the workspace (``rotating``: its tokens' lifetime); as at
Slack, a refresh token works once, and an expired token is refused
(``token_expired``).
``auth.revoke`` revokes.
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from aiohttp import web

from tests.support.loopback import LoopbackServer

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"  # Socket Mode's app-level token
TEAM = "T1"  # BOT_TOKEN's workspace
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "test-client-secret"
APP_ID = "A1"


class SlackDouble(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, dict]] = []
        self.files: dict[str, tuple[Path, str]] = {}  # file id -> (path, mimetype)
        self.messages: dict[str, list[dict]] = defaultdict(list)  # channel -> messages, in order
        self.memberships: dict[str, list[str]] = defaultdict(list)  # user -> channel ids
        self.users: dict[str, dict] = {}  # user id -> user object, as users.info returns it
        self.channel_members: dict[str, list[str]] = defaultdict(list)  # channel -> user ids
        self.uploads: list[dict] = []
        self.rate_limit_next: dict[str, int] = {}  # method -> how many 429s to answer first
        self._ts = itertools.count(1)
        self._team = TEAM  # the workspace of the call being answered (one at a time, on the double's loop)
        self._token = BOT_TOKEN  # and the token it came with
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections
        self.socket_acks: list[dict] = []
        # --- workspaces and installs
        self.tokens: dict[str, str] = {BOT_TOKEN: TEAM}  # valid bot token -> its workspace
        self.expires: dict[str, float] = {}  # bot token -> when it stops working (rotation on)
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> workspace
        self.file_teams: dict[str, str] = {}  # file id -> the workspace it was shared in
        self.next_install: dict = {"team": {"id": "T2", "name": "Beta"}}  # what the next approval installs
        self.codes: dict[str, dict] = {}  # one-time codes -> the install they stand for
        self.rotating: dict[str, int] = {}  # workspace -> its tokens' lifetime in seconds (token rotation on)
        self.admins: set[str] = set()  # users who are workspace admins (users.info)
        self.refused: list[tuple[str, str]] = []  # (method, error) of calls refused for their token
        self.authed: list[tuple[str, str, str, str | None]] = []  # (method, workspace, token, channel) of every call
        self._install = itertools.count(1)
        # --- faults: Slack having a bad day (answered before the call has any effect)
        self.fault: Callable[[str, dict], str | None] | None = None  # (method, args) -> "500", "drop" or None
        self.faults: list[tuple[str, str]] = []  # (method, fault) of every call answered with a fault

    # --- what tests set up

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def authorize_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/oauth/v2/authorize"

    def add_file(self, file_id: str, path: Path, mimetype: str, team: str = TEAM) -> dict:
        """A file object as Slack puts it in a file_share event (of workspace ``team``)."""
        self.files[file_id] = (path, mimetype)
        self.file_teams[file_id] = team
        return {"id": file_id, "name": path.name, "title": path.name, "mimetype": mimetype,
                "filetype": path.suffix.lstrip("."), "size": path.stat().st_size,
                "url_private_download": f"http://127.0.0.1:{self.port}/files-pri/{file_id}/download/{path.name}"}

    def add_user(self, user_id: str, real_name: str, *, display_name: str = "", channels: tuple[str, ...] = (),
                 is_bot: bool = False, deleted: bool = False) -> dict:
        """A workspace member (users.info), in the given channels (conversations.members)."""
        first = real_name.split()[0] if real_name else ""
        user = {"id": user_id, "team_id": "T1", "name": (display_name or first).lower().replace(" ", "."),
                "real_name": real_name, "deleted": deleted, "is_bot": is_bot,
                "profile": {"real_name": real_name, "display_name": display_name, "first_name": first,
                            "real_name_normalized": real_name}}
        self.users[user_id] = user
        for channel in channels:
            self.channel_members[channel].append(user_id)
            if channel not in self.memberships[user_id]:
                self.memberships[user_id].append(channel)
        return user

    def next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def thread(self, channel: str, thread_ts: str) -> list[dict]:
        return [m for m in self.messages[channel] if m.get("thread_ts") == thread_ts or m["ts"] == thread_ts]

    def calls_to(self, method: str) -> list[dict]:
        return [args for name, args in self.calls if name == method]

    def token_team(self, token: str | None) -> tuple[str | None, str | None]:
        """(workspace, None) for a valid bot token, else (None, Slack's error)."""
        if token not in self.tokens:
            return None, "invalid_auth"
        if token in self.expires and time.time() >= self.expires[token]:
            return None, "token_expired"
        return self.tokens[token], None

    def _new_bot_token(self, team: str) -> dict:
        """A bot token for ``team`` as oauth.v2.access returns it (with a refresh token when rotation is on)."""
        token = f"xoxb-{team}-{next(self._install)}"
        self.tokens[token] = team
        grant = {"access_token": token, "token_type": "bot", "scope": "chat:write,commands,files:read",
                 "bot_user_id": f"UBOT{team}", "app_id": APP_ID}
        if team in self.rotating:
            refresh = f"xoxe-1-{team}-{next(self._install)}"
            self.refresh_tokens[refresh] = team
            self.expires[token] = time.time() + self.rotating[team]
            grant.update(refresh_token=refresh, expires_in=self.rotating[team])
        return grant

    def chaos(self, methods: set[str], rate: float, seed: int) -> None:
        """Answer calls to ``methods`` with a 500 or a dropped connection (half each) at ``rate``, seeded."""
        rng = random.Random(seed)

        def fault(method: str, args: dict) -> str | None:
            if method not in methods or rng.random() >= rate:
                return None
            return rng.choice(["500", "drop"])

        self.fault = fault

    def team_tokens(self, team: str) -> list[str]:
        return [t for t, owner in self.tokens.items() if owner == team]

    # --- the API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "apps.connections.open":  # the one call made with the app-level token
            if request.headers.get("Authorization") != f"Bearer {APP_TOKEN}":
                return web.json_response({"ok": False, "error": "invalid_auth"})
            self.calls.append((method, {}))
            return web.json_response({"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket"})
        if request.method == "GET":
            args = dict(request.query)
        elif request.content_type == "application/json":
            args = await request.json()
        else:
            args = dict(parse_qsl(await request.text()))
        if method == "oauth.v2.access":  # the app's own credentials, not a token
            return web.json_response(self._oauth_v2_access(request, args))
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        team, error = self.token_team(token if scheme == "Bearer" else None)
        if team is None:
            self.refused.append((method, error or ""))
            return web.json_response({"ok": False, "error": error})
        self._team, self._token = team, token
        self.authed.append((method, team, token, args.get("channel") or args.get("channel_id")))
        for key in ("blocks", "files", "view"):
            if isinstance(args.get(key), str):
                args[key] = json.loads(args[key])
        if self.fault is not None and (fault := self.fault(method, args)):
            self.faults.append((method, fault))
            if fault == "drop":  # the connection goes away with no answer at all
                assert request.transport is not None
                request.transport.abort()
                raise ConnectionResetError("dropped by the Slack double")
            return web.json_response({"ok": False, "error": "internal_error"}, status=int(fault))
        if self.rate_limit_next.get(method):
            self.rate_limit_next[method] -= 1
            self.calls.append((f"{method}:429", args))
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "1"})
        self.calls.append((method, args))
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        body = handler(args) if handler else {}
        return web.json_response({"ok": True, **body})

    def _oauth_v2_access(self, request: web.Request, args: dict) -> dict:
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return {"ok": False, "error": "invalid_client"}
        if args.get("grant_type") == "refresh_token":
            team = self.refresh_tokens.pop(args.get("refresh_token", ""), None)  # a refresh token works once
            self.calls.append(("oauth.v2.access:refresh", {"team": team}))
            if team is None:
                return {"ok": False, "error": "invalid_refresh_token"}
            return {"ok": True, **self._new_bot_token(team), "team": {"id": team}}
        install = self.codes.pop(args.get("code", ""), None)  # a code works once
        self.calls.append(("oauth.v2.access", {"code": args.get("code"), "redirect_uri": args.get("redirect_uri")}))
        if install is None:
            return {"ok": False, "error": "invalid_code"}
        if install["redirect_uri"] != args.get("redirect_uri"):
            return {"ok": False, "error": "bad_redirect_uri"}
        team = install["team"]["id"]
        return {"ok": True, **self._new_bot_token(team), "team": install["team"],
                "enterprise": install.get("enterprise"), "is_enterprise_install": install.get("is_enterprise_install",
                                                                                            False),
                "authed_user": {"id": install.get("installer", "U1")}}

    async def _authorize(self, request: web.Request) -> web.Response:
        """Slack's "Allow" page, approved at once: back to the app's redirect URL with a code and the state."""
        query = request.query
        if query.get("client_id") != CLIENT_ID:
            return web.Response(status=400, text="unknown client_id")
        self.calls.append(("oauth/v2/authorize", dict(query)))
        code = f"code-{next(self._install)}"
        self.codes[code] = {**self.next_install, "redirect_uri": query.get("redirect_uri")}
        params = urlencode({"code": code, "state": query.get("state", "")})
        raise web.HTTPFound(f"{query['redirect_uri']}?{params}")

    def _auth_test(self, args):
        return {"user_id": f"UBOT{self._team}", "bot_id": f"B{self._team}", "team_id": self._team,
                "url": f"https://{self._team.lower()}.slack.com/"}

    def _auth_revoke(self, args):
        revoked = [t for t, team in self.tokens.items() if team == self._team]
        for token in revoked:
            self.tokens.pop(token)
        return {"revoked": True}

    def _users_info(self, args):
        """A member added with ``add_user`` (their profile), else a bare one; ``is_admin`` from ``admins``."""
        user = args.get("user", "")
        found = self.users.get(user) or {"id": user, "team_id": self._team}
        return {"user": {**found, "is_admin": user in self.admins}}

    def _views_publish(self, args):
        return {"view": {"id": "VH", **(args.get("view") or {})}}

    def _chat_postMessage(self, args):
        msg = {"ts": self.next_ts(), "channel": args["channel"], "text": args.get("text", ""),
               "blocks": args.get("blocks"), "user": "UBOT", "bot_id": "BBOT", "team": self._team,
               "token": self._token}
        if args.get("thread_ts"):
            msg["thread_ts"] = args["thread_ts"]
        self.messages[args["channel"]].append(msg)
        return {"channel": args["channel"], "ts": msg["ts"], "message": msg}

    def _chat_update(self, args):
        for msg in self.messages[args["channel"]]:
            if msg["ts"] == args["ts"]:
                msg.update(text=args.get("text", msg["text"]), blocks=args.get("blocks"))
                return {"channel": args["channel"], "ts": msg["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _chat_postEphemeral(self, args):
        return {"message_ts": self.next_ts()}

    def _conversations_replies(self, args):
        return {"messages": self.thread(args["channel"], args["ts"]), "has_more": False}

    def _users_conversations(self, args):
        return {"channels": [{"id": c} for c in self.memberships[args.get("user", "")]],
                "response_metadata": {"next_cursor": ""}}

    def _conversations_members(self, args):
        """Paged like Slack: ``limit`` ids per page, the next page's offset as the cursor."""
        members = self.channel_members.get(args.get("channel", ""), [])
        start, limit = int(args.get("cursor") or 0), int(args.get("limit") or 100)
        following = str(start + limit) if start + limit < len(members) else ""
        return {"members": members[start:start + limit], "response_metadata": {"next_cursor": following}}

    def _files_getUploadURLExternal(self, args):
        file_id = f"FUP{len(self.uploads) + 1}"
        self.uploads.append({"id": file_id, "filename": args["filename"], "data": None})
        return {"file_id": file_id, "upload_url": f"http://127.0.0.1:{self.port}/upload/{file_id}"}

    def _files_completeUploadExternal(self, args):
        files = args["files"] if isinstance(args["files"], list) else json.loads(args["files"])
        for f in files:
            upload = next(u for u in self.uploads if u["id"] == f["id"])
            upload.update(channel=args.get("channel_id"), thread_ts=args.get("thread_ts"), title=f.get("title"))
        return {"files": [{"id": f["id"], "title": f.get("title")} for f in files]}

    def _views_open(self, args):
        return {"view": {"id": "V1", **(args.get("view") or {})}}

    async def _upload(self, request: web.Request) -> web.Response:
        upload = next(u for u in self.uploads if u["id"] == request.match_info["file_id"])
        upload["data"] = await request.read()
        return web.Response(text="OK")

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["file_id"]
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        team, _ = self.token_team(token if scheme == "Bearer" else None)
        if team is None or team != self.file_teams.get(file_id, TEAM):
            # Slack answers a file URL without a token of the file's workspace with its sign-in page.
            return web.Response(text="<html>sign in</html>", content_type="text/html")
        path, mimetype = self.files[file_id]
        return web.FileResponse(path, headers={"Content-Type": mimetype})

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, then relay envelopes from tests and collect the app's acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A1"}})
        self.sockets.append(ws)
        async for message in ws:
            if message.type == web.WSMsgType.TEXT:
                self.socket_acks.append(json.loads(message.data))
        self.sockets.remove(ws)
        return ws

    def send_envelope(self, payload_type: str, payload: dict) -> str:
        """Push an event to the connected app as Slack does over Socket Mode; returns its envelope id."""
        envelope_id = f"env-{len(self.socket_acks)}-{time.monotonic_ns()}"
        envelope = {"envelope_id": envelope_id, "type": payload_type, "payload": payload,
                    "accepts_response_payload": payload_type != "events_api", "retry_attempt": 0}
        self.run(self.sockets[-1].send_json(envelope))
        return envelope_id

    async def _public(self, request: web.Request) -> web.StreamResponse:
        """A recording on some ordinary web server, for links shared in messages."""
        path, mimetype = self.files[request.match_info["file_id"]]
        return web.FileResponse(path, headers={"Content-Type": mimetype})

    async def _respond(self, request: web.Request) -> web.Response:
        """A slash command's response_url."""
        self.calls.append(("response_url", await request.json()))
        return web.Response(text="ok")

    # --- lifecycle

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/files-pri/{file_id}/download/{name}", self._download)
        app.router.add_get("/public/{file_id}/{name}", self._public)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/respond/{token}", self._respond)
        app.router.add_get("/oauth/v2/authorize", self._authorize)
