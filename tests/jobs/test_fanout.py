"""Fan-out (issue 16): a long recording's segments run on any worker, and the result is the sequential one.

Real audio throughout: six of the pyannote trn clips end to end (3 minutes, several AMI meetings' speakers),
with the ASR window (and so the segment) shortened to 30-60 s so that a test-sized recording has several.
The cloud shape runs two real `lifestream worker` processes on a real redis-server, and one of them is
SIGKILLed while it holds a segment.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from lifestream import meetings
from lifestream.models import Meeting
from lifestream.pipeline import asr
from lifestream.pipeline.fanout import CONTEXT_SAMPLES, Plan, SegmentResult, Span, chunk_range, make_plan
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import StorageMissing, fanout_prefix
from lifestream.workers.execute import execute_job
from lifestream.workers.jobstore import JobState
from lifestream.workers.submit import submit_file
from tests.jobs.test_jobs import configure, wait_for, workers  # noqa: F401  (fixtures)
from tests.support import real_clips
from tests.support.servers import aws_env, make_bucket, moto_url, redis_url, unique  # noqa: F401  (fixtures)

RATE = 16_000
# The diarizer's grid (lifestream.pipeline.diarization.local): 10 s chunks every 148 segmentation frames.
STEP, CHUNK = 39_960, 160_000


def _num_chunks(samples: int) -> int:
    return 1 + -(-max(0, samples - CHUNK) // STEP)


def test_segments_cut_in_pauses_cover_the_recording_and_share_out_the_diarizer_grid():
    rng = np.random.default_rng(7)
    # 200 s of "speech" (noise) with a half-second pause every 7 s: cuts must fall in pauses
    audio = rng.normal(0, 0.1, 200 * RATE).astype(np.float32)
    pauses = [(t * RATE, t * RATE + RATE // 2) for t in range(7, 200, 7)]
    for a, b in pauses:
        audio[a:b] = 0
    plan = make_plan(audio, 45)
    assert len(plan.spans) >= 5 and all(22 <= span.seconds <= 45 for span in plan.spans[:-1])
    assert plan.spans[0].start == 0 and plan.spans[-1].end == len(audio)
    for before, after in zip(plan.spans, plan.spans[1:], strict=False):
        assert before.end == after.start  # no gap, no overlap: every word is heard in exactly one segment
        assert any(a <= before.end < b for a, b in pauses), before.end / RATE
        assert before.audio_end == before.end + CONTEXT_SAMPLES
    assert Plan.from_json(plan.to_json()) == plan
    total = len(audio)
    grids = [chunk_range(span, total, STEP, _num_chunks(total)) for span in plan.spans]
    assert [c for r in grids for c in r] == list(range(_num_chunks(total)))
    for span, grid in zip(plan.spans, grids, strict=False):  # a segment's chunks read only its piece's audio
        # (the recording's last chunk is zero-padded past its end, as in the sequential path)
        assert all(span.start <= c * STEP and (c * STEP + CHUNK <= span.audio_end or span.audio_end == total)
                   for c in grid)


def test_segments_evened_for_a_fleet_fill_its_rounds_and_still_cut_in_pauses():
    rng = np.random.default_rng(11)
    audio = rng.normal(0, 0.1, 600 * RATE).astype(np.float32)  # ten minutes, a half-second pause every 7 s
    pauses = [(t * RATE, t * RATE + RATE // 2) for t in range(7, 600, 7)]
    for a, b in pauses:
        audio[a:b] = 0
    assert len(make_plan(audio, 120).spans) == 7  # ASR windows: six of ~91 s (cut at the first pause) and a sliver
    plan = make_plan(audio, 120, workers=4)
    assert len(plan.spans) == 8  # 2 full rounds of 4
    lengths = [span.seconds for span in plan.spans]
    assert max(lengths) <= 120 and max(lengths) - min(lengths) <= 30  # each one ASR window; even
    assert plan.spans[0].start == 0 and plan.spans[-1].end == len(audio)
    for before, after in zip(plan.spans, plan.spans[1:], strict=False):
        assert before.end == after.start and any(a <= before.end < b for a, b in pauses), before.end / RATE
    # a fleet larger than the recording needs: one round, no segment under a minute
    wide = make_plan(audio, 120, workers=50).spans
    assert len(wide) == 10 and all(45 <= span.seconds <= 75 for span in wide)


@pytest.fixture(scope="module")
def long_meeting(tmp_path_factory) -> Path:
    real_clips.require()
    clips = real_clips.load_clips("train")[:6]
    path = tmp_path_factory.mktemp("fanout") / "three-minutes.wav"
    sf.write(path, np.concatenate([clip.audio() for clip in clips]), RATE)
    return path


def _settings(data_dir: Path, **changes) -> Settings:
    return Settings(data_dir=data_dir, **{"asr_model": "tiny.en", "asr_beam_size": 1, "llm_enabled": False,
                                          "guess_speaker_names": False, "asr_window_seconds": 60, **changes})


@dataclass
class Run:
    meeting: Meeting
    keyframes: set[str]  # as published, relative to the meeting's folder
    fanout_left: list  # what is left of the segments' work once the results are published


def _fanned_and_sequential(tmp_path: Path, recording: Path, fanout_seconds: float,
                           **both: object) -> tuple[Run, Run]:
    """The same recording as a job fanned out (in this process: the holder does every segment) and not."""
    runs = []
    for name, threshold in (("fanned", fanout_seconds), ("sequential", 0.0)):
        services = Services(_settings(tmp_path / name, fanout_seconds=threshold, **both))
        try:
            job = submit_file(recording, services=services).job
            done = execute_job(job.id, services=services)
            assert done is not None and done.state is JobState.COMPLETED, done and done.reason
            keyframes = services.storage.list(job.result_prefix + "keyframes/")
            runs.append(Run(meetings.load(services.storage, job.result_prefix),
                            {o.key.removeprefix(job.result_prefix) for o in keyframes},
                            services.storage.list(fanout_prefix(job.id))))
        finally:
            services.close()
    return runs[0], runs[1]


def _words(meeting: Meeting) -> list[str]:
    return [w.text for s in meeting.transcript.segments for w in s.words] if meeting.transcript else []


def test_a_fanned_out_recording_gets_the_sequential_words_and_speakers(tmp_path, long_meeting):
    fanned_run, sequential_run = _fanned_and_sequential(tmp_path, long_meeting, 90.0)
    assert fanned_run.fanout_left == []  # the segments' work is gone once the results are published
    fanned, sequential = fanned_run.meeting, sequential_run.meeting
    assert "extract" not in fanned.timings and "extract" in sequential.timings  # really fanned out, not re-run
    words = [_words(fanned), _words(sequential)]
    assert len(words[1]) > 150 and words[0] == words[1]
    assert len(fanned.speakers) == len(sequential.speakers) >= 3
    # who spoke each word: the same, up to the labels' names
    speakers = [[s.speaker for s in m.transcript.segments for _ in s.words] for m in (fanned, sequential)]
    same = sum(a == b for a, b in zip(*speakers, strict=True)) / len(speakers[0])
    assert same > 0.97, same


@pytest.fixture(scope="module")
def five_minutes(tmp_path_factory) -> Path:
    real_clips.require()
    path = tmp_path_factory.mktemp("fanout") / "five-minutes.wav"
    sf.write(path, np.concatenate([clip.audio() for clip in real_clips.load_clips("train")]), RATE)
    return path


def test_segments_evened_for_a_fleet_are_the_sequential_windows_too(tmp_path, five_minutes):
    """With a fleet size, both paths even their windows alike: still the same words and speakers."""
    # 5 minutes in windows of at most 100 s, for a fleet of 3: six of ~50 s, two full rounds (not four of up
    # to 81 s: one full round and one a third full)
    audio = sf.read(five_minutes, dtype="float32")[0]
    assert len(asr.plan_windows(audio, 100, 3)) == 6 and len(asr.plan_windows(audio, 100, 0)) == 4
    # Without the temperature fallback, the same windows give the same words: with it, two of these windows are
    # read again by sampling, and CTranslate2's sampler cannot be seeded per window (asr.FALLBACK_TEMPERATURES), so
    # two runs in one process differed by 3-6% WER there.
    fanned_run, sequential_run = _fanned_and_sequential(tmp_path, five_minutes, 90.0, fanout_workers=3,
                                                        asr_window_seconds=100, asr_temperature_fallback=False)
    fanned, sequential = fanned_run.meeting, sequential_run.meeting
    assert "extract" not in fanned.timings
    words = [_words(fanned), _words(sequential)]
    assert len(words[1]) > 300 and words[0] == words[1]
    # the diarization is the sequential one (who is named in the transcript follows the words)
    assert len({t.speaker for t in fanned.turns}) == len({t.speaker for t in sequential.turns}) >= 3


def test_every_segment_is_read_in_the_language_found_at_the_start(tmp_path):
    """A German meeting that ends in English: the sequential path reads every window in the language its first
    one settled on (German), so every segment must be read in it too, not in the language its own audio suggests."""
    from lifestream.samples import sample_file
    from tests.support.languages import MEETINGS
    from tests.support.media import at_16k, speak_timed

    spec = MEETINGS["de"]
    german = at_16k(speak_timed(spec.lines, tmp_path / "de.wav", voices=spec.voices)[0])
    english = sf.read(sample_file("sample.wav"), dtype="float32")[0]
    recording = tmp_path / "de-then-en.wav"
    audio = np.concatenate([german, german, *[english] * 4])
    sf.write(recording, audio, RATE)
    assert any(span.start >= 2 * len(german) for span in make_plan(audio, 60).spans)  # a segment English alone
    fanned_run, sequential_run = _fanned_and_sequential(tmp_path, recording, 90.0, asr_model="base",
                                                        asr_beam_size=1, asr_temperature_fallback=False,
                                                        diarization_backend="none")
    fanned, sequential = fanned_run.meeting, sequential_run.meeting
    assert "extract" not in fanned.timings and "extract" in sequential.timings
    assert fanned.language == sequential.language == "de"
    assert fanned.transcript and sequential.transcript
    assert fanned.transcript.language_probability == sequential.transcript.language_probability < 1
    assert _words(fanned) == _words(sequential)


def test_a_plan_keeps_its_language_and_a_language_set_by_the_settings_wins(tmp_path):
    plan = Plan(total_samples=3 * RATE, spans=(Span(0, 0, 3 * RATE, 3 * RATE),))
    found = Plan.from_json(plan.with_language(("de", 0.912345)).to_json())
    assert (found.language, found.language_probability) == ("de", 0.9123)
    assert found.segment_settings(Settings(data_dir=tmp_path)).asr_language == "de"
    assert found.segment_settings(Settings(data_dir=tmp_path, asr_language="fr")).asr_language == "fr"
    # stored before plans had a language (an attempt in flight across an upgrade): its segments detect their own
    older = Plan.from_json('{"format": 1, "total_samples": 48000, "spans": [[0, 48000, 48000]]}')
    assert older.language is None and older.segment_settings(Settings(data_dir=tmp_path)).asr_language is None
    assert plan.with_language(None) == plan  # no speech anywhere: nothing to tell the segments


def _segments_by(worker_log: str) -> set[int]:
    return {int(i) for i in re.findall(r"segment (\d+) \(\d+ s of audio\) took", worker_log)}


@pytest.fixture(params=["redis-local", "sqs-s3-dynamodb"])
def stack(request) -> dict[str, str]:
    """The brokers and storage the segments travel through: Redis and a local folder, or the cloud's (moto)."""
    if request.param == "redis-local":
        return {"LIFESTREAM_BROKER_URL": request.getfixturevalue("redis_url")}
    moto = request.getfixturevalue("moto_url")
    bucket = unique("lifestream")
    make_bucket(moto, bucket)
    return {"LIFESTREAM_BROKER_URL": f"sqs://{unique('jobs')}", "LIFESTREAM_SQS_ENDPOINT_URL": moto,
            "LIFESTREAM_S3_BUCKET": bucket, "LIFESTREAM_S3_ENDPOINT_URL": moto,
            "LIFESTREAM_JOBS_TABLE": unique("jobs"), "LIFESTREAM_DYNAMODB_ENDPOINT_URL": moto}


