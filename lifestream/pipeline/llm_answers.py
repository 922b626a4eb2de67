"""The minutes model's accepted answers, kept between attempts of one job.

A long meeting's minutes are one model call per chunk, then one for the whole. When the endpoint gives
out part-way (rate limits, an outage longer than the client's own retries), the job fails and is retried,
and without this every chunk is paid for again, which, against a rate limit, makes the next failure likelier.
So each accepted answer (schema-valid, its grounding checked) is written to the job's checkpoint folder as
soon as it is in, keyed by the model and the exact prompt; a later attempt that sends the same prompt takes
the kept answer instead. A changed transcript, speaker list, language or model is a different prompt, so a
kept answer is never used for anything but what it answered. The worker stores the folder in the job's
storage as answers come (``lifestream.workers.checkpoints``) and drops it when the job completes, so a
Re-run asks the model afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from lifestream.pipeline.outputs import atomic_write

log = logging.getLogger(__name__)

# The checkpoint stage's name: answers live in <checkpoint folder>/minutes/, its record in minutes.json.
STAGE = "minutes"


class AnswerStore:
    """Kept answers in ``folder / STAGE``; ``on_saved`` is called after each new one (from any thread)."""

    def __init__(self, folder: Path, on_saved: Callable[[], None] | None = None) -> None:
        self.folder = folder / STAGE
        self._record = folder / f"{STAGE}.json"
        self._on_saved = on_saved
        self._lock = threading.Lock()
        self.hits = 0
        self.saved = 0

    @staticmethod
    def key(model: str, system: str, user: str) -> str:
        return hashlib.sha256(json.dumps([model, system, user]).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        try:
            text = (self.folder / f"{key}.json").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        with self._lock:
            self.hits += 1
        return text

    def forget(self, key: str) -> None:
        """A kept answer that no longer reads (a newer schema): asked again, and overwritten."""
        with self._lock:
            self.hits -= 1
        (self.folder / f"{key}.json").unlink(missing_ok=True)

    def put(self, key: str, answer: str) -> None:
        try:
            with self._lock:
                # hidden while written: neither this attempt nor the worker storing the folder sees half of one
                atomic_write(self.folder / f"{key}.json", answer)
                self.saved += 1
                # the record comes last: the worker stores the answers first, then it (keep_stage)
                atomic_write(self._record, json.dumps({"answers": len(list(self.folder.glob("*.json")))}))
        except OSError:  # a kept answer saves a retry's cost; never worth failing the minutes
            log.warning("an answer of the minutes model could not be kept for a retry", exc_info=True)
            return
        if self._on_saved is not None:
            self._on_saved()

