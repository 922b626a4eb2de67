"""No minutes are lost and none are posted twice (issue 14.8), against the Slack double answering 500s and
dropping connections: the real notifier and job store in process, then `lifestream serve` end to end."""

from __future__ import annotations

import io
import json
import re
import time

import pytest

from lifestream.bot.slack.blocks import fallback_text, minutes_blocks
from lifestream.bot.slack.notify import SlackNotifier
from lifestream.links import meeting_link
from lifestream.origin import SlackOrigin
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.workers.hooks import JobEvents
from lifestream.workers.jobstore import Job, job_id_for
from tests.bots.test_slack_blocks import big_meeting
from tests.doubles.slack import BOT_TOKEN, TEAM, SlackDouble
from tests.support.loopback import start_serve, stop_serve, wait_for

CHANNEL = "C100"


@pytest.fixture
def slack():
    with SlackDouble() as double:
        yield double


@pytest.fixture
def services(tmp_path, slack):
    services = Services(Settings(data_dir=tmp_path / "data", slack_bot_token=BOT_TOKEN,
                                 slack_api_url=slack.base_url, public_url="http://127.0.0.1:1"))
    yield services
    services.close()


def failing(method: str, *, after: int, times: int):
    """A fault plan: ``method`` works ``after`` times, then fails ``times`` times in a row (500 and drops)."""
    calls = {"n": 0}

    def fault(name: str, args: dict) -> str | None:
        if name != method:
            return None
        calls["n"] += 1
        if after < calls["n"] <= after + times:
            return "500" if calls["n"] % 2 else "drop"
        return None

    return fault


def finished_job(services: Services, slack: SlackDouble, content: str, *, failed: bool = False,
                 status_ts: str | None = None) -> Job:
    thread_ts = slack.next_ts()
    slack.messages[CHANNEL].append({"ts": thread_ts, "user": "U1", "text": "", "files": []})
    key = f"sha256:{content}"
    job, _ = services.store.create(Job(id=job_id_for(key), storage_key=f"uploads/{content}.mp4",
                                       idempotency_key=key, source_name="allhands.mp4",
                                       origin=SlackOrigin(workspace=TEAM, conversation=CHANNEL,
                                                          thread_ts=thread_ts, status_ts=status_ts)))
    services.store.claim(job.id, "w", 30)
    if failed:
        return services.store.fail(job.id, "w", "no speech was found", retryable=False)
    meeting = big_meeting()
    services.storage.put(job.result_prefix + "meeting.json", io.BytesIO(meeting.model_dump_json().encode()))
    return services.store.complete(job.id, "w")


def unsigned(blocks: list[dict]) -> str:
    return re.sub(r"exp=\d+&(amp;)?sig=[0-9a-f]+", "", json.dumps(blocks))


def bot_messages(slack: SlackDouble, job: Job) -> list[dict]:
    assert isinstance(job.origin, SlackOrigin)
    return [m for m in slack.thread(CHANNEL, job.origin.thread_ts or "") if m.get("user") == "UBOT"]


def test_minutes_that_fail_half_way_resume_without_reposting(services, slack):
    job = finished_job(services, slack, "halfway")
    meeting = big_meeting()
    expected = minutes_blocks(meeting, link=meeting_link(services.settings, meeting.meeting_id), job_id=job.id)
    assert len(expected) >= 2
    events = JobEvents([SlackNotifier(services)])
    # The second message meets more 500s and dropped connections than the client retries: the announcement
    # fails half way, is not marked announced, and gives its lease back.
    slack.fault = failing("chat.postMessage", after=1, times=5)
    assert events.announce(services.store, job.id) is False
    assert [unsigned(m["blocks"]) for m in bot_messages(slack, job)] == [unsigned(expected[0])]
    assert not services.store.get(job.id).completion_announced
    assert [j.id for j in services.store.unannounced()] == [job.id]
    assert len(slack.faults) == 5  # the client tried 5 times (4 retries) before giving up
    # Slack is back: the next try carries on after the message already posted.
    slack.fault = None
    assert events.announce_pending(services.store) == 1
    posted = bot_messages(slack, job)
    # every message once, in order, the first not reposted (the signed links' expiry moves on: not compared)
    assert [unsigned(m["blocks"]) for m in posted] == [unsigned(blocks) for blocks in expected]
    assert all(m["text"] == fallback_text(meeting) for m in posted)
    assert services.store.get(job.id).completion_announced
    assert events.announce_pending(services.store) == 0
    assert len(bot_messages(slack, job)) == len(expected)


def test_retries_ride_out_500s_and_dropped_connections(services, slack):
    job = finished_job(services, slack, "bumpy")
    slack.fault = failing("chat.postMessage", after=0, times=3)  # fewer than the retries
    assert JobEvents([SlackNotifier(services)]).announce(services.store, job.id) is True
    assert {f for _, f in slack.faults} == {"500", "drop"}
    assert len(bot_messages(slack, job)) == len(minutes_blocks(big_meeting(), link="x", job_id=job.id))


def test_a_failure_notice_is_posted_once_even_if_slack_fails_first(services, slack):
    job = finished_job(services, slack, "broken", failed=True)
    events = JobEvents([SlackNotifier(services)])
    slack.fault = failing("chat.postMessage", after=0, times=5)
    assert events.announce(services.store, job.id) is False
    assert bot_messages(slack, job) == []
    slack.fault = None
    assert events.announce_pending(services.store) == 1
    assert events.announce_pending(services.store) == 0
    notices = bot_messages(slack, job)
    assert len(notices) == 1 and "no speech was found" in notices[0]["text"]