def test_segments_spread_over_two_workers_and_one_lost_with_its_worker_is_done_again_alone(
        tmp_path, long_meeting, stack, configure, workers):  # noqa: F811
    settings = configure(**stack, LIFESTREAM_ASR_MODEL="tiny.en", LIFESTREAM_ASR_BEAM_SIZE=1,
                         LIFESTREAM_LLM_ENABLED="false", LIFESTREAM_GUESS_SPEAKER_NAMES="false",
                         LIFESTREAM_FANOUT_SECONDS=90, LIFESTREAM_ASR_WINDOW_SECONDS=30,
                         LIFESTREAM_FANOUT_CLAIM_SECONDS=6)
    first = workers(tmp_path / "first.log")
    second = workers(tmp_path / "second.log")
    services = Services(settings)
    try:
        job = submit_file(long_meeting, services=services).job
        running = wait_for(lambda: (j := services.store.get(job.id)) and j.state is JobState.PROCESSING and j.owner,
                           120, "a worker to take the job")
        holder, other = (first, second) if f":{first.proc.pid}:" in running else (second, first)
        claims = fanout_prefix(job.id) + "claims/"

        def held_by_other() -> set[int]:
            """The segments the other worker holds a live claim on now."""
            held = set()
            for obj in services.storage.list(claims):
                try:
                    claim = json.loads(services.storage.get(obj.key, tmp_path / "claim.json").read_text())
                except StorageMissing:  # released meanwhile
                    continue
                if f":{other.proc.pid}:" in claim["owner"] and claim["until"] > time.time() + 1:
                    held.add(int(Path(obj.key).stem))
            return held

        def other_holds_one_after_doing_one() -> set[int]:
            return held_by_other() if _segments_by(other.output()) else set()

        lost = wait_for(other_holds_one_after_doing_one, 300, "the other worker to do a segment and take another",
                        other)
        done_elsewhere = _segments_by(other.output())
        other.kill()  # mid-segment: its claim stays until it runs out

        done = wait_for(lambda: (j := services.store.get(job.id)) and j.final and j, 600, "the job to finish", holder)
        assert done.state is JobState.COMPLETED, done.reason
        by_holder = _segments_by(holder.output())
        assert lost and lost <= by_holder  # the lost segment was done again...
        assert not done_elsewhere & by_holder  # ...alone: what the dead worker finished was kept
        planned = make_plan(sf.read(long_meeting, dtype="float32")[0], 30)  # as the holder planned it
        assert done_elsewhere | by_holder == set(range(len(planned.spans)))
        meeting = meetings.load(services.storage, job.result_prefix)
        assert len(meeting.speakers) >= 3 and sum(len(s.words) for s in meeting.transcript.segments) > 150
        assert services.storage.list(fanout_prefix(job.id)) == []
    finally:
        services.close()
        first.stop(), second.stop()


