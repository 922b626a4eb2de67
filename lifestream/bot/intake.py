"""What the chat bots share: is this a recording, where are the links, and one intake (fetch → submit → outcome).

The parsers at the top are pure (a file name, a MIME type, a message's text);
``receive`` does the work, and both bots render its ``Outcome``.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from lifestream.bot.fetcher import SHARE_PAGES, Credential, fetch
from lifestream.errors import MediaError
from lifestream.origin import Origin
from lifestream.pipeline.limits import check_duration
from lifestream.pipeline.probe import SUPPORTED_EXTENSIONS, probe
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import safe_name
from lifestream.workers.jobstore import Job, JobState
from lifestream.workers.submit import submit_file

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


OutcomeKind = Literal["queued", "processed_before", "in_progress"]


@dataclass(frozen=True)
class Outcome:
    """What became of a shared recording. The platforms only put it in their own words (and, for
    "processed_before", post the minutes that already exist)."""

    kind: OutcomeKind
    job: Job  # for "queued", with the recording's duration, for the status text's "(≈N min)"
    name: str  # the recording's name as shared


async def receive(
    url: str,
    *,
    services: Services,
    origin: Origin,
    name: str | None = None,
    credential: Credential | None = None,
    size: int | None = None,
) -> Outcome:
    """Fetch → check → submit: stream ``url`` to a temporary file, check it is media, make (or find) its job.

    ``size``: the recording's size as the platform declared it, if it did (else its server's announcement
    counts). Raises LifeStreamError (LinkError, MediaError…) with a message for the person who shared it;
    DownloadsBusy when this server takes no more downloads right now (the person may share it again).
    """
    settings = services.settings
    downloads = services.downloads
    user = getattr(origin, "user", None)
    with downloads.slot(f"{origin.workspace}/{user}" if user else None, size) as slot, \
            tempfile.TemporaryDirectory(dir=downloads.folder, prefix="download-") as tmp:
        fetched = await fetch(url, Path(tmp) / "recording", max_bytes=settings.max_upload_mb * 1024 * 1024,
                              timeout_seconds=settings.fetch_timeout_seconds,
                              allow_networks=settings.fetch_allow_networks, credential=credential,
                              on_size=slot.reserve)
        display = name or fetched.filename
        if reason := unsupported_reason(display, fetched.content_type):
            raise MediaError(reason)
        # Sniff the content: a web page or a PDF behind a .mp4 link is refused here, before any job.
        path = fetched.path.rename(Path(tmp) / safe_name(display))
        media = await asyncio.to_thread(probe, path)
        check_duration(media.duration, display, settings)
        submission = await asyncio.to_thread(submit_file, path, services=services, origin=origin,
                                             display_name=display)
    job = submission.job
    if submission.created:
        return Outcome("queued", job.model_copy(update={"duration": media.duration}), display)
    return Outcome("processed_before" if job.state is JobState.COMPLETED else "in_progress", job, display)
