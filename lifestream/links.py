"""Signed, expiring links to one meeting's page, for the messages the bots post and the pages themselves.

A link carries its own permission: HMAC-SHA256 over the meeting id and the
expiry, so whoever holds the link can open that one meeting until it expires,
and nothing else (no listing, no other ids). The same secret signs the API's
upload tickets (``lifestream.web.auth``).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from pathlib import Path
from urllib.parse import quote

from lifestream.errors import ConfigError
from lifestream.settings import Settings

DEFAULT_TTL = 30 * 24 * 3600  # the minutes posted in the thread of the meeting's own conversation
# Answers cite meetings from anywhere the asker may look, and can be shared: their links expire sooner.
ANSWER_TTL = 24 * 3600
# HMAC-SHA256 keys shorter than its block of output are guessable in principle; an empty one is no key.
MIN_SECRET_BYTES = 32
SECRET_FILE = "link-secret"


def link_secret(settings: Settings) -> bytes:
    """LIFESTREAM_LINK_SECRET, or one generated once and kept in the data dir; ConfigError if too short."""
    if settings.link_secret:
        key = settings.link_secret.encode()
        if len(key) < MIN_SECRET_BYTES:
            raise ConfigError(f"LIFESTREAM_LINK_SECRET is {len(key)} bytes; use at least {MIN_SECRET_BYTES} "
                              "(e.g. `openssl rand -hex 32`).")
        return key
    path = Path(settings.data_dir) / SECRET_FILE
    if not path.exists():
        _create_secret(path)
    key = path.read_text().strip().encode()
    if len(key) < MIN_SECRET_BYTES:
        raise ConfigError(f"the link secret in {path} is {len(key)} bytes, under {MIN_SECRET_BYTES}: delete the "
                          "file to have a new one made (links signed with it stop working), or set "
                          "LIFESTREAM_LINK_SECRET.")
    return key


def _create_secret(path: Path) -> None:
    """Write a new secret so the file is never seen empty, partial or readable by others.

    The key is written to a temporary file created 0600, flushed to disk, then linked into place, which
    fails if another process got there first: two processes starting at once keep that one's secret.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)  # an atomic rename that never replaces an existing secret
        except FileExistsError:
            return
        except OSError:  # a filesystem without hard links: rename (a simultaneous start may then win instead)
            os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the new name survives a crash too
        finally:
            os.close(dir_fd)
    finally:
        tmp.unlink(missing_ok=True)


def sign(settings: Settings, meeting_id: str, expires: int) -> str:
    return hmac.new(link_secret(settings), f"{meeting_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def meeting_link(settings: Settings, meeting_id: str, *, ttl: int = DEFAULT_TTL, at: float | None = None) -> str:
    expires = int((at or time.time()) + ttl)
    base = settings.public_base_url
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
