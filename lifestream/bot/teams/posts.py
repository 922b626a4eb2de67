"""Where each job's minutes card went, so renaming a speaker can re-render it in place.

The notifier records the posted card (the conversation and the activity id)
beside the job's results; the bot reads it back when someone renames a speaker.
"""

from __future__ import annotations

import asyncio
import io
import json
import tempfile
from pathlib import Path

from botbuilder.integration.aiohttp import CloudAdapter

from lifestream import meetings
from lifestream.bot.teams.cards import minutes_card, summary_text
from lifestream.bot.teams.proactive import update_card
from lifestream.errors import LifeStreamError
from lifestream.links import meeting_link
from lifestream.people import mentionable
from lifestream.services import Services
from lifestream.workers.jobstore import Job
from lifestream.workers.recordings import recording_gone

POSTS_FILE = "teams-posts.json"


class MinutesPosts:
    def __init__(self, services: Services) -> None:
        self.settings = services.settings
        self.storage = services.storage

    def record(self, job: Job, reference: dict, activity_id: str) -> None:
        body = json.dumps({"reference": reference, "activity_id": activity_id,
                           "finished_at": job.finished_at}).encode()  # which results it shows
        self.storage.put(job.result_prefix + POSTS_FILE, io.BytesIO(body), content_type="application/json")

    def _read(self, job: Job) -> dict | None:
        with tempfile.TemporaryDirectory(prefix="lifestream-post-") as folder:
            try:
                return json.loads(self.storage.get(job.result_prefix + POSTS_FILE, Path(folder) / POSTS_FILE)
                                  .read_text())
            except LifeStreamError:  # never posted (processed before, or shared elsewhere first)
                return None

    async def refresh(self, adapter: CloudAdapter, job: Job) -> bool:
        """Re-render the posted card from the stored minutes; False if no card was recorded."""
        posted = await asyncio.to_thread(self._read, job)
        if posted is None:
            return False
        meeting = await asyncio.to_thread(meetings.load, self.storage, job.result_prefix)
        content = minutes_card(meeting, link=meeting_link(self.settings, meeting.meeting_id), job_id=job.id,
                               recording_gone=recording_gone(job),
                               mentions=mentionable(meeting))  # the card the notifier posted where it was shared
        await update_card(adapter, self.settings, posted["reference"], posted["activity_id"], content,
                          summary_text(meeting))
        return True
