"""The domain operations every surface calls (lifestream.meetings), on the embedded backends."""

from __future__ import annotations

import io

import pytest

from lifestream.cli import main
from lifestream.errors import LifeStreamError
from lifestream.meetings import MeetingBusy, delete, latest_in, load, rename
from lifestream.models import Meeting, Segment, SourceInfo, Transcript
from lifestream.origin import SlackOrigin, TeamsOrigin
from lifestream.services import Services
from lifestream.storage import api_upload_prefix, upload_key
from lifestream.workers.jobstore import Job, JobState, job_id_for


def _meeting(meeting_id: str) -> Meeting:
    segments = [Segment(id=0, start=0.0, end=2.0, text="We ship on Friday.", speaker="SPEAKER_1"),
                Segment(id=1, start=2.0, end=4.0, text="Agreed.", speaker="SPEAKER_2")]
    return Meeting(meeting_id=meeting_id, speakers=["SPEAKER_1", "SPEAKER_2"],
                   source=SourceInfo(name="standup.wav", sha256="0" * 64, size_bytes=4, format="wav", duration=4.0,
                                     has_video=False),
                   transcript=Transcript(language="en", duration=4.0, segments=segments))


def _job(services: Services, name: str, *, storage_key: str | None = None, origin=None,
         state: JobState = JobState.COMPLETED) -> Job:
    """A job record in the given state, with its recording and results in storage (no pipeline run)."""
    job_id = job_id_for(f"test:{name}")
    key = storage_key or upload_key(job_id_for(name) * 4, "standup.wav")
    job, _ = services.store.create(Job(id=job_id, storage_key=key, idempotency_key=f"test:{name}",
                                       source_name="standup.wav", origin=origin))
    services.storage.put(key, io.BytesIO(b"RIFF"))
    if state is not JobState.QUEUED:
        job = services.store.claim(job.id, "owner", 60)
    if state is JobState.COMPLETED:
        services.storage.put(job.result_prefix + "meeting.json", io.BytesIO(_meeting(job.id).model_dump_json().encode()))
        job = services.store.complete(job.id, "owner")
    return job


def test_delete_removes_everything_but_a_recording_another_job_still_uses(settings):
    services = Services(settings)
    shared = upload_key("ab" * 32, "standup.wav")
    first, second = _job(services, "one", storage_key=shared), _job(services, "two", storage_key=shared)
    delete(services, first)
    assert services.store.get(first.id) is None and services.storage.list(first.result_prefix) == []
    assert services.storage.stat(shared) is not None  # the second job's recording too
    delete(services, second)
    assert services.storage.stat(shared) is None and services.store.list() == []

    uploaded = _job(services, "api", storage_key=api_upload_prefix(job_id_for("test:api")) + "r.wav")
    delete(services, uploaded)
    assert services.storage.list(api_upload_prefix(uploaded.id)) == []


def test_a_running_job_is_cancelled_first_and_deleted_on_the_next_try(settings):
    services = Services(settings.model_copy(update={"job_lease_seconds": 0.0}))
    running = _job(services, "running", state=JobState.PROCESSING)
    with pytest.raises(MeetingBusy) as busy:
        delete(services, running)
    assert busy.value.retry_after == 5 and "now cancelled" in busy.value.message
    cancelled = services.store.get(running.id)
    assert cancelled.state is JobState.CANCELLED
    with pytest.raises(MeetingBusy, match="still stopping"):  # its worker may still be writing
        delete(services, cancelled)
    queued = _job(services, "queued", state=JobState.QUEUED)
    delete(services, queued)  # never started: cancelled and deleted at once
    assert services.store.get(queued.id) is None


def test_the_latest_meeting_of_a_conversation_and_renaming_its_speakers(settings):
    services = Services(settings)
    channel = SlackOrigin(workspace="T1", conversation="C1")
    _job(services, "older", origin=channel)
    newer = _job(services, "newer", origin=channel)
    _job(services, "teams", origin=TeamsOrigin(workspace="T1", conversation="C1", reference={}))
    _job(services, "elsewhere", origin=SlackOrigin(workspace="T1", conversation="C2"))
    _job(services, "running", origin=channel, state=JobState.PROCESSING)
    assert latest_in(services, SlackOrigin, "T1", "C1").id == newer.id
    assert latest_in(services, SlackOrigin, "T1", "C9") is None
    assert latest_in(services, SlackOrigin, "T2", "C1") is None  # the same channel id in another workspace

    unindexed = newer.model_copy(update={"origin": None})  # no search scope: nothing to re-index
    assert rename(services, unindexed, {"SPEAKER_1": "  Alice \n"}).speaker_names == {"SPEAKER_1": "Alice"}
    stored = load(services.storage, newer.result_prefix)
    assert stored.speaker_name("SPEAKER_1") == "Alice"
    assert "Alice" in services.storage.get(newer.result_prefix + "transcript.vtt",
                                           settings.data_dir / "t.vtt").read_text()
    with pytest.raises(LifeStreamError, match="SPEAKER_7 is not a speaker"):
        rename(services, unindexed, {"SPEAKER_7": "Bob"})


def test_the_command_line_deletes_and_reruns(settings, capsys):
    services = Services(settings)
    done = _job(services, "cli")
    queued = _job(services, "cli-queued", state=JobState.QUEUED)
    assert main(["jobs", "rerun", queued.id]) == 2
    assert "it can be re-run once it has finished" in capsys.readouterr().err
    assert main(["jobs", "rerun", done.id]) == 0
    assert Services(settings).store.get(done.id).state is JobState.QUEUED
    assert main(["jobs", "delete", queued.id]) == 0
    assert Services(settings).store.get(queued.id) is None
