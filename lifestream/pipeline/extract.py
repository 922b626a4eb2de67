"""Stage 1b: one ffmpeg pass to the 16 kHz mono PCM WAV that ASR and diarization share."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np

from lifestream.errors import MediaError
from lifestream.pipeline.probe import ONLY_LOCAL_FILES, MediaInfo, require_tool, tool_detail

SAMPLE_RATE = 16_000


def extract_audio(media: MediaInfo, out_wav: Path) -> Path:
    out_wav.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        # The demuxer ffprobe chose, and nothing else: the file is read as what it was checked to be.
        [require_tool("ffmpeg"), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
         *ONLY_LOCAL_FILES, "-f", media.format, "-i", f"file:{media.path}",
         "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE),
         "-c:a", "pcm_s16le", "-f", "wav", str(out_wav)],
        capture_output=True, text=True,
        # Decoding is far faster than real time; a file that takes longer than this is broken.
        timeout=max(300.0, media.duration),
    )
    if proc.returncode != 0 or not out_wav.exists():
        raise MediaError(f"{media.path.name}: the audio could not be decoded ({tool_detail(proc.stderr, media.path)}).")
    with wave.open(str(out_wav), "rb") as w:
        frames = w.getnframes()
    if frames < SAMPLE_RATE // 10:
        raise MediaError(f"{media.path.name}: the audio track is empty or truncated to nothing.")
    return out_wav


def load_wav(path: Path) -> np.ndarray:
    """The extracted WAV as float32 samples in [-1, 1] (what both models take)."""
    with wave.open(str(path), "rb") as w:
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, dtype=np.int16).astype(np.float32) / 32768.0
