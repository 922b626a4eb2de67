"""Signed Slack requests to a running bot over real HTTP, as Slack sends them (v0 signatures)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

SIGNING_SECRET = "test-signing-secret"


def signature_headers(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Ack:
    status: int
    seconds: float  # from sending the request to the whole answer read


def post_signed(url: str, body: str, content_type: str, *, secret: str = SIGNING_SECRET,
                timeout: float = 10) -> Ack:
    """POST ``body`` to the bot's /slack/events with Slack's signature; the status and how long it took."""
    request = urllib.request.Request(f"{url}/slack/events", data=body.encode(), method="POST",
                                     headers={"Content-Type": content_type, **signature_headers(body, secret)})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return Ack(status, time.perf_counter() - started)


def event_body(event: dict, *, team: str, event_id: str) -> str:
    return json.dumps({"type": "event_callback", "team_id": team, "api_app_id": "A1", "event_id": event_id,
                       "event_time": int(time.time()), "event": event})


def file_share_event(channel: str, user: str, ts: str, file: dict) -> dict:
    return {"type": "message", "subtype": "file_share", "channel": channel, "user": user, "ts": ts, "text": "",
            "files": [file], "channel_type": "channel"}
