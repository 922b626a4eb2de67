"""How long a recording may be (``LIFESTREAM_MAX_DURATION``), checked before any work is spent on it.

Checked at intake from the probe (by the bots when a recording is shared, by
the API when an upload is confirmed), and again by the worker, for jobs that
came in another way or before the limit changed; extraction then refuses
audio that decodes longer than the cap, whatever the container claimed.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from lifestream.errors import LifeStreamError, MediaError
from lifestream.pipeline.probe import probe, probe_url
from lifestream.settings import Settings
from lifestream.storage.base import Storage
from lifestream.timefmt import duration_text


def check_duration(duration: float | None, name: str, settings: Settings) -> None:
    """MediaError, with a message for the person who sent it, if the recording is over the cap."""
    if duration is not None and duration > settings.max_duration:
        raise MediaError(f"{name} is {duration_text(duration)} long; recordings of up to "
                         f"{duration_text(settings.max_duration)} are accepted.")


def stored_duration(storage: Storage, key: str, name: str) -> float | None:
    """The length of a stored recording, probed where it lies (a local file, or S3 by a presigned URL,
    so nothing is downloaded); None if it cannot be read, which the worker then reports with its reason."""
    url = storage.presign_get(key) or ""
    parts = urlsplit(url)
    try:
        if parts.scheme == "file":
            return probe(Path(url2pathname(parts.path))).duration
        if parts.scheme in ("http", "https"):
            return probe_url(url, name).duration
    except LifeStreamError:
        return None
    return None
