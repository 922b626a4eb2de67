"""What the first pass of diarization keeps of a recording: plain arrays, so a range of chunks embedded in
one process (or one part of a long recording) can be clustered with the others in another."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np

# The per-piece arrays, by prefix: units (a few seconds, for finding the speakers) and windows (~1.5 s,
# for saying who speaks when).
_PIECE_FIELDS = ("chunk", "speaker", "frames", "embedding", "seconds")


def _empty() -> np.ndarray:
    return np.empty(0)


@dataclass
class SegmentEmbeddings:
    """What ``embed`` found in a range of chunks: plain arrays, so it travels between processes.

    Per chunk (``chunks``: global chunk indices), ``active``/``probability``
    give each of the three local speakers' activity on the segmentation frame
    grid. Each local speaker's speech is embedded in units of a few seconds:
    ``unit_chunk`` (global chunk index), ``unit_speaker`` (0-2),
    ``unit_frames`` (first and last segmentation frame in the chunk),
    ``unit_embedding`` (CAM++, 192 values) and ``unit_seconds`` (seconds of
    solo speech it rests on; 0 for a unit made of overlapped speech).

    The ``window_*`` arrays say the same of shorter windows cut from each
    unit (a unit short enough is its own window). Units find the speakers;
    windows say who speaks when, so a local speaker that is really two voices
    splits. Left empty (embeddings from before windows existed), every unit
    is its own window.
    """

    chunks: np.ndarray  # (C,) int64
    active: np.ndarray  # (C, frames, 3) bool
    probability: np.ndarray  # (C, frames, 3) float16
    unit_chunk: np.ndarray  # (U,) int64
    unit_speaker: np.ndarray  # (U,) int8
    unit_frames: np.ndarray  # (U, 2) int32
    unit_embedding: np.ndarray  # (U, 192) float32
    unit_seconds: np.ndarray  # (U,) float32
    duration: float  # seconds of the whole recording
    window_chunk: np.ndarray = field(default_factory=_empty)  # (W,) int64
    window_speaker: np.ndarray = field(default_factory=_empty)  # (W,) int8
    window_frames: np.ndarray = field(default_factory=_empty)  # (W, 2) int32
    window_embedding: np.ndarray = field(default_factory=_empty)  # (W, 192) float32
    window_seconds: np.ndarray = field(default_factory=_empty)  # (W,) float32

    def __post_init__(self) -> None:
        if not len(self.window_chunk):
            for name in _PIECE_FIELDS:
                setattr(self, f"window_{name}", getattr(self, f"unit_{name}"))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, duration=np.float64(self.duration),
                            **{f.name: getattr(self, f.name) for f in fields(self) if f.name != "duration"})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SegmentEmbeddings:
        with np.load(io.BytesIO(data)) as z:
            return cls(**{f.name: z[f.name] for f in fields(cls) if f.name != "duration" and f.name in z},
                       duration=float(z["duration"]))

    @classmethod
    def concatenate(cls, parts: Sequence[SegmentEmbeddings]) -> SegmentEmbeddings:
        parts = sorted(parts, key=lambda p: int(p.chunks[0]) if len(p.chunks) else -1)
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                      for f in fields(cls) if f.name != "duration"},
                   duration=max(p.duration for p in parts))
