"""Real media made on the spot for tests: converted copies of the sample, broken files,
and short scripted meetings spoken by espeak-ng (two distinct voices), so the
minutes rules run on recognised speech rather than on typed text."""

from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np

# (voice, pitch): a low male US voice and a high female British voice, far
# enough apart for speaker embeddings to tell them apart; C and D (a Scottish
# male, a mid US female) make three- and four-person meetings.
# Voice C was en-gb-scotland+m1 at pitch 55 until the diarizer of issue 11/12 heard it and A (both low male
# espeak voices) as one person; the scripts test the minutes, not that limit (bench/README.md, Diarization).
VOICES = {"A": ("en-us+m3", 35), "B": ("en-gb+f4", 75), "C": ("en-us+m7", 70), "D": ("en-us+f2", 55)}

LAUNCH_MEETING = [
    ("A", "Good morning everyone. Let's review the launch plan for the mobile app."),
    ("B", "Thanks. The beta build is ready, but the login screen still crashes on older phones."),
    ("A", "Okay. Can you fix the login crash by Friday?"),
    ("B", "Yes. I will fix the login crash and send a new build by Friday."),
    ("A", "Good. We decided to delay the public launch until December tenth."),
    ("B", "Agreed. I will update the release notes before the launch."),
    ("A", "I will email the marketing team about the new launch date tomorrow."),
    ("B", "What is our budget for the launch campaign this quarter?"),
    ("A", "We need to confirm the campaign budget with finance next week."),
]

DIARY = [
    ("A", "Today I walked along the river before work and the morning was cold and bright."),
    ("A", "I have been thinking about learning to play the piano again after many years."),
    ("A", "In the afternoon I cooked a big pot of vegetable soup for the week."),
    ("A", "Tomorrow I want to read more of the novel my sister gave me for my birthday."),
]


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def speak(lines: list[tuple[str, str]], out: Path, pause: float = 0.7,
          turns: list[tuple[float, float, str]] | None = None) -> Path:
    """A WAV of the lines read in turn, each voice its own speaker; ``turns`` gets (start, end, voice)."""
    path, spans = speak_timed(lines, out, pause)
    if turns is not None:
        turns.extend((start, end, who) for (start, end), (who, _) in zip(spans, lines))
    return path


def speak_timed(lines: list[tuple[str, str]], out: Path, pause: float = 0.7,
                voices: dict[str, tuple[str, int]] | None = None) -> tuple[Path, list[tuple[float, float]]]:
    """``speak``, and the (start, end) seconds of each line in the WAV: where each voice really spoke.
    ``voices`` gives other (espeak-ng voice, pitch) pairs (German, Spanish, French: tests/support/languages.py)."""
    if not shutil.which("espeak-ng"):
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    out.parent.mkdir(parents=True, exist_ok=True)
    pieces, rate, spans, at = [], None, [], 0
    for n, (who, text) in enumerate(lines):
        voice, pitch = (voices or VOICES)[who]
        part = out.with_name(f"{out.stem}.{n}.wav")
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-s", "150", "-w", str(part), text], check=True)
        with wave.open(str(part), "rb") as w:
            rate = w.getframerate()
            pieces.append(np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16))
        part.unlink()
        spans.append((at / rate, (at + len(pieces[-1])) / rate))
        pieces.append(np.zeros(int(rate * pause), dtype=np.int16))
        at += len(pieces[-2]) + len(pieces[-1])
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.concatenate(pieces).tobytes())
    return out, spans


def at_16k(wav: Path) -> np.ndarray:
    """A 16-bit WAV (espeak-ng's, at its own rate) as the pipeline's audio: 16 kHz float32 in [-1, 1]."""
    import scipy.signal

    with wave.open(str(wav), "rb") as w:
        rate, pcm = w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)
    return scipy.signal.resample_poly(pcm.astype(np.float32) / 32768, 16_000, rate).astype(np.float32)


def video_without_audio(out: Path, seconds: int = 3) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}", "-c:v", "libx264",
           "-pix_fmt", "yuv420p", str(out))
    return out


def silent_audio(out: Path, seconds: int = 5) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"anullsrc=r=16000:cl=mono:d={seconds}", str(out))
    return out


def zero_length_wav(out: Path) -> Path:
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
    return out


def truncated(src: Path, out: Path, keep: float = 0.3) -> Path:
    data = src.read_bytes()
    out.write_bytes(data[: int(len(data) * keep)])
    return out
