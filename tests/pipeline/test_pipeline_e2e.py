"""The whole offline pipeline on the real sample, as `lifestream process` runs it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import cv2

from lifestream.models import SCHEMA_VERSION, Meeting
from lifestream.pipeline.runner import STAGES
from tests.pipeline.test_asr import normalise, wer
from tests.pipeline.test_diarization import der


def test_results_folder_holds_every_artifact(processed_sample):
    meeting, result_dir = processed_sample
    for name in ("minutes.md", "meeting.json", "transcript.vtt", "transcript.srt"):
        assert (result_dir / name).stat().st_size > 100, name
    assert not (result_dir / ".work").exists()  # the temporary WAV is cleaned up
    saved = Meeting.model_validate_json((result_dir / "meeting.json").read_text())
    assert saved.schema_version == SCHEMA_VERSION
    assert saved.meeting_id == meeting.meeting_id == meeting.source.sha256[:16]
    assert saved.transcript.words and all(w.speaker for w in saved.transcript.words)


def test_transcript_speakers_and_quality(processed_sample):
    meeting, _ = processed_sample
    score = wer(meeting.transcript.text)
    diarization_error = der(meeting.turns)
    print(f"\nsample: WER {score:.3f}, DER {diarization_error:.3f}, timings {meeting.timings}")
    assert score <= 0.25
    assert meeting.speakers == ["SPEAKER_1", "SPEAKER_2"]
    assert meeting.classification.is_meeting
    assert diarization_error < 0.35


def test_keyframes_exist_for_the_video(processed_sample):
    meeting, result_dir = processed_sample
    assert len(meeting.scenes) == 4
    for scene in meeting.scenes:
        assert cv2.imread(str(result_dir / scene.keyframe)) is not None
    assert sorted(k for c in meeting.chunks for k in c.keyframes) == sorted(s.keyframe for s in meeting.scenes)


def phrasing_words() -> set[str]:
    from dataclasses import astuple

    from lifestream.pipeline.minutes_offline.cues import ENGLISH

    return set(normalise(" ".join(v for v in astuple(ENGLISH.phrasing) if isinstance(v, str))).split())


def test_minutes_are_non_empty_and_grounded_in_transcript_words(processed_sample):
    meeting, result_dir = processed_sample
    said = set(normalise(meeting.transcript.text).split())
    m = meeting.minutes
    assert m.summary and m.title
    # The summary's words are the transcript's, apart from its own connecting phrases ("it was decided…").
    summary_words = set(normalise(re.sub(r"SPEAKER_\d+", "", m.summary)).split())
    assert summary_words and summary_words - said <= phrasing_words()
    points = [p for g in m.key_points for p in g.points]
    assert points and all(set(normalise(p.text).split()) <= said for p in points)
    assert {g.speaker for g in m.key_points} == set(meeting.speakers)
    md = (result_dir / "minutes.md").read_text()
    assert md.startswith(f"# {m.title}") and "## Summary" in md and "## Action items" in md


def test_every_stage_is_timed(processed_sample):
    meeting, _ = processed_sample
    ran = {s for s in STAGES if s not in ("redact", "index", "write")}  # redaction is opt-in
    assert ran <= set(meeting.timings)
    assert meeting.timings["total"] >= meeting.timings["asr"] > 0


def test_subtitles(processed_sample):
    meeting, result_dir = processed_sample
    vtt = (result_dir / "transcript.vtt").read_text()
    assert vtt.startswith("WEBVTT\n")
    # each cue starts with who speaks: the names they introduced themselves with (tests/test_naming.py)
    cues = re.findall(r"(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)\n(Diane|Sheila): ", vtt)
    assert len(cues) == len(meeting.transcript.segments)
    srt = (result_dir / "transcript.srt").read_text()
    assert srt.startswith("1\n00:00:") and " --> " in srt and "," in srt.splitlines()[1]


def test_cli_prints_the_minutes(sample_video, tmp_path):
    env = {**os.environ, "LIFESTREAM_DATA_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "lifestream", "process", str(sample_video)],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# ")  # the title: the topic, or "Meeting" when there is none
    assert "## Summary" in proc.stdout and "**Diane**" in proc.stdout and "**Sheila**" in proc.stdout
    # not a terminal: no progress bars, just where the results went
    assert proc.stderr.strip().startswith("Results: ")
    result_dir = proc.stderr.strip().removeprefix("Results: ")
    assert json.loads((tmp_path / "results" / os.path.basename(result_dir) / "meeting.json").read_text())["minutes"]


def test_silence_is_no_speech_not_a_crash(tmp_path):
    from tests.support.media import silent_audio

    proc = subprocess.run([sys.executable, "-m", "lifestream", "process", str(silent_audio(tmp_path / "quiet.wav"))],
                          capture_output=True, text=True, env={**os.environ, "LIFESTREAM_DATA_DIR": str(tmp_path)})
    assert proc.returncode == 2
    assert "quiet.wav: no speech was found in the recording." in proc.stderr
    assert "Traceback" not in proc.stderr
