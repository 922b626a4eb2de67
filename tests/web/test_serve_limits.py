"""`lifestream serve` with its embedded worker, while jobs crash and recordings are too long.

A recording whose pipeline process dies of SIGILL uses up its attempts and fails, announced once in
its Slack thread with a Retry button, while the server keeps answering /healthz, Slack and the API;
Retry starts the count again. Recordings over LIFESTREAM_MAX_DURATION are refused where they come in
(a Slack share, an API upload) and, for a job that came in some other way, by the worker.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.workers.execute import execute_job
from lifestream.workers.jobstore import JobState
from lifestream.workers.submit import submit_file
from tests.bots.test_slack_bot import CHANNEL, SECRET, USER, Bot
from tests.doubles.slack import BOT_TOKEN, SlackDouble
from tests.support.web_server import start_server, stop_server

MAX_DURATION = 20


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("serve-limits")
    with SlackDouble() as slack:
        slack.memberships[USER] = [CHANNEL]
        server = start_server(
            data_dir, ["W"],
            LIFESTREAM_SLACK_BOT_TOKEN=BOT_TOKEN, LIFESTREAM_SLACK_SIGNING_SECRET=SECRET,
            LIFESTREAM_SLACK_API_URL=slack.base_url, LIFESTREAM_FETCH_ALLOW_NETWORKS='["127.0.0.1/32"]',
            LIFESTREAM_TEST_CRASH="asr:ill", LIFESTREAM_MAX_ATTEMPTS="3", LIFESTREAM_MAX_DURATION=str(MAX_DURATION),
            LIFESTREAM_JOB_RETRY_MIN_BACKOFF_MS="200", LIFESTREAM_JOB_RETRY_MAX_BACKOFF_MS="1000",
            LIFESTREAM_ASR_MODEL="tiny.en", LIFESTREAM_DIARIZATION_BACKEND="none")
        try:
            yield server, Bot(server.url, slack, data_dir)
        finally:
            stop_server(server)


class Heartbeat(threading.Thread):
    """Asks /healthz and Slack's endpoint every 0.2 s; remembers every answer that was not a 200."""

    def __init__(self, url: str, bot: Bot) -> None:
        super().__init__(daemon=True)
        self.url, self.bot, self.beats, self.misses = url, bot, 0, []
        self._halt = threading.Event()

    def run(self) -> None:
        challenge = json.dumps({"type": "url_verification", "challenge": "still-there", "token": "x"})
        while not self._halt.wait(0.2):
            try:
                health = urllib.request.urlopen(f"{self.url}/healthz", timeout=5).status
                slack = self.bot.post(challenge, "application/json")
            except OSError as exc:
                health, slack = repr(exc), None
            self.beats += 1
            if (health, slack) != (200, 200):
                self.misses.append((health, slack))

    def stop(self) -> None:
        self._halt.set()
        self.join(10)


def _clip(sample_wav: Path, folder: Path, seconds: float) -> Path:
    clip = folder / f"standup-{seconds:.0f}s.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(sample_wav), "-t", str(seconds),
                    str(clip)], check=True)
    return clip


def _failures(bot: Bot, ts: str) -> list[dict]:
    return [m for m in bot.slack.thread(CHANNEL, ts)
            if any(b.get("block_id") == "failed_actions" for b in m.get("blocks") or [])]


def test_a_crashing_job_fails_after_its_attempts_and_the_server_keeps_answering(service, sample_wav, tmp_path):
    server, bot = service
    pid = server.proc.pid
    heartbeat = Heartbeat(server.url, bot)
    heartbeat.start()
    try:
        clip = _clip(sample_wav, tmp_path, 8)
        ts = bot.share_file(bot.slack.add_file("F-crash", clip, "audio/wav"))
        failures = server.wait_for(lambda: _failures(bot, ts), 240, "the failure in the thread")
        time.sleep(2)  # a second announcement or a fourth attempt, if there were one, would come now
        failures = _failures(bot, ts)
        assert len(failures) == 1
        text = failures[0]["blocks"][0]["text"]["text"]
        assert ("processing crashed: signal 4 (illegal instruction) in asr (gave up after 3 attempts)" in text
                and "Retrying may help" in text)
        retry = [e for b in failures[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert [e["action_id"] for e in retry] == ["retry_job"]
        store = Services(Settings(data_dir=server.data_dir)).store
        job = store.get(retry[0]["value"])
        assert job.state is JobState.FAILED and job.attempts == 3

        # Retry: the count starts again, so the job gets 3 more attempts (and fails again, announced again).
        assert bot.click("retry_job", job.id, failures[0]) == 200
        server.wait_for(lambda: len(_failures(bot, ts)) == 2, 240, "the retried job to fail again")
        assert store.get(job.id).attempts == 3
    finally:
        heartbeat.stop()
    assert server.proc.poll() is None and server.proc.pid == pid  # never restarted: it never died
    assert heartbeat.beats > 10 and heartbeat.misses == []


def test_a_recording_over_the_cap_is_refused_when_shared(service, sample_wav):
    server, bot = service
    ts = bot.share_file(bot.slack.add_file("F-long", sample_wav, "audio/wav"))
    status = server.wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if ":warning:" in m.get("text", "")],
                             60, "the refusal in the thread")
    assert ("I can't process *sample.wav*: sample.wav is 30 s long; recordings of up to 20 s are accepted."
            in status[0]["text"])
    assert all(j.source_name != "sample.wav" for j in Services(Settings(data_dir=server.data_dir)).store.list())


def test_an_api_upload_over_the_cap_is_refused_at_confirm(service, sample_wav):
    server, _ = service
    token = server.tokens["W"]
    ticket = server.request("POST", "/api/v1/upload/presigned-url", token=token,
                            json_body={"filename": "allhands.wav", "size": sample_wav.stat().st_size}).json()
    assert server.request("PUT", ticket["upload_url"], body=sample_wav.read_bytes(),
                          headers=ticket.get("headers") or {}).status == 200
    refused = server.request("POST", "/api/v1/upload/confirm", token=token,
                             json_body={"upload_token": ticket["upload_token"]})
    assert refused.status == 413
    assert refused.json()["error"] == ("allhands.wav is 30 s long; recordings of up to 20 s are accepted. "
                                       "It was discarded.")
    assert server.request("GET", f"/api/v1/status/{ticket['job_id']}", token=token).status == 404
    assert not list((server.data_dir / "uploads").rglob("allhands.wav"))


def test_the_worker_refuses_a_recording_over_the_cap_that_came_in_another_way(settings, sample_wav):
    # `lifestream process --async` or a job queued before the cap was lowered: the worker checks again.
    settings = settings.model_copy(update={"max_duration": float(MAX_DURATION)})
    services = Services(settings)
    store = services.store
    job = submit_file(sample_wav, services=services).job
    with pytest.raises(Exception, match="sample.wav is 30 s long; recordings of up to 20 s are accepted."):
        execute_job(job.id, services=services)
    failed = store.get(job.id)
    assert failed.state is JobState.FAILED and failed.attempts == 1 and failed.retryable is False
