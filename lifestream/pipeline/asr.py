"""Stage 2: speech recognition with faster-whisper (int8 on CPU, VAD on, word timestamps)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lifestream.models import Segment, Word
from lifestream.pipeline.asr_models import resolve_asr_model

_load_lock = threading.Lock()


@dataclass
class AsrResult:
    language: str
    language_probability: float
    segments: list[Segment]
    model_path: str


@lru_cache(maxsize=4)
def _load(path: str, compute_type: str, cpu_threads: int):
    from faster_whisper import WhisperModel

    return WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads)


def load_model(name: str, model_dir: Path, compute_type: str = "int8", cpu_threads: int = 2):
    """The model for ``name``, loaded once per process."""
    path = resolve_asr_model(name, model_dir)
    with _load_lock:
        return _load(str(path), compute_type, cpu_threads), str(path)


def transcribe(
    audio: np.ndarray,
    model_name: str,
    model_dir: Path,
    *,
    language: str | None = None,
    beam_size: int = 5,
    compute_type: str = "int8",
    cpu_threads: int = 2,
    on_progress: Callable[[float], None] | None = None,
) -> AsrResult:
    model, path = load_model(model_name, model_dir, compute_type, cpu_threads)
    duration = max(len(audio) / 16_000, 1e-6)
    segments_iter, info = model.transcribe(
        audio,
        language=language,
        beam_size=beam_size,
        vad_filter=True,
        word_timestamps=True,
        # Without this, one misheard segment conditions the next ones and
        # hallucinations snowball on long meetings.
        condition_on_previous_text=False,
        # When the first 30 s of speech leave the language in doubt (top guess under 0.5: "Hallo zusammen" in a
        # synthetic voice reads as English 0.34, German 0.27), the next windows decide, up to two minutes;
        # a meeting read in the wrong language is transcribed as a translation and minuted as nonsense.
        language_detection_segments=4,
    )
    segments: list[Segment] = []
    for seg in segments_iter:
        words = glue_split_words([
            Word(start=round(w.start, 3), end=round(w.end, 3), text=w.word.strip(), probability=round(w.probability, 4))
            for w in (seg.words or [])
            if w.word.strip()
        ])
        segments.append(Segment(id=len(segments), start=round(seg.start, 3), end=round(seg.end, 3),
                                text=seg.text.strip(), words=words))
        if on_progress:
            on_progress(min(seg.end / duration, 1.0))
    return AsrResult(language=info.language, language_probability=round(info.language_probability, 4),
                     segments=segments, model_path=path)


_BOUND = re.compile(r"^['’-]\w")  # "'hui" of "aujourd'hui", "-ce" of "est-ce", "'on" of "qu'on"


def glue_split_words(words: list[Word]) -> list[Word]:
    """Whisper gives an elided or hyphenated word in pieces ("aujourd" "'hui", "qu" "'on", "Est" "-ce"): one
    word, as written, so the text reads "aujourd'hui" and not "aujourd 'hui"."""
    out: list[Word] = []
    for w in words:
        if out and _BOUND.match(w.text):
            last = out[-1]
            out[-1] = last.model_copy(update={"text": last.text + w.text, "end": w.end,
                                              "probability": min(last.probability, w.probability)})
        else:
            out.append(w)
    return out
