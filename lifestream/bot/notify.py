"""What every chat notifier shares: picking its own jobs' events, and pacing progress edits.

Each platform's notifier (Slack, Teams) is a job-event callback that runs
wherever job events happen; it says how to post, this says when.
"""

from __future__ import annotations

import threading
import time
from typing import Generic, TypeVar

from lifestream.origin import SlackOrigin, TeamsOrigin
from lifestream.workers.hooks import JobEvent
from lifestream.workers.jobstore import Job

# A chat message edited more often than this is noise (and meets rate limits); a new stage always shows.
PROGRESS_EVERY_S = 3.0

OriginT = TypeVar("OriginT", SlackOrigin, TeamsOrigin)


class ChatNotifier(Generic[OriginT]):
    # The origins this platform posts to; a job from elsewhere is not its business.
    origin_type: type[OriginT]

    def __init__(self) -> None:
        self._last_progress: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: JobEvent) -> None:
        origin = event.job.origin
        if not isinstance(origin, self.origin_type):
            return
        if event.kind == "progress":
            if self._progress_due(event.job):
                self.progress(event.job, origin)
            return
        if event.kind == "preview":
            self.preview(event.job, origin)
            return
        with self._lock:
            self._last_progress.pop(event.job.id, None)
        if event.kind == "completed":
            self.completed(event.job, origin)
        elif event.kind == "failed":
            self.failed(event.job, origin)

    def _progress_due(self, job: Job) -> bool:
        now = time.monotonic()
        with self._lock:
            last, stage = self._last_progress.get(job.id, (0.0, None))
            if stage == job.stage and now - last < PROGRESS_EVERY_S:
                return False
            self._last_progress[job.id] = (now, job.stage)
        return True

    def progress(self, job: Job, origin: OriginT) -> None:
        raise NotImplementedError

    def preview(self, job: Job, origin: OriginT) -> None:
        """A long recording's early minutes are stored (``workers.fanout.load_preview``): show them until
        ``completed`` puts the whole minutes in their place."""
        raise NotImplementedError

    def completed(self, job: Job, origin: OriginT) -> None:
        raise NotImplementedError

    def failed(self, job: Job, origin: OriginT) -> None:
        raise NotImplementedError
