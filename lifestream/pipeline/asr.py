"""Stage 2: speech recognition with faster-whisper (int8 on CPU, VAD on, word timestamps).

A long recording is transcribed in windows of about five minutes, each cut at
the quietest moment near its end. faster-whisper works on the whole array it
is given: the VAD pads a copy of it, the speech is concatenated into another,
and the log-mel features of all of it are computed at once (the STFT alone is
about 1.7 GB for three hours), so memory would grow with the recording's
length. Per window it stays flat, whatever the length: about 0.3 GB for five
minutes (0.65 GB for ten; measured). Each window is what faster-whisper would
see anyway (its VAD joins speech and it decodes 30 s at a time); the language
detected in the first window with speech is kept for the rest, as
faster-whisper itself detects it once, from the start.
"""

from __future__ import annotations

import math
import re
import statistics
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from lifestream.models import Segment, Word
from lifestream.pipeline import heap
from lifestream.pipeline.asr_models import resolve_asr_model
from lifestream.pipeline.extract import release
from lifestream.settings import Settings

_load_lock = threading.Lock()
_loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lifestream-asr-load")

SAMPLE_RATE = 16_000
WINDOW_SAMPLES = 300 * SAMPLE_RATE
CUT_SEARCH_SAMPLES = 30 * SAMPLE_RATE
# Evened for a large fleet, a window (a fanned-out segment) is no shorter than this: below it, a worker's
# fixed cost per segment (fetching its piece, storing its results) outweighs what one more worker saves.
MIN_EVEN_WINDOW_SECONDS = 60
# An even window's cut is sought this close to its even share (pauses come every few seconds in speech).
EVEN_CUT_SEARCH_SAMPLES = 20 * SAMPLE_RATE
# Whisper may make up a line nobody said, in words it gives itself little chance of ("Wir sind jetzt auf der
# anderen Seite." in the trailing silence after a German meeting's closing question; words at 0.02-0.4). Such a line
# answers the question before it and takes it out of the open ones. A segment whose median word is below this
# probability (faster-whisper's own line for an anomalous word) is dropped: on the sample, the 12 trn/dev rooms
# and 6 min of long-4 (bench/hallucination.py) only garbage from a room Whisper cannot read falls under it, the
# lowest real line has 0.29. faster-whisper's hallucination_silence_threshold re-decodes instead, and on that
# room took 229 CPU s for 30 s of audio against 43.
IMPROBABLE_SEGMENT = 0.15
# Where greedy decoding of a 30 s stretch looks like a loop or nonsense, Whisper decodes it again by sampling at
# rising temperatures (faster-whisper's default). CTranslate2's sampler is seeded once per worker thread and cannot
# be reseeded, so such a stretch reads differently on every run: a retried job, or a fanned-out segment against
# the same window done in one piece, gets other words there. Without the fallback the words are the same each
# time (the greedy reading is kept), and a room Whisper cannot read costs one pass instead of up to six.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
# When the first 30 s of speech leave the language in doubt (top guess under 0.5: "Hallo zusammen" in a synthetic
# voice reads as English 0.34, German 0.27), the next ones decide, up to two minutes; a meeting read in the wrong
# language is transcribed as a translation and minuted as nonsense.
LANGUAGE_DETECTION_SEGMENTS = 4


@dataclass
class AsrResult:
    language: str
    language_probability: float
    segments: list[Segment]
    model_path: str


@lru_cache(maxsize=4)
def _load(path: str, compute_type: str, cpu_threads: int, workers: int):
    from faster_whisper import WhisperModel

    return WhisperModel(path, device="cpu", compute_type=compute_type, cpu_threads=cpu_threads, num_workers=workers)


