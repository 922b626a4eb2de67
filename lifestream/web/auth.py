"""Who may see what: API tokens scoped to a workspace, signed links, signed upload tickets.

API tokens are random strings the server never stores: ``LIFESTREAM_API_TOKENS``
holds ``workspace:sha256(token)`` entries, so a leaked setting (or a logged
environment) does not leak a usable token. A request proves a workspace with
``Authorization: Bearer <token>``.

A meeting belongs to the workspace in its job's ``origin["workspace"]``; a
token of another workspace gets the same 404 as an id that does not exist,
so ids cannot be probed across workspaces.

Signed links (``lifestream.links``) carry their own permission: one
meeting, until they expire. A jobs-page link is signed the same way over
``jobs:<workspace>``; no meeting id can look like that (ids are 16 hex digits).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from lifestream.links import link_secret, meeting_link, sign, verify
from lifestream.errors import ConfigError
from lifestream.settings import Settings

# Job ids (= meeting ids) are the first 16 hex digits of a SHA-256: nothing else is an id.
JOB_ID = re.compile(r"[0-9a-f]{16}")
WORKSPACE = re.compile(r"[A-Za-z0-9._-]{1,64}")
TOKEN_PREFIX = "lsk_"
PAGE_LINK_TTL = 24 * 3600  # links minted for someone already authorized (a token, a jobs link)


def valid_id(value: str | None) -> bool:
    return bool(value) and JOB_ID.fullmatch(value) is not None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(workspace: str) -> tuple[str, str]:
    """A new API token and the ``workspace:sha256`` entry that admits it."""
    if not WORKSPACE.fullmatch(workspace):
        raise ConfigError(f"invalid workspace {workspace!r}: use letters, digits, '.', '_' or '-' (at most 64).")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return token, f"{workspace}:{token_hash(token)}"


def token_table(settings: Settings) -> dict[str, str]:
    """sha256 hex → workspace, from LIFESTREAM_API_TOKENS; a malformed entry stops the server at start."""
    table: dict[str, str] = {}
    for entry in settings.api_tokens:
        workspace, _, digest = entry.strip().rpartition(":")
        if not WORKSPACE.fullmatch(workspace) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ConfigError("LIFESTREAM_API_TOKENS: every entry must be workspace:sha256hex "
                              "(make one with `lifestream api-token create --workspace W`).")
        table[digest] = workspace
    return table


def bearer_workspace(request: web.Request, table: dict[str, str]) -> str | None:
    """The workspace of the request's bearer token, or None (no token, or not one of ours)."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > 256:
        return None
    return table.get(token_hash(value))


def job_workspace(job: Any) -> str | None:
    origin = getattr(job, "origin", None) or {}
    workspace = origin.get("workspace")
    return workspace if isinstance(workspace, str) else None


# --- signed links to pages


def link_params(settings: Settings, meeting_id: str, ttl: int = PAGE_LINK_TTL) -> dict[str, str]:
    expires = int(time.time() + ttl)
    return {"exp": str(expires), "sig": sign(settings, meeting_id, expires)}


def meeting_url(settings: Settings, meeting_id: str, ttl: int = PAGE_LINK_TTL) -> str:
    return meeting_link(settings, meeting_id, ttl=ttl)


def jobs_subject(workspace: str) -> str:
    return f"jobs:{workspace}"


def jobs_url(settings: Settings, workspace: str, ttl: int = PAGE_LINK_TTL) -> str:
    params = {"workspace": workspace, **link_params(settings, jobs_subject(workspace), ttl)}
    return f"{settings.public_url.rstrip('/')}/jobs?{urlencode(params)}"


def link_ok(settings: Settings, subject: str, request: web.Request) -> bool | None:
    """None: the request carries no signed link; else whether the one it carries is valid now."""
    exp, sig = request.query.get("exp"), request.query.get("sig")
    if exp is None and sig is None:
        return None
    if not (exp or "").isascii() or not (sig or "").isascii():  # compare_digest refuses non-ASCII str
        return False
    return verify(settings, subject, exp or "", sig or "")


# --- upload tickets: what the server promised the uploader, signed, so no state is kept until confirm


def _ticket_mac(settings: Settings, body: str) -> str:
    mac = hmac.new(link_secret(settings), b"upload-ticket:" + body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def make_ticket(settings: Settings, payload: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()).rstrip(b"=").decode()
    return f"{body}.{_ticket_mac(settings, body)}"


def read_ticket(settings: Settings, ticket: str | None) -> dict[str, Any] | None:
    """The payload of a ticket this server signed, else None. Expiry is the caller's to check."""
    if not ticket or len(ticket) > 2048 or not ticket.isascii() or ticket.count(".") != 1:
        return None
    body, mac = ticket.split(".")
    if not hmac.compare_digest(_ticket_mac(settings, body), mac):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None

