"""Stitch chunk-level local activity into global, overlap-aware turns.

Every frame is seen by four chunks (10 s chunks every 2.5 s). Per frame, the
number of people speaking is the chunks' average count of active local
speakers, rounded; that many global speakers are active, the ones the chunks
agree on most (each chunk's word weighted by its ``say``). The "exclusive"
view gives each speech frame to the single most active speaker (highest
segmentation probability), for attributing words.

The work goes block by block over the frame grid, so memory does not grow
with the recording's length.
"""

from __future__ import annotations

from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

from lifestream.models import SpeakerTurn
from lifestream.pipeline.diarization.clustering import mean_direction
from lifestream.pipeline.diarization.types import Diarization, SpeakerProfile

if TYPE_CHECKING:
    from lifestream.pipeline.diarization.segments import SegmentEmbeddings

BLOCK_FRAMES = 36_000  # ~10 minutes
# A turn shorter than this does not decide who is SPEAKER_1, SPEAKER_2, ... (the order of first appearance).
ORDER_MIN_SECONDS = 0.5


def diarization(seg: SegmentEmbeddings, ranked: np.ndarray, centroids: np.ndarray, unit_labels: np.ndarray, *,
                say: np.ndarray, frame_step: float, frame_duration: float, step_frames: int) -> Diarization:
    """Turns from chunk activity and each window's closest and runner-up speaker (``ranked``), each chunk's
    word on who speaks weighted by ``say`` (one per chunk); the speakers' voice profiles from the units of
    each (``unit_labels``), which rest on more speech."""
    k = len(centroids)
    row_of = {int(c): i for i, c in enumerate(seg.chunks)}
    windows_of: dict[tuple[int, int], list[int]] = {}
    for u, (c, s) in enumerate(zip(seg.window_chunk.tolist(), seg.window_speaker.tolist())):
        windows_of.setdefault((row_of[c], s), []).append(u)
    n_frames = int(np.ceil(seg.duration / frame_step))
    chunk_frames = seg.active.shape[1]
    starts = seg.chunks * step_frames
    runs: list[tuple[int, int, int]] = []  # (speaker, first frame, frame after last)
    exclusive: list[tuple[int, int, int]] = []
    clean = np.zeros(k)
    for b0 in range(0, n_frames, BLOCK_FRAMES):
        b1 = min(n_frames, b0 + BLOCK_FRAMES)
        width = b1 - b0
        votes = np.zeros((width, k), np.float32)
        soft = np.zeros((width, k), np.float32)
        cover = np.zeros(width, np.float32)
        speaking = np.zeros(width, np.float32)
        first = np.searchsorted(starts, b0 - chunk_frames, side="right")
        last = np.searchsorted(starts, b1, side="left")
        for c in range(first, last):
            lo, hi = max(b0, starts[c]), min(b1, starts[c] + chunk_frames)
            if lo >= hi:
                continue
            src = slice(lo - starts[c], hi - starts[c])
            dst = slice(lo - b0, hi - b0)
            cover[dst] += 1
            speaking[dst] += seg.active[c, src].sum(axis=1)
            vote, prob = np.zeros((hi - lo, k), np.float32), np.zeros((hi - lo, k), np.float32)
            rows = np.arange(hi - lo)
            for s, who in _chunk_speakers(seg, c, src, windows_of, ranked).items():
                # two local speakers of one chunk may be one global speaker: count them once
                np.maximum.at(vote, (rows, who), seg.active[c, src, s].astype(np.float32))
                np.maximum.at(prob, (rows, who), seg.probability[c, src, s].astype(np.float32))
            votes[dst] += vote * say[c]
            soft[dst] += prob
        cover = np.maximum(cover, 1)
        votes /= cover[:, None]
        soft /= cover[:, None]
        # half-way counts round up: where two chunks disagree, keep the speech
        n_speaking = np.minimum(np.floor(speaking / cover + 0.5), k).astype(int)
        # rank speakers per frame: the chunks' weighted agreement first, probability to break ties
        order = np.argsort(-(votes + 1e-3 * soft), axis=1, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(k)[None, :].repeat(width, 0), axis=1)
        on = (rank < n_speaking[:, None]) & (votes > 0)
        clean += (on & (on.sum(axis=1, keepdims=True) == 1)).sum(axis=0)
        for j in range(k):
            runs += [(j, b0 + a, b0 + z) for a, z in _runs(on[:, j])]
        top = np.where(on.any(axis=1), np.argmax(np.where(on, soft + 1.0, 0.0), axis=1), -1)
        for j in range(k):
            exclusive += [(j, b0 + a, b0 + z) for a, z in _runs(top == j)]

    def times(run: tuple[int, int, int]) -> tuple[int, float, float]:
        j, a, z = run
        start = a * frame_step + frame_duration / 2 - frame_step / 2
        end = (z - 1) * frame_step + frame_duration / 2 + frame_step / 2
        return j, max(0.0, start), min(seg.duration, end)

    turns = _merge([times(r) for r in runs])
    excl = _merge([times(r) for r in exclusive])
    # SPEAKER_1, SPEAKER_2... in order of first appearance: of a first real turn, so that a few frames given
    # to someone at the start (a cough, a window's edge) do not make them SPEAKER_1 of a meeting they join later
    first = sorted(turns, key=lambda t: (t[2] - t[1] < ORDER_MIN_SECONDS, t[1]))
    order_seen = list(dict.fromkeys(j for j, _, _ in first))
    label = {j: f"SPEAKER_{i + 1}" for i, j in enumerate(order_seen)}
    profiles = {label[j]: SpeakerProfile(centroid=_centroid(seg, unit_labels, j, centroids[j]),
                                         seconds=round(float(clean[j] * frame_step), 2)) for j in order_seen}

    def speaker_turns(items: list[tuple[int, float, float]]) -> list[SpeakerTurn]:
        return [SpeakerTurn(speaker=label[j], start=round(a, 3), end=round(z, 3))
                for j, a, z in sorted(items, key=lambda t: (t[1], t[2])) if j in label and z > a]

    return Diarization(turns=speaker_turns(turns), exclusive=speaker_turns(excl), speakers=profiles)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) index pairs of the True runs."""
    padded = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _merge(items: list[tuple[int, float, float]]) -> list[tuple[int, float, float]]:
    """Join a speaker's runs that touch (across block edges)."""
    out: dict[int, list[list[float]]] = {}
    for j, a, z in sorted(items, key=lambda t: (t[0], t[1])):
        spans = out.setdefault(j, [])
        if spans and a <= spans[-1][1] + 1e-6:
            spans[-1][1] = max(spans[-1][1], z)
        else:
            spans.append([a, z])
    return [(j, a, z) for j, spans in out.items() for a, z in spans]


