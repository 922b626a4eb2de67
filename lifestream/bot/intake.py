"""What the chat bots share: is this a recording, where are the links, and getting it into a job."""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from lifestream.bot.fetcher import SHARE_PAGES, LinkError, fetch
from lifestream.errors import MediaError
from lifestream.pipeline.probe import SUPPORTED_EXTENSIONS
from lifestream.settings import Settings
from lifestream.storage.base import safe_name

# Audio/video containers people do share that the pipeline does not take.
OTHER_MEDIA_EXTENSIONS = (".avi", ".wmv", ".flv", ".flac", ".aac", ".opus", ".wma", ".3gp", ".mpeg", ".mpg", ".m4v",
                          ".aiff", ".amr")
SUPPORTED_LIST = "mp4, mov, mkv, webm, m4a, mp3, wav or ogg"

# Slack writes links as <https://…|label> or <https://…>; Teams and others as plain text.
_SLACK_LINK = re.compile(r"<(https?://[^>|\s]+)(?:\|[^>]*)?>")
_PLAIN_LINK = re.compile(r"https?://[^\s<>\"')\]]+")


def extension(name: str) -> str:
    return PurePosixPath(name.lower()).suffix


def is_media(name: str, mimetype: str | None = None) -> bool:
    """Audio or video, supported or not (a PDF or an image is not our business)."""
    mime = (mimetype or "").lower()
    return mime.startswith(("audio/", "video/")) or extension(name) in SUPPORTED_EXTENSIONS + OTHER_MEDIA_EXTENSIONS


def unsupported_reason(name: str, mimetype: str | None = None) -> str | None:
    """Why a media file will not be processed, or None if it can be."""
    if extension(name) in SUPPORTED_EXTENSIONS:
        return None
    if extension(name) in OTHER_MEDIA_EXTENSIONS or (mimetype or "").startswith(("audio/", "video/")):
        return f"{name} is a format I don't take; please share it as {SUPPORTED_LIST}."
    return None


def find_links(text: str) -> list[str]:
    links = _SLACK_LINK.findall(text or "")
    rest = _SLACK_LINK.sub(" ", text or "")
    links += _PLAIN_LINK.findall(rest)
    return list(dict.fromkeys(links))


def is_recording_link(url: str) -> bool:
    """A link worth answering: a media file, or a share page we should explain we cannot read."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if any(pattern.search(host) for pattern, _, _ in SHARE_PAGES):
        return True
    return extension(parts.path) in SUPPORTED_EXTENSIONS + OTHER_MEDIA_EXTENSIONS


def too_large(size: int | None, settings: Settings) -> str | None:
    if size is not None and size > settings.max_upload_mb * 1024 * 1024:
        return f"that recording is {size / 1024 / 1024:.0f} MB, over the {settings.max_upload_mb} MB limit."
    return None


@dataclass(frozen=True)
class Received:
    submission: Any  # lifestream.workers.submit.Submission
    name: str
    duration: float | None


async def download_and_submit(
    url: str,
    *,
    settings: Settings,
    origin: dict[str, Any],
    name: str | None = None,
    headers: dict[str, str] | None = None,
) -> Received:
    """Stream ``url`` to a temporary file, check it is media, and make (or find) its job.

    Raises LinkError/MediaError with a message for the person who shared it.
    """
    from lifestream.pipeline.limits import check_duration
    from lifestream.pipeline.probe import probe
    from lifestream.workers.submit import submit_file

    with tempfile.TemporaryDirectory(prefix="lifestream-in-") as tmp:
        fetched = await fetch(url, Path(tmp) / "recording", max_bytes=settings.max_upload_mb * 1024 * 1024,
                              timeout_seconds=settings.fetch_timeout_seconds,
                              allow_networks=settings.fetch_allow_networks, headers=headers)
        display = name or fetched.filename
        if reason := unsupported_reason(display, fetched.content_type):
            raise MediaError(reason)
        # Sniff the content: a web page or a PDF behind a .mp4 link is refused here, before any job.
        path = fetched.path.rename(Path(tmp) / safe_name(display))
        media = await asyncio.to_thread(probe, path)
        check_duration(media.duration, display, settings)
        submission = await asyncio.to_thread(submit_file, path, settings=settings, origin=origin, display_name=display)
    return Received(submission=submission, name=display, duration=media.duration)


__all__ = ["LinkError", "MediaError", "Received", "download_and_submit", "find_links", "is_media", "is_recording_link",
           "too_large", "unsupported_reason"]
