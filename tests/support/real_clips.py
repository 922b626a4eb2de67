"""Real multi-speaker recordings with reference speakers, for diarization tests and bench/diarization.py.

The AMI-like 30 s clips of pyannote.audio 4.0.7's sdist (``tests/data``):
``trn*`` (reference ``debug.train.rttm``) are for tuning, ``dev*``
(``debug.development.rttm``) for reporting, and for tuning only pooled with
trn (the one rule so chosen is in bench/README.md). ``scripts/setup --test`` copies
them into LIFESTREAM_TEST_CLIPS (default ~/.cache/lifestream/pyannote-audio-4.0.7-clips)
from the sdist on PyPI. The sdist's ``tst*`` clips are the project's held-out
acceptance set: setup does not copy them and nothing here reads them.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pyannote.core import Annotation, Segment

RATE = 16_000


def clips_dir() -> Path:
    default = Path.home() / ".cache" / "lifestream" / "pyannote-audio-4.0.7-clips"
    return Path(os.environ.get("LIFESTREAM_TEST_CLIPS", default))


@dataclass(frozen=True)
class Clip:
    name: str  # the RTTM's uri: trn00 … trn09, dev00, dev01
    path: Path
    reference: Annotation
    uem: Segment

    def audio(self) -> np.ndarray:
        data, rate = sf.read(str(self.path), dtype="float32")
        assert rate == RATE
        return data

    @property
    def speakers(self) -> int:
        return len(self.reference.labels())


def _rttm(path: Path) -> dict[str, Annotation]:
    out: dict[str, Annotation] = {}
    for line in path.read_text().splitlines():
        p = line.split()
        if len(p) >= 8 and p[0] == "SPEAKER":
            out.setdefault(p[1], Annotation(uri=p[1]))[Segment(float(p[3]), float(p[3]) + float(p[4]))] = p[7]
    return out


def _uem(path: Path) -> dict[str, Segment]:
    return {p[0]: Segment(float(p[2]), float(p[3])) for p in (line.split() for line in path.read_text().splitlines()) if p}


def load_clips(subset: str) -> list[Clip]:
    """``subset`` is "train" or "development" (never "test")."""
    if subset not in ("train", "development"):
        raise ValueError("only the train and development clips may be used; test is held out")
    root = clips_dir()
    refs, uems = _rttm(root / f"debug.{subset}.rttm"), _uem(root / f"debug.{subset}.uem")
    # One file is named trñ00.wav while its RTTM uri is trn00: match names by their ASCII letters.
    files = {unicodedata.normalize("NFKD", p.stem).encode("ascii", "ignore").decode(): p for p in root.glob("*.wav")}
    return [Clip(uri, files[uri], refs[uri], uems[uri]) for uri in sorted(refs)]


def available() -> bool:
    root = clips_dir()
    return (root / "debug.train.rttm").is_file() and (root / "debug.development.rttm").is_file()


def concatenate(clips: list[tuple[str, np.ndarray, Annotation]], min_seconds: float,
                name: str = "long") -> tuple[np.ndarray, Annotation]:
    """The clips one after another, repeated until at least ``min_seconds`` long, with their reference
    turns shifted along. Speaker labels keep their names, so a person heard in several clips is one."""
    pieces, reference, offset = [], Annotation(uri=name), 0.0
    while offset < min_seconds:
        for _, audio, ref in clips:
            pieces.append(audio)
            for seg, _, label in ref.itertracks(yield_label=True):
                reference[Segment(seg.start + offset, seg.end + offset)] = label
            offset += len(audio) / RATE
    return np.concatenate(pieces), reference


def require() -> None:
    """Skip a test when the clips are missing; fail it where the tools are required (CI)."""
    if available():
        return
    reason = f"no diarization clips in {clips_dir()} (scripts/setup --test fetches them)"
    if os.environ.get("LIFESTREAM_REQUIRE_TOOLS", "") not in ("", "0", "false"):
        pytest.fail(reason + " - LIFESTREAM_REQUIRE_TOOLS is set")
    pytest.skip(reason)