def _chunk_speakers(seg: SegmentEmbeddings, c: int, frames: slice, windows_of: dict[tuple[int, int], list[int]],
                    ranked: np.ndarray) -> dict[int, np.ndarray]:
    """The global speaker of each local speaker of chunk ``c``, frame by frame.

    A frame belongs to the speaker of the local speaker's nearest window. Where
    two local speakers are heard at once the segmentation says two people
    speak; if both came out as the same speaker, the one who speaks alone
    less (whose embedding rests on the least clean speech) takes their
    runner-up speaker there, so overlapped speech is not lost.
    """
    who: dict[int, np.ndarray] = {}
    second: dict[int, np.ndarray] = {}
    solo: dict[int, float] = {}
    for s in range(seg.active.shape[2]):
        windows = windows_of.get((c, s))
        if not windows:
            continue  # silent, or too little speech to say who
        spans = seg.window_frames[windows]
        who[s] = _nearest_window_label(spans, ranked[windows, 0], frames)
        second[s] = _nearest_window_label(spans, ranked[windows, 1], frames)
        solo[s] = float(seg.window_seconds[windows].sum())
    active = seg.active[c, frames]
    for a, b in combinations(sorted(who), 2):
        weak = a if solo[a] < solo[b] else b
        clash = active[:, a] & active[:, b] & (who[a] == who[b])
        who[weak] = np.where(clash, second[weak], who[weak])
    return who


def _nearest_window_label(spans: np.ndarray, labels: np.ndarray, frames: slice) -> np.ndarray:
    """For each frame of the slice, the label of the window whose span is nearest (0 inside it)."""
    f = np.arange(frames.start, frames.stop)[:, None]
    distance = np.maximum(0, np.maximum(spans[None, :, 0] - f, f - spans[None, :, 1]))
    return labels[distance.argmin(axis=1)]


def _centroid(seg: SegmentEmbeddings, labels: np.ndarray, j: int, fallback: np.ndarray) -> np.ndarray:
    mine = (labels == j) & (seg.unit_seconds > 0)
    if not mine.any():
        return fallback
    return mean_direction(seg.unit_embedding[mine], seg.unit_seconds[mine]).astype(np.float32)
