"""How many recordings this process downloads at once, and whether the disk has room for one more.

A shared link may be 2 GB and take 15 minutes (``LIFESTREAM_MAX_UPLOAD_MB``,
``LIFESTREAM_FETCH_TIMEOUT_SECONDS``); left unbounded, a channel sharing a
season of recordings, or one person pasting twenty links, fills the disk and
starves everyone else's downloads. So every download (a file or link shared
in Slack or Teams, a direct upload through the API) takes a slot first:

- at most ``LIFESTREAM_MAX_DOWNLOADS`` at once in this process, and at most
  ``LIFESTREAM_MAX_DOWNLOADS_PER_USER`` for one person (one API workspace);
- the download folder's file system must keep ``LIFESTREAM_DOWNLOAD_FREE_MARGIN_MB``
  free after the recording's size, as declared (Slack's file size, the API's
  announced size) or as its server says (Content-Length, ``Slot.reserve``),
  counting what the downloads already running may still write.

A download that gets no slot is not queued (a person waiting on "fetching it…"
for an hour learns nothing): it fails at once with ``DownloadsBusy``, whose
message tells the person to try again in a minute, and nothing of the request
is kept that would stop them from sharing it again.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from lifestream.errors import LifeStreamError
from lifestream.settings import Settings

MiB = 1 << 20
RETRY_AFTER_S = 60  # "try again in a minute": a download of a few hundred MB is done by then


def _are(count: int, noun: str, plural: str = "s") -> str:
    """"1 recording is", "2 recordings are"."""
    return f"{count} {noun} is" if count == 1 else f"{count} {noun}{plural} are"


class DownloadsBusy(LifeStreamError):
    """No download slot or no disk room right now; the message is for the person, and a minute from now may do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.retry_after = RETRY_AFTER_S


@dataclass
class Slot:
    """One running download: the bytes it has reserved on the download folder's file system."""

    user: str
    reserved: int = 0
    _downloads: Downloads | None = field(default=None, repr=False)

    def reserve(self, size: int | None) -> None:
        """The recording's size as its server announces it, before any byte is written; DownloadsBusy if no room."""
        if size is not None and size > self.reserved and self._downloads is not None:
            self._downloads._grow(self, size)


class Downloads:
    """The download slots of this process (thread-safe: the bots' loop and the API share it)."""

    def __init__(self, folder: Path, *, total: int, per_user: int, free_margin_bytes: int) -> None:
        self.folder = Path(folder)
        self.total = total
        self.per_user = per_user
        self.free_margin_bytes = free_margin_bytes
        self._running: list[Slot] = []
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Downloads:
        return cls(settings.data_dir / "tmp", total=settings.max_downloads, per_user=settings.max_downloads_per_user,
                   free_margin_bytes=settings.download_free_margin_mb * MiB)

    def running(self, user: str | None = None) -> int:
        with self._lock:
            return sum(1 for s in self._running if user is None or s.user == user)

    def _free(self) -> int:
        self.folder.mkdir(parents=True, exist_ok=True)
        return shutil.disk_usage(self.folder).free

    def _check_room(self, slot: Slot, size: int) -> None:
        """Under the lock: is there room for ``size`` bytes besides what the other downloads have reserved?"""
        others = sum(s.reserved for s in self._running if s is not slot)
        if self._free() - others - size < self.free_margin_bytes:
            what = f"a {size / MiB:.0f} MB recording" if size else "another recording"
            raise DownloadsBusy(f"I'm busy: the server has no room for {what} right now. "
                                "Please try again in a minute.")

    def _grow(self, slot: Slot, size: int) -> None:
        with self._lock:
            self._check_room(slot, size)
            slot.reserved = size

    @contextmanager
    def slot(self, user: str | None, size: int | None = None) -> Iterator[Slot]:
        """Hold a download slot for ``user`` (who shared it) while downloading a recording of ``size`` bytes
        (None: not known yet; ``Slot.reserve`` once it is). Raises DownloadsBusy when there is none."""
        slot = Slot(user=user or "-", _downloads=self)
        with self._lock:
            if len(self._running) >= self.total:
                raise DownloadsBusy(f"I'm busy: {_are(self.total, 'recording')} downloading right now, as many as "
                                    "I take at once. Please try again in a minute.")
            if user is not None and sum(1 for s in self._running if s.user == slot.user) >= self.per_user:
                raise DownloadsBusy(f"I'm busy with your other recordings: {_are(self.per_user, 'of yours', '')} "
                                    "downloading right now, as many as I take from one person at once. Please try "
                                    "again in a minute, once one is done.")
            self._check_room(slot, size or 0)
            slot.reserved = size or 0
            self._running.append(slot)
        try:
            yield slot
        finally:
            with self._lock:
                self._running.remove(slot)
