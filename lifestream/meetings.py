"""What people do with a processed meeting, whichever surface they use: read it, name its speakers, delete it.

The bots, the HTTP API, the pages and the command line call these; a surface
only turns its request into arguments and the result (or the error, whose
message is meant for the person) into its own kind of reply. Re-running and
retrying a job live with the other job operations in ``lifestream.workers.submit``.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from lifestream import voiceprints
from lifestream.errors import LifeStreamError
from lifestream.models import Meeting
from lifestream.origin import SlackOrigin, TeamsOrigin, shared_in
from lifestream.people import load_roster
from lifestream.pipeline import naming
from lifestream.pipeline.outputs import minutes_markdown, to_srt, to_vtt
from lifestream.search import Indexer
from lifestream.services import Services
from lifestream.storage import Storage
from lifestream.workers import recordings
from lifestream.workers.jobstore import Job, JobState

_LABEL = re.compile(r"^SPEAKER_\d+$")


class MeetingBusy(LifeStreamError):
    """The meeting's job is running, or has only just been stopped: deleting now could race its last writes."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds after which trying again will work


def load(storage: Storage, prefix: str) -> Meeting:
    with tempfile.TemporaryDirectory() as tmp:
        path = storage.get(prefix + "meeting.json", Path(tmp) / "meeting.json")
        return Meeting.model_validate_json(path.read_text(encoding="utf-8"))


def rename_speakers(storage: Storage, prefix: str, names: dict[str, str],
                    people: Iterable[naming.Person] = ()) -> Meeting:
    """Give speaker labels names; the stored minutes and subtitles are rewritten to match.

    A name given here is confirmed: it replaces any guessed name, and no guess takes it from now on.
    A name that fits one of ``people`` (the chat's members) links the speaker to that person.
    """
    meeting = load(storage, prefix)
    for label in names:
        if not _LABEL.match(label) or label not in meeting.speakers:
            raise LifeStreamError(f"{label} is not a speaker of this meeting ({', '.join(meeting.speakers)}).")
    naming.confirm_names(meeting, names, people)
    # Together, as one new version (each file whole, meeting.json last): a rename cut short leaves the
    # old names or the new, and can be repeated.
    storage.put_files(prefix, {
        "minutes.md": (minutes_markdown(meeting).encode("utf-8"), "text/markdown"),
        "transcript.vtt": (to_vtt(meeting).encode("utf-8"), "text/vtt"),
        "transcript.srt": (to_srt(meeting).encode("utf-8"), "application/x-subrip"),
        "meeting.json": (meeting.model_dump_json(indent=2).encode("utf-8"), "application/json"),
    })
    return meeting


def rename(services: Services, job: Job, names: dict[str, str]) -> Meeting:
    """Name a job's speakers and re-index its meeting, so "what did Alice promise?" finds Alice.

    Names are linked to the members of the conversation the meeting was shared in, when known.
    """
    roster = load_roster(services.storage, job.origin.workspace, job.origin.conversation) if job.origin else None
    meeting = rename_speakers(services.storage, job.result_prefix, names, roster.people() if roster else ())
    if job.origin is not None:
        Indexer(services.index, workspace=job.origin.workspace, conversation=job.origin.conversation,
                settings=services.settings).index_meeting(meeting)
        workspace = job.origin.workspace
        if voiceprints.enabled(services.settings_for(workspace), workspace):  # a confirmed name teaches a voice
            voiceprints.settle(services.storage, workspace, meeting, job.result_prefix)
    return meeting


def latest_in(services: Services, origin_type: type[SlackOrigin] | type[TeamsOrigin], workspace: str,
              conversation: str, scan: int = 200) -> Job | None:
    """The newest completed meeting shared in a chat conversation ("rename SPEAKER_1 Alice" names its speakers)."""
    for job in services.store.list([JobState.COMPLETED], scan, workspace=workspace):
        if shared_in(job.origin, origin_type, workspace, conversation):
            return job
    return None


def delete(services: Services, job: Job, *, jobs: Sequence[Job] | None = None) -> None:
    """The recording (unless another job still keeps it), the results, the search records, then the job record.

    The record goes last, so a delete that fails half-way can be repeated. A job that is running is
    cancelled first; its worker notices at its next lease renewal, and until then ``MeetingBusy`` says
    when to try again. ``jobs``: every job, when the caller has listed them already (deleting many
    meetings at once); by default the job store is asked.
    """
    store, storage = services.store, services.storage
    wait = int(services.settings.job_lease_seconds) + 5
    if job.state is JobState.PROCESSING:
        store.cancel(job.id)
        raise MeetingBusy(f"job {job.id} was processing and is now cancelled; delete it again in {wait} s", wait)
    if job.state is JobState.QUEUED:
        if store.cancel(job.id) is None:  # a worker claimed it just now
            raise MeetingBusy(f"job {job.id} has just started; delete it again in {wait} s", wait)
    elif job.state is JobState.CANCELLED and job.started_at and (job.finished_at or 0) > time.time() - wait:
        raise MeetingBusy(f"job {job.id} is still stopping; delete it again in {wait} s", wait)
    storage.delete(job.result_prefix)
    recordings.delete_objects(services, job, jobs)  # a recording stored by content stays while another job keeps it
    services.index.delete_meeting(job.id)
    # Voiceprints follow their own rule: a meeting's deletion tells them here, before its record goes.
    store.delete(job.id)
