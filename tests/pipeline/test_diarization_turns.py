"""Who speaks where a frame's four chunks disagree two against two (issue 12).

Two chunks of every four say who speaks with ~1.5 s windows, two with ~5 s units. Where they split, the windows'
pair wins: a unit there averages the two voices that meet, so its word on who speaks counts half. The real
clips' figures (dev 0.217 -> 0.169) are in test_diarization_meetings.py and bench/README.md; this checks the rule
itself, on four chunks whose every frame and label is set by hand.
"""

from __future__ import annotations

import numpy as np

from lifestream.pipeline.diarization import reconstruct
from lifestream.pipeline.diarization.segments import _PIECE_FIELDS, SegmentEmbeddings

STEP = 10  # frames between chunk starts
CHUNK = 40  # frames per chunk: frames 30-39 are heard by all four
FRAME = 0.1  # seconds per frame


def _four_chunks_split_two_against_two() -> tuple[SegmentEmbeddings, np.ndarray, np.ndarray]:
    """One local speaker active throughout each chunk; the even chunks' windows are nearest speaker 0, the odd
    chunks' units speaker 1, and the odd chunks' segmentation is the surer of the two."""
    chunks = np.arange(4)
    active = np.zeros((4, CHUNK, 3), bool)
    active[:, :, 0] = True
    probability = np.zeros((4, CHUNK, 3), np.float16)
    probability[:, :, 0] = np.where(chunks % 2 == 0, 0.6, 0.9)[:, None]
    pieces = {"chunk": chunks, "speaker": np.zeros(4, np.int8), "frames": np.tile([0, CHUNK - 1], (4, 1)).astype(np.int32),
              "embedding": np.zeros((4, 192), np.float32), "seconds": np.full(4, CHUNK * FRAME, np.float32)}
    seg = SegmentEmbeddings(chunks=chunks, active=active, probability=probability, duration=7 * STEP * FRAME,
                            **{f"unit_{k}": v for k, v in pieces.items()}, **{f"window_{k}": v for k, v in pieces.items()})
    ranked = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    centroids = np.eye(2, 192, dtype=np.float32)
    return seg, ranked, centroids


def _speaker_at(seg, ranked, centroids, say, t: float) -> set[str]:
    result = reconstruct.diarization(seg, ranked, centroids, ranked[:, 0], say=say, frame_step=FRAME,
                                     frame_duration=FRAME, step_frames=STEP)

    def at(when: float) -> set[str]:
        return {turn.speaker for turn in result.turns if turn.start <= when < turn.end}

    windows_speaker = at(0.5)  # only chunk 0 hears the first second: its window's speaker
    assert len(windows_speaker) == 1
    return {"windows' speaker" if speaker in windows_speaker else "units' speaker" for speaker in at(t)}


def test_where_windows_and_units_split_evenly_the_windows_say_who_speaks():
    seg, ranked, centroids = _four_chunks_split_two_against_two()
    t = 3.5  # frame 35: all four chunks, two windows' and two units'
    assert _speaker_at(seg, ranked, centroids, np.array([1.0, 0.5, 1.0, 0.5]), t) == {"windows' speaker"}


def test_with_an_even_say_the_surer_segmentation_breaks_the_tie():
    """The control: the same frames with every chunk's word equal go to the units' speaker, whose chunks' segmentation
    is surer, as before this rule. So the first test's outcome is the say's doing."""
    seg, ranked, centroids = _four_chunks_split_two_against_two()
    assert _speaker_at(seg, ranked, centroids, np.ones(4), 3.5) == {"units' speaker"}


def test_only_a_recording_whose_units_were_cut_into_windows_weighs_its_chunks_apart():
    from lifestream.pipeline.diarization.local import UNIT_CHUNK_SAY, _chunk_say

    seg, _, _ = _four_chunks_split_two_against_two()
    assert np.array_equal(_chunk_say(seg), np.ones(4))  # windows are the units: every chunk's pieces alike
    # chunks 0 and 2 (the window chunks) get a second window each: their units were cut
    windows = {k: getattr(seg, f"window_{k}") for k in _PIECE_FIELDS}
    cut = SegmentEmbeddings(**{**vars(seg), **{f"window_{k}": np.concatenate([v, v[::2]]) for k, v in windows.items()}})
    assert np.array_equal(_chunk_say(cut), [1.0, UNIT_CHUNK_SAY, 1.0, UNIT_CHUNK_SAY])

