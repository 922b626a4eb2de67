"""A long recording's early minutes (issue 16.4): while its later segments are still worked on, the minutes of
its start are posted in the chat thread; the whole minutes then take that message's place.

A real fanned-out job (the holder works every segment, as one worker alone does) from real meeting-room
speech, with the real Slack notifier posting to the Slack double over loopback."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import re
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape

from lifestream import meetings
from lifestream.bot.slack.blocks import minutes_blocks, preview_blocks
from lifestream.bot.slack.notify import PREVIEW_FILE, SlackNotifier
from lifestream.errors import MediaError
from lifestream.links import meeting_link, sign
from lifestream.models import Meeting
from lifestream.origin import SlackOrigin
from lifestream.server import build_app
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import fanout_prefix
from lifestream.timefmt import clock
from lifestream.workers.execute import execute_job
from lifestream.workers.fanout import load_preview
from lifestream.workers.hooks import JobEvent, JobEvents
from lifestream.workers.jobstore import JobState
from lifestream.workers.submit import submit_file
from tests.bots.test_slack_delivery import CHANNEL, finished_job
from tests.doubles.slack import BOT_TOKEN, TEAM, SlackDouble
from tests.jobs.test_fanout import long_meeting  # noqa: F401  (fixture)


@pytest.fixture
def slack():
    with SlackDouble() as double:
        yield double


def _services(data_dir: Path, slack: SlackDouble, **changes) -> Services:
    return Services(Settings(data_dir=data_dir, asr_model="tiny.en", asr_beam_size=1, llm_enabled=False,
                             guess_speaker_names=False, slack_bot_token=BOT_TOKEN, slack_api_url=slack.base_url,
                             public_url="http://127.0.0.1:1", fanout_seconds=90, asr_window_seconds=60,
                             chunk_seconds=45, **changes))


def _unsigned(blocks: list[dict]) -> str:
    return re.sub(r"exp=\d+&(amp;)?sig=[0-9a-f]+", "", json.dumps(blocks))


def _words(meeting: Meeting) -> list[str]:
    return [w.text for w in meeting.transcript.words] if meeting.transcript else []


def _page(services: Services, job_id: str) -> str:
    """The meeting's web page, as the bot's link opens it, from the app served on loopback."""
    async def get() -> str:
        async with TestClient(TestServer(build_app(services), host="127.0.0.1")) as client:
            exp = int(time.time()) + 600
            reply = await client.get(f"/meetings/{job_id}", params={"exp": exp, "sig": sign(services.settings, job_id, exp)})
            assert reply.status == 200
            return await reply.text()
    return asyncio.run(get())


def _job(services: Services, slack: SlackDouble, recording: Path):
    thread_ts = slack.next_ts()
    slack.messages[CHANNEL].append({"ts": thread_ts, "user": "U1", "text": "", "files": []})
    origin = SlackOrigin(workspace=TEAM, conversation=CHANNEL, thread_ts=thread_ts)
    return submit_file(recording, services=services, origin=origin).job


def test_the_start_of_a_long_recording_is_posted_early_then_replaced_by_the_whole(tmp_path, slack,
                                                                                  long_meeting):  # noqa: F811
    services = _services(tmp_path / "data", slack)
    seen: list[tuple[Meeting | None, list[dict]]] = []
    pages: list[str] = []

    def watch(event: JobEvent) -> None:  # what the thread shows when the early minutes come
        if event.kind == "preview":
            preview = load_preview(services.storage, event.job.id, tmp_path)
            posted = [m for m in slack.messages[CHANNEL] if m.get("user") == "UBOT"]
            seen.append((preview, copy.deepcopy(posted)))  # as they are now: the whole minutes edit them later
            pages.append(_page(services, event.job.id))

    services.events.subscribe(SlackNotifier(services))
    services.events.subscribe(watch)
    try:
        job = _job(services, slack, long_meeting)
        done = execute_job(job.id, services=services)
        assert done is not None and done.state is JobState.COMPLETED, done and done.reason
        final = meetings.load(services.storage, job.result_prefix)
    finally:
        services.close()

    # Once, from the first segment: its words are the start of the whole recording's, word for word.
    (preview, thread), = seen
    assert preview is not None and preview.minutes is not None and preview.transcript is not None
    covered = preview.transcript.duration
    assert 45 <= covered < final.source.duration - 30 and preview.source.duration == final.source.duration
    early_words = _words(preview)
    assert len(early_words) >= 25 and early_words == _words(final)[:len(early_words)]
    assert preview.chunk_minutes and all(c.end <= covered + 1e-3 for c in preview.chunk_minutes)
    assert len(preview.speakers) >= 2  # that stretch's own clustering: real people, not one
    (early_message,) = thread
    assert early_message["text"].startswith("Early minutes: ")
    assert _unsigned(early_message["blocks"]) == _unsigned(preview_blocks(preview))
    assert f"of the first {clock(covered)} of {clock(final.source.duration)}" in json.dumps(early_message["blocks"])
    # The meeting's page shows them too, under what is still being done; nothing to download or ask yet.
    (page,) = pages
    assert f"Early minutes of the first {clock(covered)} of {clock(final.source.duration)}. This recording is " \
           "being processed: " in page
    assert str(escape(preview.minutes.title)) in page and 'id="summary"' in page and 'id="transcript"' in page
    assert 'id="downloads"' not in page and 'id="ask"' not in page

    # Then the whole minutes, the first of their messages in the early minutes' place: nothing early is left.
    expected = minutes_blocks(final, link=meeting_link(services.settings, final.meeting_id), job_id=job.id)
    posted = [m for m in slack.messages[CHANNEL] if m.get("user") == "UBOT"]
    assert posted[0]["ts"] == early_message["ts"]
    assert [_unsigned(m["blocks"]) for m in posted] == [_unsigned(b) for b in expected]
    assert "Early minutes" not in json.dumps(posted)
    assert services.storage.list(fanout_prefix(job.id)) == []
    assert services.storage.stat(job.result_prefix + PREVIEW_FILE) is None


def test_no_early_minutes_when_they_are_turned_off(tmp_path, slack, long_meeting):  # noqa: F811
    services = _services(tmp_path / "data", slack, early_minutes=False)
    services.events.subscribe(SlackNotifier(services))
    try:
        job = _job(services, slack, long_meeting)
        assert execute_job(job.id, services=services).state is JobState.COMPLETED
    finally:
        services.close()
    assert not [c for c in slack.calls_to("chat.postMessage") if c.get("text", "").startswith("Early minutes")]


def test_minutes_are_posted_anew_when_the_early_message_is_gone(tmp_path, slack):
    services = Services(Settings(data_dir=tmp_path / "data", slack_bot_token=BOT_TOKEN,
                                 slack_api_url=slack.base_url, public_url="http://127.0.0.1:1"))
    try:
        job = finished_job(services, slack, "deleted-early")
        # the early minutes were posted, then someone deleted that message
        services.storage.put(job.result_prefix + PREVIEW_FILE,
                             io.BytesIO(json.dumps({"channel": CHANNEL, "ts": "1.999999"}).encode()))
        assert JobEvents([SlackNotifier(services)]).announce(services.store, job.id) is True
        meeting = meetings.load(services.storage, job.result_prefix)
        thread = slack.thread(CHANNEL, job.origin.thread_ts)
        posted = [m for m in thread if m.get("user") == "UBOT"]
        assert len(posted) == len(minutes_blocks(meeting, link="x", job_id=job.id))
        assert services.storage.stat(job.result_prefix + PREVIEW_FILE) is None
    finally:
        services.close()


def test_early_minutes_say_so_when_the_rest_fails_and_a_retry_replaces_them(tmp_path, slack, long_meeting,  # noqa: F811
                                                                           monkeypatch):
    """A job that fails after its early minutes leaves no promise in the thread that the whole minutes are
    coming: the early message says it is all there is, under it the failure says why; a retry that succeeds
    puts the whole minutes in the early message's place."""
    services = _services(tmp_path / "data", slack)
    services.events.subscribe(SlackNotifier(services))
    join = services.pipelines.run

    def join_fails(*args, **kwargs):  # the segments were worked and the early minutes made; then the join fails
        raise MediaError("the recording's audio ends before its stated length.")

    try:
        job = _job(services, slack, long_meeting)
        monkeypatch.setattr(services.pipelines, "run", join_fails)
        with pytest.raises(MediaError):
            execute_job(job.id, services=services)
        assert services.store.get(job.id).state is JobState.FAILED
        early, failure = [m for m in slack.messages[CHANNEL] if m.get("user") == "UBOT"]
        preview = load_preview(services.storage, job.id, tmp_path)
        assert preview is not None
        assert _unsigned(early["blocks"]) == _unsigned(preview_blocks(preview, failed=True))
        shown = json.dumps(early["blocks"])
        assert "only: the rest of the recording could not be processed" in shown and "will replace them" in shown
        assert "ends before its stated length" in json.dumps(failure["blocks"])
        page = _page(services, job.id)
        assert f"Early minutes of the first {clock(preview.transcript.duration)} of " \
               f"{clock(preview.source.duration)} only. Processing failed: the recording" in page
        assert str(escape(preview.minutes.title)) in page and 'http-equiv="refresh"' not in page

        monkeypatch.setattr(services.pipelines, "run", join)
        assert services.store.reset_for_retry(job.id) is not None
        assert execute_job(job.id, services=services).state is JobState.COMPLETED
        final = meetings.load(services.storage, job.result_prefix)
    finally:
        services.close()
    posted = [m for m in slack.messages[CHANNEL] if m.get("user") == "UBOT"]
    assert posted[0]["ts"] == early["ts"] and posted[1]["ts"] == failure["ts"]
    assert "Early minutes" not in json.dumps(posted)
    expected = minutes_blocks(final, link=meeting_link(services.settings, final.meeting_id), job_id=job.id)
    assert _unsigned(posted[0]["blocks"]) == _unsigned(expected[0])