def test_a_notice_posted_before_its_announcement_was_cut_short_is_not_posted_again(services, slack):
    status_ts = slack.next_ts()
    job = finished_job(services, slack, "cut", failed=True, status_ts=status_ts)
    slack.messages[CHANNEL].append({"ts": status_ts, "thread_ts": job.origin.thread_ts, "user": "UBOT", "text": "…"})
    events = JobEvents([SlackNotifier(services)])
    slack.fault = failing("chat.update", after=0, times=5)  # the status edit after the notice fails for good
    assert events.announce(services.store, job.id) is False
    slack.fault = None
    assert events.announce_pending(services.store) == 1
    messages = bot_messages(slack, job)
    assert [m["text"] for m in messages if "couldn't process" in m["text"]] == [
        "I couldn't process allhands.mp4: no speech was found"]
    assert any(m["ts"] == status_ts and "failed." in m["text"] for m in messages)


# --- end to end: `lifestream serve`, several recordings, Slack failing at a seeded rate


def share(url: str, slack: SlackDouble, file: dict, n: int) -> str:
    from tests.bots.test_slack_bot import Bot

    ts = slack.next_ts()
    slack.messages[CHANNEL].append({"ts": ts, "user": "U1", "text": "", "files": [file]})
    bot = Bot(url, slack, None)  # type: ignore[arg-type]
    assert bot.event({"type": "message", "subtype": "file_share", "channel": CHANNEL, "user": "U1", "ts": ts,
                      "text": "", "files": [file], "channel_type": "channel"}, event_id=f"EvChaos{n}") == 200
    return ts


def test_under_chaos_every_recording_gets_its_minutes_or_its_failure_exactly_once(tmp_path, sample_wav,
                                                                                  sample_video):
    from tests.bots.test_slack_bot import SECRET
    from tests.support.media import silent_audio

    started = time.monotonic()
    (tmp_path / "data").mkdir()
    with SlackDouble() as slack:
        slack.memberships["U1"] = [CHANNEL]
        slack.chaos({"chat.postMessage"}, rate=0.3, seed=14)
        chaos, burst = slack.fault, {"left": 6}

        def fault(method: str, args: dict) -> str | None:
            # and the minutes' first try meets more faults in a row than the client retries: the announcement
            # fails, and the worker's recovery loop takes it over later
            if method == "chat.postMessage" and "header" in json.dumps(args.get("blocks")) and burst["left"]:
                burst["left"] -= 1
                return "500" if burst["left"] % 2 else "drop"
            return chaos(method, args) if chaos else None

        slack.fault = fault
        proc, url = start_serve(tmp_path / "data", {
            "LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_SIGNING_SECRET": SECRET,
            "LIFESTREAM_SLACK_API_URL": slack.base_url})
        try:
            files = [slack.add_file("FW", sample_wav, "audio/wav"), slack.add_file("FV", sample_video, "video/mp4")]
            files += [slack.add_file(f"FQ{n}", silent_audio(tmp_path / f"quiet{n}.wav", seconds=3 + n), "audio/wav")
                      for n in range(3)]  # no speech: each fails, and says so
            threads = {file["id"]: share(url, slack, file, n) for n, file in enumerate(files)}

            def replies(ts: str) -> list[dict]:
                return [m for m in slack.thread(CHANNEL, ts) if m["ts"] != ts]

            def settled() -> bool:  # the minutes, or the failure, posted and the status message edited last
                return all(any(("Minutes of" in m["text"] or "failed." in m["text"]) for m in replies(ts))
                           for ts in threads.values())

            wait_for(settled, 600, "every recording's minutes or failure")
            time.sleep(3)  # anything that would be posted twice has had the time to be
        finally:
            stop_serve(proc)
        log = (tmp_path / "data" / "serve.log").read_text()
        cut_short = log.count("failed on completed")  # announcements that failed and were taken over later
        assert cut_short >= 1, log[-3000:]
        for file_id in ("FW", "FV"):
            minutes = [m for m in replies(threads[file_id]) if m.get("blocks") and m["blocks"][0]["type"] == "header"]
            assert len(minutes) == 1, json.dumps(replies(threads[file_id]))[:2000]
            assert "Action items" in json.dumps(minutes[0]["blocks"])
        keyframes = [u for u in slack.uploads if u["thread_ts"] == threads["FV"] and u["data"]]
        assert 1 <= len(keyframes) <= 2  # the video's pictures, once each
        for n in range(3):
            notices = [m for m in replies(threads[f"FQ{n}"]) if "couldn't process" in m["text"]]
            assert len(notices) == 1 and "no speech was found" in notices[0]["text"]
        posts = [a for a in slack.calls_to("chat.postMessage")]
        assert len(posts) == len({json.dumps(a, sort_keys=True) for a in posts})  # nothing posted twice
        assert burst["left"] == 0 and len(slack.faults) > 6, "the chaos injected no fault"
        print(f"chaos: {len(files)} recordings, {len(slack.faults)} faults injected "
              f"({sum(f == 'drop' for _, f in slack.faults)} dropped connections), "
              f"{len(posts)} messages posted, {cut_short} announcements resumed, 0 lost, 0 duplicated, {time.monotonic() - started:.0f} s")