def load_model(name: str, model_dir: Path, compute_type: str = "int8", cpu_threads: int = 2, workers: int = 1):
    """The model for ``name``, loaded once per process, on a thread that lives as long as the process.

    ``workers``: how many ``transcribe`` calls it serves at once, each on ``cpu_threads`` threads (CTranslate2
    shares the weights between them).

    CTranslate2 keeps some of a model's state with the thread that created it: a model made on
    a thread that then exits (a stage thread of one recording) runs about 5x slower for every
    later caller (measured: the 30 s sample's ASR took 17 s in the first recording of a process,
    83 s in the next). A long-lived pipeline process serves many recordings.
    """
    path = resolve_asr_model(name, model_dir)
    with _load_lock:
        return _loader.submit(_load, str(path), compute_type, cpu_threads, workers).result(), str(path)


def plan_windows(audio: np.ndarray, window_seconds: float, fleet: int = 0) -> list[tuple[int, int]]:
    """The windows a recording is transcribed in, by the sequential path and by fan-out alike (a fanned-out
    segment is one window: both paths hear the same audio and give the same words).

    Windows of ``window_seconds`` cut in the last 30 s; or, for a fleet of workers
    (``LIFESTREAM_FANOUT_WORKERS``) and a recording of more than two windows, as many windows as the fewest
    rounds of that fleet need, of even length, where that finishes sooner: an hour on 8 workers is 16 windows
    of ~225 s (two full rounds), not 12-13 of ~290 s (one full round and one a third full, each round as
    slow as its longest window).
    """
    samples, window = len(audio), round(window_seconds * SAMPLE_RATE)
    plain = windows(samples, audio, window=window)
    if fleet <= 0 or samples <= 2 * window:
        return plain
    # An even window must stay within ``window`` whatever its cuts' leeway.
    longest = max(window - EVEN_CUT_SEARCH_SAMPLES, window // 2)
    rounds = math.ceil(samples / (fleet * longest))
    count = fleet * rounds if rounds > 1 else min(fleet, samples // (MIN_EVEN_WINDOW_SECONDS * SAMPLE_RATE))
    even = even_windows(samples, audio, max(count, math.ceil(samples / longest)), search=EVEN_CUT_SEARCH_SAMPLES)

    def makespan(spans: list[tuple[int, int]]) -> int:  # rounds x the longest window, the fleet's critical path
        return math.ceil(len(spans) / fleet) * max(end - start for start, end in spans)

    return even if makespan(even) < makespan(plain) else plain


def windows(samples: int, audio: np.ndarray | None = None, *, window: int = WINDOW_SAMPLES,
            search: int = CUT_SEARCH_SAMPLES) -> list[tuple[int, int]]:
    """[start, end) sample ranges of at most ``window``, each cut at the quietest 0.1 s of its last ``search``
    samples (a pause between sentences, as a rule), covering ``samples`` without gaps."""
    spans, start = [], 0
    while start < samples:
        end = min(samples, start + window)
        if end < samples and audio is not None:
            end = _quietest(audio, max(start + window // 2, end - search), end)
        spans.append((start, end))
        start = end
    return spans


def even_windows(samples: int, audio: np.ndarray, count: int, *,
                 search: int = CUT_SEARCH_SAMPLES) -> list[tuple[int, int]]:
    """``count`` [start, end) ranges of about equal length covering ``samples``, each cut at the quietest 0.1 s
    within ``search`` samples around its even share (never more than half the share away: cuts stay in order).
    Each is at most ``samples / count + search`` long."""
    count = max(1, min(count, samples // SAMPLE_RATE or 1))
    share = samples / count
    half = min(search // 2, int(share // 4))
    cuts = [0]
    for k in range(1, count):
        target = round(k * share)
        cuts.append(_quietest(audio, max(cuts[-1] + 1, target - half), min(samples, target + half)))
    cuts.append(samples)
    return list(zip(cuts, cuts[1:]))


def _quietest(audio: np.ndarray, lo: int, hi: int) -> int:
    frame = SAMPLE_RATE // 10
    region = np.asarray(audio[lo:hi], dtype=np.float32)
    usable = len(region) // frame * frame
    if usable < frame:
        return hi
    energy = np.square(region[:usable]).reshape(-1, frame).mean(axis=1)
    return lo + int(np.argmin(energy)) * frame + frame // 2


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
    window_seconds: float = WINDOW_SAMPLES / SAMPLE_RATE,
    fleet: int = 0,
    temperature_fallback: bool = True,
) -> AsrResult:
    """``audio``: 16 kHz float32 samples in [-1, 1], in memory or memory-mapped (only a window is copied);
    its windows are ``plan_windows``'. Without ``temperature_fallback`` the same audio gives the same words.

    Windows are read ``cpu_threads`` at a time, each on one thread: CTranslate2's threads within one
    window of Whisper base gave it nothing here (2 threads: 0.064 s per audio second; 1: 0.065) for 1.4 cores
    of CPU, while two windows side by side read twice as much in the same time (bench/README.md, Thread
    budget). Every window is read in the language faster-whisper settles on in the first window with kept
    words (``detect_language`` finds it first, so the windows need not wait for each other): the words are
    the ones the windows one after another give."""
    model, path = _side_by_side_model(model_name, model_dir, compute_type, cpu_threads)
    if not language and not model.model.is_multilingual:
        language = "en"  # what faster-whisper reads an English-only model's windows in: nothing to settle
    spans = plan_windows(audio, window_seconds, fleet)
    done = [0] * len(spans)  # samples of each window read so far
    progress_lock = threading.Lock()
    decoding = dict(beam_size=beam_size, temperature=FALLBACK_TEMPERATURES if temperature_fallback else 0.0)

    def progress(index: int, seconds: float) -> None:
        if on_progress:
            with progress_lock:
                start, end = spans[index]
                # never back: a window read again (the rare fallback below) keeps what it showed
                done[index] = max(done[index], round(min(seconds * SAMPLE_RATE, end - start)))
                on_progress(min(sum(done) / max(len(audio), 1), 1.0))

    def read(index: int, language: str | None) -> tuple[list[Segment], str, float]:
        start, end = spans[index]
        kept, language_found, probability = _read_window(model, audio, start, end, language, decoding,
                                                         lambda seconds: progress(index, seconds))
        release(audio, start, end)
        heap.trim()  # the window's buffers, freed under the next one's: give their pages back
        progress(index, math.inf)
        return kept, language_found, probability

    def read_all(indices: range, language: str | None) -> list[list[Segment]]:
        if len(indices) > 1 and cpu_threads > 1:
            with ThreadPoolExecutor(max_workers=min(cpu_threads, len(indices)),
                                    thread_name_prefix="lifestream-asr") as pool:
                return [kept for kept, _, _ in pool.map(lambda i: read(i, language), indices)]
        return [read(i, language)[0] for i in indices]

    def settle_then_read() -> tuple[list[list[Segment]], tuple[str, float] | None]:
        if (first := _first_speech(model, (audio[a:b] for a, b in spans))) is not None:
            index, found, probability = first
            for silent in range(index):  # no speech in it: nothing to read
                progress(silent, math.inf)
            ahead = read_all(range(index, len(spans)), found)
            if ahead[0]:
                return [[] for _ in range(index)] + ahead, (found, probability)
        # That window kept nothing (rare), or none has speech: faster-whisper's own rule, the first window with
        # kept words settles the language for the ones after it.
        settled: list[list[Segment]] = []
        detected: tuple[str, float] | None = None
        while len(settled) < len(spans) and detected is None:
            kept, found, probability = read(len(settled), None)
            settled.append(kept)
            if kept or len(settled) == len(spans):
                detected = (found, probability)
        return settled + read_all(range(len(settled), len(spans)), detected[0] if detected else None), detected

    if language:
        per_window = read_all(range(len(spans)), language)
        detected = (language, 1.0) if spans else None  # the probability faster-whisper gives a language it was told
    else:
        per_window, detected = settle_then_read()
    segments = [s.model_copy(update={"id": n}) for n, s in enumerate(s for kept in per_window for s in kept)]
    language_found, probability = detected or (language or "", 0.0)
    return AsrResult(language=language_found, language_probability=round(probability, 4), segments=segments,
                     model_path=path)


def _side_by_side_model(model_name: str, model_dir: Path, compute_type: str, cpu_threads: int):
    """The model ``transcribe`` reads ``cpu_threads`` windows side by side with, one thread each."""
    return load_model(model_name, model_dir, compute_type, 1, max(1, cpu_threads))


def _read_window(model, audio: np.ndarray, start: int, end: int, language: str | None, decoding: dict,
                 on_progress: Callable[[float], None]) -> tuple[list[Segment], str, float]:
    """One window's kept segments (on the recording's clock), and the language faster-whisper read it in."""
    offset = start / SAMPLE_RATE
    segments_iter, info = model.transcribe(
        np.array(audio[start:end], dtype=np.float32),
        language=language,
        vad_filter=True,
        word_timestamps=True,
        # Without this, one misheard segment conditions the next ones and
        # hallucinations snowball on long meetings.
        condition_on_previous_text=False,
        language_detection_segments=LANGUAGE_DETECTION_SEGMENTS,
        **decoding,
    )
    kept: list[Segment] = []
    for seg in segments_iter:
        words = glue_split_words([
            Word(start=round(offset + w.start, 3), end=round(offset + w.end, 3), text=w.word.strip(),
                 probability=round(w.probability, 4))
            for w in (seg.words or [])
            if w.word.strip()
        ])
        if not words or statistics.median(w.probability for w in words) >= IMPROBABLE_SEGMENT:
            kept.append(Segment(id=0, start=round(offset + seg.start, 3), end=round(offset + seg.end, 3),
                                text=seg.text.strip(), words=words))
        on_progress(seg.end)
    return kept, info.language, info.language_probability


def transcribe_as_configured(audio: np.ndarray, settings: Settings, *,
                             on_progress: Callable[[float], None] | None = None) -> AsrResult:
    """``transcribe`` with every option the settings give it: the one place both the sequential path and a
    fanned-out segment read them, so a setting cannot reach one path and not the other. A segment is a single
    window, so the fleet's evening leaves it whole."""
    return transcribe(audio, settings.asr_model, settings.model_dir, language=settings.asr_language,
                      beam_size=settings.asr_beam_size, compute_type=settings.asr_compute_type,
                      cpu_threads=settings.cpu_threads, on_progress=on_progress,
                      window_seconds=settings.asr_window_seconds, fleet=settings.fanout_workers,
                      temperature_fallback=settings.asr_temperature_fallback)


def detect_language(windows: Iterable[np.ndarray], model_name: str, model_dir: Path, *,
                    compute_type: str = "int8", cpu_threads: int = 2) -> tuple[str, float] | None:
    """The language ``transcribe`` settles on for a recording in these windows (``plan_windows``'): Whisper's
    guess over the speech of the first window with any (faster-whisper's VAD, as ``transcribe`` hears it), and its
    probability; None when no window has speech. A window after the first with speech is never read."""
    model, _ = _side_by_side_model(model_name, model_dir, compute_type, cpu_threads)
    if not model.model.is_multilingual:
        return "en", 1.0
    first = _first_speech(model, windows)
    return (first[1], first[2]) if first is not None else None


def _first_speech(model, windows: Iterable[np.ndarray]) -> tuple[int, str, float] | None:
    """The first window with speech (faster-whisper's VAD), and Whisper's language for it with its probability."""
    from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

    for index, window in enumerate(windows):
        audio = np.asarray(window, dtype=np.float32)
        speech = get_speech_timestamps(audio, VadOptions())
        if speech:
            chunks, _ = collect_chunks(audio, speech)
            language, probability, _ = model.detect_language(
                features=model.feature_extractor(np.concatenate(chunks)),
                language_detection_segments=LANGUAGE_DETECTION_SEGMENTS)
            return index, language, probability
    return None


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
