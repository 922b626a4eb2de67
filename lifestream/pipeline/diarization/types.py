"""What a diarizer is asked and what it answers, independent of the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from lifestream.errors import ConfigError
from lifestream.models import SpeakerTurn


class SpeakerCountError(ConfigError):
    """A speaker count or bounds that cannot hold (e.g. min above max)."""


@dataclass(frozen=True)
class SpeakerCount:
    """What the person knows of the number of speakers: nothing, the exact count, or bounds."""

    exact: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None

    def __post_init__(self) -> None:
        for name, what in (("exact", "The number"), ("min_speakers", "The minimum number"),
                           ("max_speakers", "The maximum number")):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise SpeakerCountError(f"{what} of speakers must be 1 or more.")
        if self.min_speakers and self.max_speakers and self.min_speakers > self.max_speakers:
            raise SpeakerCountError(
                f"At least {self.min_speakers} and at most {self.max_speakers} speakers cannot both hold.")
        if self.exact and ((self.min_speakers and self.exact < self.min_speakers)
                           or (self.max_speakers and self.exact > self.max_speakers)):
            raise SpeakerCountError(f"{self.exact} speakers lies outside the bounds given.")

    def clamp(self, estimate: int) -> int:
        """The estimated count, overridden by what the person said."""
        if self.exact:
            return self.exact
        if self.min_speakers:
            estimate = max(estimate, self.min_speakers)
        if self.max_speakers:
            estimate = min(estimate, self.max_speakers)
        return estimate

    @property
    def constrained(self) -> bool:
        return bool(self.exact or self.min_speakers or self.max_speakers)


@dataclass(frozen=True)
class SpeakerProfile:
    """One speaker's voice: the unit-length mean of their embeddings (CAM++, read before the final
    ReLU; 192 values) and the seconds of clean, non-overlapped speech it rests on."""

    centroid: np.ndarray
    seconds: float


@dataclass(frozen=True)
class Diarization:
    """Who spoke when.

    ``turns`` are overlap-aware: where two people speak at once, both have a turn.
    ``exclusive`` gives each moment to one speaker, the most active one, for
    attributing words. ``speakers`` maps each label to its voice profile (empty
    for backends that do not expose embeddings).
    """

    turns: list[SpeakerTurn]
    exclusive: list[SpeakerTurn] = field(default_factory=list)
    speakers: dict[str, SpeakerProfile] = field(default_factory=dict)

    @property
    def labels(self) -> list[str]:
        """In their numbers' order (SPEAKER_2 before SPEAKER_10): the diarizer numbers them as they first speak."""
        return sorted({t.speaker for t in self.turns}, key=lambda label: (len(label), label))


class Diarizer(Protocol):
    name: str

    def diarize(self, audio: np.ndarray, count: SpeakerCount | None = None) -> Diarization: ...

    def load_models(self) -> None:
        """Load every model ``diarize`` needs now, not on first use (``lifestream models --diarization``)."""
