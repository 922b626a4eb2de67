"""Signed, expiring links to one meeting's page, for the messages the bots post and the pages themselves.

A link carries its own permission: HMAC-SHA256 over the meeting id and the
expiry, so whoever holds the link can open that one meeting until it expires,
and nothing else (no listing, no other ids). The same secret signs the API's
upload tickets (``lifestream.web.auth``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from lifestream.settings import Settings

DEFAULT_TTL = 30 * 24 * 3600


def link_secret(settings: Settings) -> bytes:
    """LIFESTREAM_LINK_SECRET, or one generated once and kept in the data dir."""
    if settings.link_secret:
        return settings.link_secret.encode()
    path = Path(settings.data_dir) / "link-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x") as fh:  # "x": two processes starting at once keep one secret
                fh.write(secrets.token_hex(32))
            path.chmod(0o600)
        except FileExistsError:
            pass
    return path.read_text().strip().encode()


def sign(settings: Settings, meeting_id: str, expires: int) -> str:
    return hmac.new(link_secret(settings), f"{meeting_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def meeting_link(settings: Settings, meeting_id: str, *, ttl: int = DEFAULT_TTL, at: float | None = None) -> str:
    expires = int((at or time.time()) + ttl)
    base = settings.public_url.rstrip("/")
    return f"{base}/meetings/{quote(meeting_id)}?exp={expires}&sig={sign(settings, meeting_id, expires)}"


def verify(settings: Settings, meeting_id: str, expires: str | int, signature: str) -> bool:
    try:
        expires = int(expires)
    except (TypeError, ValueError):
        return False
    if expires < time.time():
        return False
    return hmac.compare_digest(sign(settings, meeting_id, expires), signature or "")



def download_link(page_link: str, fmt: str) -> str:
    """The export ``fmt`` (pdf, docx, …) of the meeting a signed page link opens, under the same signature.

    The signature covers the meeting id and the expiry, not the path: like the page's keyframes, its
    downloads are the meeting's sub-resources (``/meetings/<id>/download/<fmt>``).
    """
    path, _, query = page_link.partition("?")
    return f"{path}/download/{quote(fmt)}?{query}"
