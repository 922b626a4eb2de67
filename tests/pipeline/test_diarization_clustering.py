"""The clustering's split of one speaker into two voices (issue 12), on embeddings whose geometry is known.

The real clips' figures (dev01 0.50 -> 0.35, long concatenations unchanged) are in
test_diarization_meetings.py and bench/README.md; this checks the rule itself: a second voice is split
off when it has speech enough, in seconds and as a share of the recording, and never against a count
the person gave."""

from __future__ import annotations

import numpy as np

from lifestream.pipeline.diarization import SpeakerCount
from lifestream.pipeline.diarization.clustering import ClusteringOptions, refine_on_windows, unit

WINDOW_SECONDS = 1.5


def _windows(counts: list[int], seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows around len(counts) orthogonal voices, counts[i] of voice i; and the one centroid the units found."""
    rng = np.random.default_rng(seed)
    voices = np.eye(192)[: len(counts)]
    x = np.concatenate([unit(v + 0.02 * rng.standard_normal((n, 192))) for v, n in zip(voices, counts)])
    seconds = np.full(len(x), WINDOW_SECONDS)
    return x.astype(np.float32), seconds.astype(np.float32), unit(x.mean(0, keepdims=True)).astype(np.float32)


def test_a_second_voice_with_speech_enough_is_split_off():
    x, seconds, one = _windows([20, 6])  # 30 s and 9 s of windows: two people
    speakers = refine_on_windows(one, x, seconds, SpeakerCount(), ClusteringOptions())
    labels = (x @ speakers.T).argmax(axis=1)
    assert len(speakers) == 2 and len(set(labels[:20])) == len(set(labels[20:])) == 1 and labels[0] != labels[-1]


def test_a_long_recordings_fragment_is_not_split_off():
    # the same 9 s beside 20 minutes of the main voice: under 2% of the speech, a fragment, not a person
    x, seconds, one = _windows([800, 6])
    assert len(refine_on_windows(one, x, seconds, SpeakerCount(), ClusteringOptions())) == 1
    assert len(refine_on_windows(one, x, seconds, SpeakerCount(), ClusteringOptions(split_share=0.0))) == 2


def test_too_little_speech_or_a_given_count_never_splits():
    x, seconds, one = _windows([20, 2])  # 3 s of the second voice
    assert len(refine_on_windows(one, x, seconds, SpeakerCount(), ClusteringOptions())) == 1
    x, seconds, one = _windows([20, 6])
    assert len(refine_on_windows(one, x, seconds, SpeakerCount(exact=1), ClusteringOptions())) == 1
    assert len(refine_on_windows(one, x, seconds, SpeakerCount(max_speakers=1), ClusteringOptions())) == 1
    assert len(refine_on_windows(one, x, seconds, SpeakerCount(), ClusteringOptions(split_threshold=None))) == 1
