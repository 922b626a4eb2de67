"""Who may see what: API tokens scoped to a workspace, signed links, signed upload tickets.

API tokens are random strings the server never stores: ``LIFESTREAM_API_TOKENS``
holds ``workspace:sha256(token)`` entries, so a leaked setting (or a logged
environment) does not leak a usable token. A request proves a workspace with
``Authorization: Bearer <token>``.

A meeting belongs to the workspace of its job's origin (``job.origin.workspace``); a
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
from urllib.parse import urlencode

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from lifestream.errors import ConfigError
from lifestream.links import link_secret, sign, verify
from lifestream.settings import Settings
from lifestream.workers.jobstore import Job, job_id_for

# Job ids (= meeting ids) are the first 16 hex digits of a SHA-256: nothing else is an id.
JOB_ID = re.compile(r"[0-9a-f]{16}")
WORKSPACE = re.compile(r"[A-Za-z0-9._-]{1,64}")
TOKEN_PREFIX = "lsk_"
PAGE_LINK_TTL = 24 * 3600  # links minted for someone already authorized (a token, a jobs link)


def valid_id(value: str | None) -> bool:
    return value is not None and JOB_ID.fullmatch(value) is not None


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


def job_workspace(job: Job) -> str | None:
    return job.origin.workspace if job.origin is not None else None


# --- signed links to pages


def link_params(settings: Settings, meeting_id: str, ttl: int = PAGE_LINK_TTL) -> dict[str, str]:
    expires = int(time.time() + ttl)
    return {"exp": str(expires), "sig": sign(settings, meeting_id, expires)}


def jobs_subject(workspace: str) -> str:
    return f"jobs:{workspace}"


def jobs_url(settings: Settings, workspace: str, ttl: int = PAGE_LINK_TTL) -> str:
    params = {"workspace": workspace, **link_params(settings, jobs_subject(workspace), ttl)}
    return f"{settings.public_base_url}/jobs?{urlencode(params)}"


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


def upload_idempotency_key(nonce: str) -> str:
    """An API upload's job id is fixed by its nonce, so the uploader knows it before uploading."""
    return f"api-upload:{nonce}"


class UploadClaim(BaseModel):
    """What an upload ticket promises. Signed and handed to the uploader; read back, unchanged, at confirm.

    The one-letter names are the signed wire format (tickets in flight stay valid across a deploy).
    """

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    version: int = Field(1, alias="v")
    nonce: str = Field(alias="n")  # random: the upload's idempotency key, hence its job id
    workspace: str = Field(alias="w")
    conversation: str = Field(alias="c")  # what questions scope the meeting by
    key: str = Field(alias="k")  # where in storage the recording goes
    filename: str = Field(alias="f")  # the recording's name, as the uploader gave it
    size: int = Field(alias="s")  # bytes announced: the upload may not be larger
    expires: int = Field(alias="e")  # unix time after which the upload URL refuses

    @property
    def idempotency_key(self) -> str:
        return upload_idempotency_key(self.nonce)

    @property
    def job_id(self) -> str:
        return job_id_for(self.idempotency_key)


def make_ticket(settings: Settings, claim: UploadClaim) -> str:
    payload = json.dumps(claim.model_dump(by_alias=True), separators=(",", ":"), ensure_ascii=False)
    body = base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()
    return f"{body}.{_ticket_mac(settings, body)}"


def read_ticket(settings: Settings, ticket: str | None) -> UploadClaim | None:
    """What a ticket this server signed promises, else None. Expiry is the caller's to check."""
    if not ticket or len(ticket) > 2048 or not ticket.isascii() or ticket.count(".") != 1:
        return None
    body, mac = ticket.split(".")
    if not hmac.compare_digest(_ticket_mac(settings, body), mac):
        return None
    try:
        return UploadClaim.model_validate_json(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:  # not base64, not JSON, not a claim (pydantic's ValidationError is a ValueError)
        return None

