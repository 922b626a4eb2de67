"""A workspace's voiceprints, one small JSON object per person, in the workspace's people folder.

A voiceprint is what LifeStream remembers of a voice: the embedding centroids of the meetings it
was learned from (at most ``MAX_SOURCES``, newest kept), with the seconds of clean speech behind
each, and their duration-weighted mean, which is what new speakers are compared with. No audio, no
transcript. A person who asks to be forgotten keeps only a marker that says so (``forgotten``), so
that the next meeting does not learn their voice again; ``remember my voice`` lifts it.
"""

from __future__ import annotations

import time

import numpy as np
from pydantic import BaseModel, Field

from lifestream.people.records import key_part, read_json, workspace_prefix, write_json
from lifestream.storage import Storage
from lifestream.voiceprints.voices import EMBEDDING_MODEL

MAX_SOURCES = 10


class VoiceSample(BaseModel):
    """One meeting's contribution: that speaker's centroid there."""

    meeting_id: str
    vector: list[float]
    seconds: float
    at: float = Field(default_factory=time.time)


class Voiceprint(BaseModel):
    workspace: str
    person_id: str  # Slack user id, Teams user id
    name: str  # as last named, for people reading the list
    model: str = EMBEDDING_MODEL
    samples: list[VoiceSample] = Field(default_factory=list)
    forgotten: bool = False  # the person asked to be forgotten: nothing is kept or learned
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)

    @property
    def seconds(self) -> float:
        return round(sum(s.seconds for s in self.samples), 1)

    @property
    def meetings(self) -> list[str]:
        return [s.meeting_id for s in self.samples]

    def vector(self) -> np.ndarray | None:
        """The duration-weighted mean of the samples, unit length; None with no samples."""
        if not self.samples:
            return None
        total = sum(
            (np.asarray(s.vector, np.float64) * s.seconds for s in self.samples), np.zeros(len(self.samples[0].vector))
        )
        norm = float(np.linalg.norm(total))
        return (total / norm).astype(np.float32) if norm > 0 else None

    def with_sample(self, sample: VoiceSample, name: str) -> Voiceprint:
        """This voiceprint learning from a meeting; a meeting it already learned from is replaced, not added."""
        kept = [s for s in self.samples if s.meeting_id != sample.meeting_id]
        samples = sorted([*kept, sample], key=lambda s: s.at)[-MAX_SOURCES:]
        return self.model_copy(update={"samples": samples, "name": name, "updated_at": time.time()})

    def without_meeting(self, meeting_id: str) -> Voiceprint:
        return self.model_copy(
            update={"samples": [s for s in self.samples if s.meeting_id != meeting_id], "updated_at": time.time()}
        )


class VoiceprintStore:
    """Voiceprints in storage, under ``people/<workspace>/voiceprints/``: never read across workspaces."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def _folder(self, workspace: str) -> str:
        return f"{workspace_prefix(workspace)}voiceprints/"

    def _key(self, workspace: str, person_id: str) -> str:
        return f"{self._folder(workspace)}{key_part(person_id)}.json"

    def get(self, workspace: str, person_id: str) -> Voiceprint | None:
        found = read_json(self.storage, self._key(workspace, person_id), Voiceprint)
        # A record is only ever read back under the workspace and person it was written for.
        return found if found and found.workspace == workspace and found.person_id == person_id else None

    def all(self, workspace: str) -> list[Voiceprint]:
        """Every record of the workspace, forgotten markers included."""
        out = []
        for obj in self.storage.list(self._folder(workspace)):
            if obj.key.endswith(".json"):
                found = read_json(self.storage, obj.key, Voiceprint)
                if found is not None and found.workspace == workspace:
                    out.append(found)
        return sorted(out, key=lambda v: v.name.lower())

    def gallery(self, workspace: str, model: str = EMBEDDING_MODEL) -> list[Voiceprint]:
        """The voices new speakers are compared with: not forgotten, with samples, of the same model."""
        return [v for v in self.all(workspace) if not v.forgotten and v.samples and v.model == model]

    def put(self, voiceprint: Voiceprint) -> None:
        if not voiceprint.samples and not voiceprint.forgotten:  # nothing left to remember
            self.storage.delete(self._key(voiceprint.workspace, voiceprint.person_id))
            return
        write_json(self.storage, self._key(voiceprint.workspace, voiceprint.person_id), voiceprint)

    def forget(self, workspace: str, person_id: str) -> bool:
        """Delete a person's voiceprint and stop learning it; True if there was one to delete."""
        existing = self.get(workspace, person_id)
        had = existing is not None and bool(existing.samples)
        write_json(
            self.storage,
            self._key(workspace, person_id),
            Voiceprint(
                workspace=workspace, person_id=person_id, name=existing.name if existing else "", forgotten=True
            ),
        )
        return had

    def allow(self, workspace: str, person_id: str) -> bool:
        """Lift a person's "forget me": their voice may be learned again. True if it had been forgotten."""
        existing = self.get(workspace, person_id)
        if existing is None or not existing.forgotten:
            return False
        self.storage.delete(self._key(workspace, person_id))
        return True