def test_a_segment_result_travels_whole(tmp_path):
    from lifestream.models import Segment, Word
    from lifestream.pipeline.diarization.segments import SegmentEmbeddings

    embeddings = SegmentEmbeddings(
        chunks=np.arange(3), active=np.ones((3, 5, 3), bool), probability=np.full((3, 5, 3), 0.5, np.float16),
        unit_chunk=np.array([0, 2]), unit_speaker=np.array([0, 1], np.int8),
        unit_frames=np.array([[0, 4], [1, 3]], np.int32), unit_embedding=np.ones((2, 192), np.float32),
        unit_seconds=np.array([2.0, 0.0], np.float32), duration=31.0)
    result = SegmentResult(index=3, language="en", language_probability=0.9, model_path="m", seconds=1.5,
                           segments=[Segment(id=0, start=90.0, end=91.0, text="Hi.",
                                             words=[Word(start=90.0, end=90.5, text="Hi.", probability=0.9)])],
                           embeddings=embeddings)
    written = result.save(tmp_path)
    assert [p.suffix for p in written] == [".npz", ".json"]  # the words, which mark it whole, last
    back = SegmentResult.load(tmp_path, 3)
    assert back.segments == result.segments and back.embeddings is not None
    assert np.array_equal(back.embeddings.unit_embedding, embeddings.unit_embedding)
    assert Span(0, 0, 10, 20).seconds == 10 / RATE


def test_a_fanned_out_video_has_its_scenes_detected_while_the_segments_run(tmp_path, sample_video):
    fanned, sequential = _fanned_and_sequential(tmp_path, sample_video, 10.0)
    assert "scenes" in fanned.meeting.resumed and "scenes" not in sequential.meeting.resumed  # taken as they were
    assert [s.model_dump() for s in fanned.meeting.scenes] == [s.model_dump() for s in sequential.meeting.scenes] != []
    assert fanned.keyframes == sequential.keyframes == {s.keyframe for s in fanned.meeting.scenes if s.keyframe}
    assert _words(fanned.meeting) == _words(sequential.meeting) != []
