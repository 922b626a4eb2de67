"""Background jobs end to end: real workers (subprocesses), real brokers, the real pipeline.

- Redis: a worker is killed with SIGKILL in the middle of a job; after a restart
  the job completes, its results are written once and announced once.
- Embedded (no server): a bad recording fails at once and is not retried; a
  transient failure (the minutes model down) is retried with backoff, then fails, then is retried by
  hand, each retry resuming after the first attempt's transcript and speaker turns.
- SQS + S3 + DynamoDB (moto's server): the whole cloud configuration.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from dramatiq.middleware.time_limit import TimeLimitExceeded

from lifestream import meetings
from lifestream.cli import main
from lifestream.errors import MediaError, TransientError
from lifestream.origin import ApiOrigin, SlackOrigin
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.workers import policy
from lifestream.workers.broker import build_broker, send_job
from lifestream.workers.execute import execute_job
from lifestream.workers.hooks import JobEvent
from lifestream.workers.jobstore import JobState
from lifestream.workers.recovery import JobRecovery
from lifestream.workers.submit import submit_file
from tests.doubles.llm import LlmDouble
from tests.support.servers import aws_env, hook_events, make_bucket, moto_url, redis_url, unique  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[2]
RESULT_FILES = {"minutes.md", "meeting.json", "transcript.vtt", "transcript.srt"}


@pytest.fixture
def configure(tmp_path, monkeypatch):
    """Settings for this test, as env vars too (for worker subprocesses and the CLI)."""

    def make(**env: Any) -> Settings:
        env = {"LIFESTREAM_DATA_DIR": str(tmp_path / "data"), **{k: str(v) for k, v in env.items()}}
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return Settings()

    return make


class Worker:
    """`lifestream worker` in a subprocess, with the test hook that logs job events to the data dir."""

    def __init__(self, log: Path, *extra: str) -> None:
        self.log_path = log
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lifestream", "-v", "worker", "--hook", "tests.support.servers:record_job_event", *extra],
            cwd=REPO, env=dict(os.environ), stdout=self._log, stderr=subprocess.STDOUT)
        wait_for(lambda: "lifestream worker: ready" in self.output(), 90, "the worker to start", self)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self._log.close()


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(log: Path, *extra: str) -> Worker:
        started.append(Worker(log, *extra))
        return started[-1]

    yield start
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait(timeout=30)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, worker: Worker | None = None,
             interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.proc.poll() is not None:
            break
        time.sleep(interval)
    detail = f"\n--- worker log ---\n{worker.output()[-4000:]}" if worker else ""
    raise AssertionError(f"timed out waiting for {what}{detail}")


def wait_completed(store, job_id: str, timeout: float, what: str, worker: Worker):
    """Wait for COMPLETED; a job that fails instead stops the wait at once, with its reason."""

    def check():
        job = store.get(job_id)
        assert job.state is not JobState.FAILED, f"{what}: the job failed: {job.reason}\n{worker.output()[-4000:]}"
        return job if job.state is JobState.COMPLETED else None

    try:
        return wait_for(check, timeout, what, worker)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\njob: {store.get(job_id)!r}") from None


def result_files(settings: Settings, job_id: str) -> set[str]:
    folder = settings.results_dir / job_id
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


# --- with real workers and brokers


def test_worker_killed_mid_job_completes_once(configure, workers, redis_url, sample_wav, tmp_path):  # noqa: F811
    settings = configure(LIFESTREAM_BROKER_URL=redis_url, LIFESTREAM_JOB_LEASE_SECONDS=3)
    services = Services(settings)
    store = services.store
    job = submit_file(sample_wav, services=services, origin=SlackOrigin(workspace="T1", conversation="C1")).job

    first = workers(tmp_path / "worker1.log")
    wait_for(lambda: (j := store.get(job.id)).state is JobState.PROCESSING and j.stage in ("asr", "diarization"),
             120, "the job to reach ASR", first)
    first.kill()
    held = store.get(job.id)
    assert held.state is JobState.PROCESSING and held.attempts == 1  # the dead worker's lease still holds it
    assert result_files(settings, job.id) == set()

    second = workers(tmp_path / "worker2.log")
    done = wait_completed(store, job.id, 180, "the job to complete after the restart", second)
    # The announcement follows the completion by a moment (another compare-and-set, then the hook).
    events = wait_for(lambda: hook_events(settings.data_dir), 10, "the completion to be announced", second)
    assert done.attempts == 2 and done.origin.channel == "C1"
    # Marked announced only once everything is posted, i.e. just after the hook has written its event.
    wait_for(lambda: store.get(job.id).completion_announced, 10, "the completion to be marked announced", second)
    assert result_files(settings, job.id) == RESULT_FILES
    assert list((settings.data_dir / "tmp").iterdir()) == []  # both attempts' scratch folders are gone
    meeting_json = settings.results_dir / job.id / "meeting.json"
    written = meeting_json.stat().st_mtime_ns
    assert events == [{"kind": "completed", "job": job.id, "pid": second.proc.pid}]

    # The message the killed worker held comes back one day (Redis requeues a dead worker's
    # unacked messages); a duplicate now must change nothing.
    send_job(build_broker(settings), settings, job.id, None)
    wait_for(lambda: "already completed; duplicate message ignored" in second.output(), 30,
             "the duplicate message", second)
    assert meeting_json.stat().st_mtime_ns == written
    assert store.get(job.id).attempts == 2
    assert hook_events(settings.data_dir) == events
    assert second.stop() == 0


def test_bad_media_fails_at_once_and_is_not_retried(configure, workers, tmp_path):
    settings = configure(LIFESTREAM_MAX_ATTEMPTS=3, LIFESTREAM_JOB_RETRY_MIN_BACKOFF_MS=100)
    bad = tmp_path / "standup.mp4"
    bad.write_text("this is a text file, not a video\n")
    services = Services(settings)
    store = services.store
    job = submit_file(bad, services=services).job  # embedded broker: the worker picks it up from the job store
    assert job.duration is None

    worker = workers(tmp_path / "worker.log")
    failed = wait_for(lambda: (j := store.get(job.id)).state is JobState.FAILED and j, 60, "the job to fail", worker)
    wait_for(lambda: hook_events(settings.data_dir), 10, "the failure to be announced", worker)
    assert "standup.mp4: not a readable audio or video file" in failed.reason
    assert failed.retryable is False and failed.attempts == 1
    time.sleep(2)  # a retry, if one were (wrongly) scheduled, would be due after 0.1-0.2 s
    assert store.get(job.id).attempts == 1
    assert hook_events(settings.data_dir) == [{"kind": "failed", "job": job.id, "pid": worker.proc.pid}]
    assert worker.stop() == 0


def test_transient_failure_retries_then_fails_then_retries_by_hand(configure, workers, sample_wav, tmp_path,
                                                                    capsys):
    with LlmDouble() as llm:
        # The minutes model is down (HTTP 500, no client retries): a transient failure.
        llm.fail_next_with = [500] * 1000
        settings = configure(LIFESTREAM_MAX_ATTEMPTS=2, LIFESTREAM_JOB_RETRY_MIN_BACKOFF_MS=1000,
                             LIFESTREAM_LLM_BASE_URL=llm.base_url, LIFESTREAM_LLM_MAX_RETRIES=0,
                             LIFESTREAM_GUESS_SPEAKER_NAMES="false")
        assert main(["process", "--async", str(sample_wav)]) == 0
        job_id = capsys.readouterr().out.strip()
        services = Services(settings)
        store = services.store

        worker = workers(tmp_path / "worker.log")
        retrying = wait_for(lambda: (j := store.get(job_id)).state is JobState.QUEUED and j.attempts == 1 and j, 120,
                            "the first attempt to fail", worker)
        # People see a plain reason and a reference; the endpoint's error is in the log.
        plain = r"a service LifeStream depends on is unavailable right now \(ref (?P<ref>[0-9a-f]{8})\)"
        assert re.fullmatch(f"retrying: {plain}", retrying.reason), retrying.reason
        failed = wait_for(lambda: (j := store.get(job_id)).state is JobState.FAILED and j, 120,
                          "the retry to fail too", worker)
        assert failed.attempts == 2 and failed.retryable is True
        assert re.fullmatch(f"{plain} \\(gave up after 2 attempts\\)", failed.reason), failed.reason
        ref = re.search(r"ref (?P<ref>[0-9a-f]{8})", failed.reason)["ref"]
        assert [line for line in worker.output().splitlines() if f"ref {ref}" in line and "minutes model" in line]
        assert failed.started_at - retrying.updated_at >= 0.99  # the retry waited out its backoff (1-2 s)

        llm.fail_next_with.clear()  # the model is back
        assert main(["jobs", "retry", job_id]) == 0
        done = wait_completed(store, job_id, 120, "the retried job to complete", worker)
    assert done.attempts == 1 and result_files(settings, job_id) == RESULT_FILES  # a manual retry counts anew
    # Neither the automatic retry nor the manual one transcribed or diarized again (the first attempt's checkpoints).
    assert sorted(meetings.load(services.storage, done.result_prefix).resumed) == ["asr", "diarization"]
    wait_for(lambda: len(hook_events(settings.data_dir)) >= 2, 10, "the completion to be announced", worker)
    assert [e["kind"] for e in hook_events(settings.data_dir)] == ["failed", "completed"]

    capsys.readouterr()
    assert main(["jobs", "list"]) == 0
    listing = capsys.readouterr().out
    assert job_id in listing and "completed" in listing
    assert main(["jobs", "retry", job_id]) == 2
    assert "only failed or cancelled jobs can be retried" in capsys.readouterr().err
    assert worker.stop() == 0


def test_cancel_stops_a_running_job(configure, workers, sample_wav, tmp_path, capsys):
    settings = configure(LIFESTREAM_JOB_LEASE_SECONDS=3)
    services = Services(settings)
    store = services.store
    job = submit_file(sample_wav, services=services).job
    worker = workers(tmp_path / "worker.log")
    wait_for(lambda: store.get(job.id).stage in ("asr", "diarization"), 120, "the job to reach ASR", worker)
    assert main(["jobs", "cancel", job.id]) == 0
    wait_for(lambda: "it is no longer ours" in worker.output(), 60, "the worker to stop the job", worker)
    cancelled = store.get(job.id)
    assert cancelled.state is JobState.CANCELLED and cancelled.attempts == 1
    assert result_files(settings, job.id) == set()  # nothing published for a cancelled job
    assert hook_events(settings.data_dir) == []
    capsys.readouterr()
    assert main(["jobs", "cancel", job.id]) == 2
    assert "only queued or processing jobs can be cancelled" in capsys.readouterr().err
    assert worker.stop() == 0


def test_cloud_stack_sqs_s3_dynamodb(configure, workers, moto_url, sample_video, tmp_path):  # noqa: F811
    bucket = unique("lifestream")
    make_bucket(moto_url, bucket)
    settings = configure(LIFESTREAM_BROKER_URL=f"sqs://{unique('jobs')}", LIFESTREAM_SQS_ENDPOINT_URL=moto_url,
                         LIFESTREAM_S3_BUCKET=bucket, LIFESTREAM_S3_ENDPOINT_URL=moto_url,
                         LIFESTREAM_JOBS_TABLE=unique("jobs"), LIFESTREAM_DYNAMODB_ENDPOINT_URL=moto_url)
    services = Services(settings)
    store, storage = services.store, services.storage
    worker = workers(tmp_path / "worker.log")  # creates the SQS queue and its dead-letter queue
    sub = submit_file(sample_video, services=services, origin=ApiOrigin(workspace="W1", conversation="19:abc"))
    assert sub.created and storage.stat(sub.job.storage_key).size == sample_video.stat().st_size
    done = wait_completed(store, sub.job.id, 180, "the job to complete", worker)
    keys = {o.key.removeprefix(done.result_prefix) for o in storage.list(done.result_prefix)}
    assert RESULT_FILES <= keys and any(k.startswith("keyframes/") and k.endswith(".jpg") for k in keys)
    assert not list((settings.data_dir / "tmp").iterdir())  # scratch space cleaned up
    assert not (settings.results_dir).exists()  # results went to S3, not the local folder
    events = wait_for(lambda: hook_events(settings.data_dir), 10, "the completion to be announced", worker)
    assert events == [{"kind": "completed", "job": done.id, "pid": worker.proc.pid}]
    again = submit_file(sample_video, services=services, origin=ApiOrigin(workspace="W1", conversation="19:abc"))
    assert not again.created and again.job.id == done.id and again.minutes.startswith("# ")
    assert worker.stop() == 0


def _clip(sample_wav: Path, folder: Path, seconds: float = 8.0) -> Path:
    """A few seconds of the real sample: a crash test needs the stages to start, not the whole recording."""
    clip = folder / "clip.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(sample_wav), "-t", str(seconds),
                    str(clip)], check=True)
    return clip


# The quickest real pipeline, and attempts that follow each other fast.
_CRASH_SETTINGS = {"LIFESTREAM_ASR_MODEL": "tiny.en", "LIFESTREAM_DIARIZATION_BACKEND": "none",
                   "LIFESTREAM_MAX_ATTEMPTS": 3, "LIFESTREAM_JOB_RETRY_MIN_BACKOFF_MS": 200,
                   "LIFESTREAM_JOB_RETRY_MAX_BACKOFF_MS": 1000}


def _crashes_use_up_attempts(settings: Settings, worker: Worker, clip: Path, expected: str, tmp_path: Path) -> None:
    services = Services(settings)
    store = services.store
    job = submit_file(clip, services=services, origin=SlackOrigin(workspace="T1", conversation="C1")).job
    failed = wait_for(lambda: (j := store.get(job.id)).state is JobState.FAILED and j, 180, "the job to fail", worker)
    assert failed.reason == f"{expected} (gave up after 3 attempts)"
    assert failed.attempts == 3 and failed.retryable is True
    wait_for(lambda: hook_events(settings.data_dir), 10, "the failure to be announced", worker)
    time.sleep(1.5)  # a fourth attempt, if one were (wrongly) queued, would start within the backoff
    assert store.get(job.id).attempts == 3
    assert hook_events(settings.data_dir) == [{"kind": "failed", "job": job.id, "pid": worker.proc.pid}]
    # The worker lived through all of it and still takes jobs.
    assert worker.proc.poll() is None
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a recording\n")
    other = submit_file(bad, services=services).job
    wait_for(lambda: store.get(other.id).state is JobState.FAILED, 60, "the next job to be worked", worker)
    assert worker.stop() == 0


def test_sigkilled_pipeline_uses_up_its_attempts_redis(configure, workers, redis_url, sample_wav, tmp_path):  # noqa: F811
    # SIGKILL is what the OOM killer sends: the child dies, the worker goes on, the job is not retried forever.
    settings = configure(LIFESTREAM_BROKER_URL=redis_url, LIFESTREAM_TEST_CRASH="extract:kill", **_CRASH_SETTINGS)
    worker = workers(tmp_path / "worker.log")
    _crashes_use_up_attempts(settings, worker, _clip(sample_wav, tmp_path),
                             "processing was killed: signal 9 (killed; out of memory?) in extract", tmp_path)


def test_segfaulting_pipeline_uses_up_its_attempts_sqs_dynamodb(configure, workers, moto_url, sample_wav,  # noqa: F811
                                                                 tmp_path):
    settings = configure(LIFESTREAM_BROKER_URL=f"sqs://{unique('jobs')}", LIFESTREAM_SQS_ENDPOINT_URL=moto_url,
                         LIFESTREAM_JOBS_TABLE=unique("jobs"), LIFESTREAM_DYNAMODB_ENDPOINT_URL=moto_url,
                         LIFESTREAM_TEST_CRASH="asr:segv", **_CRASH_SETTINGS)
    worker = workers(tmp_path / "worker.log")
    _crashes_use_up_attempts(settings, worker, _clip(sample_wav, tmp_path),
                             "processing crashed: signal 11 (segmentation fault) in asr", tmp_path)


# --- the job function itself, called directly (no broker)


def test_duplicate_submissions_make_one_job(settings, sample_wav):
    import threading

    services = Services(settings)
    first = submit_file(sample_wav, services=services, origin=SlackOrigin(workspace="T1", conversation="C1", user="U1"))
    second = submit_file(sample_wav, services=services, origin=SlackOrigin(workspace="T1", conversation="C1", user="U2"))
    assert first.created and not second.created
    assert second.job.id == first.job.id and second.job.origin == first.job.origin and second.minutes is None

    copy = settings.data_dir.parent / "copy-of-sample.wav"  # same content, another name: same job
    copy.write_bytes(sample_wav.read_bytes())
    assert submit_file(copy, services=services, origin=SlackOrigin(workspace="T1", conversation="C2")).job.id == first.job.id
    # ... within a workspace: another workspace's copy is its own job (lifestream.workspaces keeps them apart).
    assert submit_file(copy, services=services, origin=SlackOrigin(workspace="T2", conversation="C1")).job.id != first.job.id

    other = settings.model_copy(update={"data_dir": settings.data_dir.parent / "other"})
    barrier = threading.Barrier(2)
    results = []

    def submit() -> None:
        barrier.wait()
        # Each thread its own Services (store connection, storage), as two bot processes would have.
        results.append(submit_file(sample_wav, services=Services(other)))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].job.id == results[1].job.id
    assert len(Services(other).store.list()) == 1
    assert len(Services(other).storage.list("uploads/")) == 1


def test_progress_events_and_one_announcement(settings, sample_wav):
    events: list[JobEvent] = []
    services = Services(settings)
    services.events.subscribe(events.append)
    job = submit_file(sample_wav, services=services).job
    done = execute_job(job.id, services=services)
    assert done.state is JobState.COMPLETED and done.percent == 100
    written = (settings.results_dir / job.id / "meeting.json").stat().st_mtime_ns
    assert execute_job(job.id, services=services).attempts == 1  # a duplicate
    assert (settings.results_dir / job.id / "meeting.json").stat().st_mtime_ns == written
    progress = [e.job for e in events if e.kind == "progress"]
    # The stage shown is the one the job waits for: diarization, beside ASR, shows only if it ends after it.
    assert {"probe", "extract", "asr", "align", "chunks", "classify", "minutes", "write"} <= {
        j.stage for j in progress}
    percents = [j.percent for j in progress]
    assert percents == sorted(percents) and percents[0] == 0 and 90 < percents[-1] < 100
    # An ETA once ASR's rate is known (no completed jobs to learn from yet), never in the past when written.
    timed = [j for j in progress if j.eta_at is not None]
    assert timed and timed[0].stage not in ("probe", "extract")
    assert all(j.eta_at >= j.updated_at - 0.5 for j in timed)
    assert [e.kind for e in events if e.kind != "progress"] == ["completed"]
    # The stage timings stay in the record: the next job's estimate learns from them.
    assert {"probe", "extract", "asr", "diarization", "minutes", "write"} <= set(done.stage_seconds)
    assert done.eta_at is None
    resubmitted = submit_file(sample_wav, services=services)
    assert resubmitted.minutes == (settings.results_dir / job.id / "minutes.md").read_text()


def _run_failing(settings: Settings, exc: BaseException, attempt: int = 1):
    """Run a new job ``attempt`` times (each failing as ``exc`` does); the job and what the last one raised."""
    services = Services(settings)
    store = services.store
    bad = settings.data_dir.parent / f"{unique('rec')}.wav"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_bytes(os.urandom(64))
    job = submit_file(bad, services=services).job

    def work(job, ctx):
        raise exc

    for _ in range(attempt - 1):  # the earlier attempts, each retried (the broker's delay is not waited out)
        with pytest.raises(dramatiq.Retry):
            execute_job(job.id, services=services, work=work)
    try:
        execute_job(job.id, services=services, work=work)
    except BaseException as raised:  # noqa: BLE001  (what reaches Dramatiq is the point)
        return store.get(job.id), raised
    raise AssertionError("execute_job swallowed the failure")


def test_failure_policy(settings):
    settings = settings.model_copy(update={"max_attempts": 3, "job_retry_min_backoff_ms": 1000})
    job, raised = _run_failing(settings, TransientError("the LLM endpoint timed out"))
    assert isinstance(raised, dramatiq.Retry) and 1000 <= raised.delay <= 2000
    # An outage is said plainly, with a reference to the logged details (issue 14, item 5).
    assert job.state is JobState.QUEUED
    assert re.fullmatch(r"retrying: a service LifeStream depends on is unavailable right now \(ref [0-9a-f]{8}\)",
                        job.reason), job.reason
    job, raised = _run_failing(settings, ConnectionResetError("peer reset"), attempt=2)
    assert isinstance(raised, dramatiq.Retry) and 2000 <= raised.delay <= 4000  # exponential
    job, raised = _run_failing(settings, TransientError("still down"), attempt=3)  # the last attempt allowed
    assert isinstance(raised, TransientError) and job.state is JobState.FAILED and job.retryable is True
    assert job.attempts == 3 and re.fullmatch(
        r"a service LifeStream depends on is unavailable right now \(ref [0-9a-f]{8}\) \(gave up after 3 attempts\)",
        job.reason), job.reason
    job, raised = _run_failing(settings, MediaError("x.wav: no audio track"))
    assert isinstance(raised, MediaError) and job.state is JobState.FAILED and job.retryable is False
    job, raised = _run_failing(settings, TimeLimitExceeded())
    assert job.state is JobState.FAILED and "time limit" in job.reason
    job, raised = _run_failing(settings, KeyError("speaker"))
    assert job.state is JobState.FAILED and re.fullmatch(r"something went wrong on LifeStream's side \(ref [0-9a-f]{8}\)",
                                                         job.reason), job.reason  # no exception type or text


def test_time_limit_is_set_per_message_and_capped(settings):
    assert policy.pipeline_time_limit_s(30.0, settings) == 300 + 60
    # Unknown, or longer than any recording accepted: the limit for the longest one accepted (4 h).
    assert policy.pipeline_time_limit_s(None, settings) == 300 + 2 * 4 * 3600
    assert policy.pipeline_time_limit_s(1e6, settings) == 300 + 2 * 4 * 3600
    capped = settings.model_copy(update={"job_time_limit_seconds": 3600.0})
    assert policy.pipeline_time_limit_s(None, capped) == 3600 and policy.pipeline_time_limit_s(30.0, capped) == 360
    # Dramatiq's limit is the backstop: it also covers fetching the upload and publishing the results.
    assert policy.time_limit_ms(30.0, settings) == (300 + 60 + policy.HANDOFF_MARGIN_S) * 1000
    broker = build_broker(settings)  # embedded: a StubBroker
    send_job(broker, settings, "job1", 600.0)
    message = dramatiq.Message.decode(broker.queues["lifestream"].get_nowait())
    assert message.args == ("job1",) and message.options["time_limit"] == (300 + 1200 + 600) * 1000


def test_bad_broker_url_is_a_clear_error(settings, capsys, monkeypatch):
    from lifestream.errors import ConfigError
    from lifestream.workers.broker import parse_broker_url

    with pytest.raises(ConfigError, match="unsupported"):
        parse_broker_url("amqp://localhost")
    with pytest.raises(ConfigError, match="sqs://<queue-name>"):
        parse_broker_url("sqs://")
    monkeypatch.setenv("LIFESTREAM_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    assert main(["worker"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lifestream: error: cannot reach the queue broker (redis://127.0.0.1:1/0)")


# --- the attempt cap, when it is the worker itself that dies


def _failed_events(services: Services) -> list[JobEvent]:
    events: list[JobEvent] = []
    services.events.subscribe(lambda e: events.append(e) if e.kind == "failed" else None)
    return events


def _held_by_a_dead_worker(services: Services, sample_wav: Path, attempts: int):
    """A job whose worker died in diarization on its ``attempts``-th attempt (claimed, lease run out)."""
    store = services.store
    job = submit_file(sample_wav, services=services, origin=SlackOrigin(workspace="T1", conversation="C1")).job
    for n in range(attempts):
        store.claim(job.id, f"dead-{n}", lease_seconds=0.05)
        store.renew(job.id, f"dead-{n}", 0.05, stage="diarization")
        time.sleep(0.1)
        if n < attempts - 1:
            store.release_expired(job.id)
    return store, job


def test_recovery_gives_up_a_job_whose_worker_keeps_dying(settings, sample_wav):
    services = Services(settings.model_copy(update={"max_attempts": 3}))
    failed_events = _failed_events(services)
    recovery = JobRecovery(services)
    broker = build_broker(services.settings)

    store, job = _held_by_a_dead_worker(services, sample_wav, attempts=2)
    recovery.scan(broker)
    assert store.get(job.id).state is JobState.QUEUED and failed_events == []  # one attempt left: queued again

    store.claim(job.id, "dead-2", lease_seconds=0.05)
    store.renew(job.id, "dead-2", 0.05, stage="diarization")
    time.sleep(0.1)
    recovery.scan(broker)
    recovery.scan(broker)  # a second scan (or another worker's) finds nothing left to do
    failed = store.get(job.id)
    assert failed.state is JobState.FAILED and failed.attempts == 3 and failed.retryable is True
    assert failed.reason == ("its worker stopped while processing it in diarization (killed, or out of memory?) "
                             "(gave up after 3 attempts)")
    assert [e.job.id for e in failed_events] == [job.id]  # announced once


def test_a_message_redelivered_past_the_cap_fails_the_job_without_running_it(settings, sample_wav):
    # Redis and SQS hand a dead worker's message to another worker: the job is taken over
    # directly, before any recovery loop sees it. Past the cap it must not run again.
    services = Services(settings.model_copy(update={"max_attempts": 2}))
    failed_events = _failed_events(services)
    store, job = _held_by_a_dead_worker(services, sample_wav, attempts=2)

    def work(job, ctx):
        raise AssertionError("a job past its attempt cap was run")

    result = execute_job(job.id, services=services, work=work)
    assert result.state is JobState.FAILED and result.attempts == 3
    assert result.reason.startswith("its worker stopped while processing it in diarization")
    assert result.reason.endswith("(gave up after 2 attempts)")
    assert [e.job.id for e in failed_events] == [job.id]
