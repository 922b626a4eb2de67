"""What every chat notifier shares: picking its own jobs' events, and pacing progress edits.

Each platform's notifier (Slack, Teams) is a job-event callback that runs
wherever job events happen; it says how to post, this says when.
"""

from __future__ import annotations

import threading
import time

from lifestream.workers.hooks import JobEvent
from lifestream.workers.jobstore import Job

# A chat message edited more often than this is noise (and meets rate limits); a new stage always shows.
PROGRESS_EVERY_S = 3.0


class ChatNotifier:
    platform: str
    # The origin field without which this platform cannot reach the conversation.
    address_field: str

    def __init__(self) -> None:
        self._last_progress: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, event: JobEvent) -> None:
        origin = event.job.origin
        if origin.get("platform") != self.platform or not origin.get(self.address_field):
            return
        if event.kind == "progress":
            if self._progress_due(event.job):
                self.progress(event.job)
            return
        with self._lock:
            self._last_progress.pop(event.job.id, None)
        if event.kind == "completed":
            self.completed(event.job)
        elif event.kind == "failed":
            self.failed(event.job)

    def _progress_due(self, job: Job) -> bool:
        now = time.monotonic()
        with self._lock:
            last, stage = self._last_progress.get(job.id, (0.0, None))
            if stage == job.stage and now - last < PROGRESS_EVERY_S:
                return False
            self._last_progress[job.id] = (now, job.stage)
        return True

    def progress(self, job: Job) -> None:
        raise NotImplementedError

    def completed(self, job: Job) -> None:
        raise NotImplementedError

    def failed(self, job: Job) -> None:
        raise NotImplementedError
