"""The meeting record: transcript, speakers, scenes, chunks and minutes.

These models are the versioned schema of ``meeting.json``; bump
``SCHEMA_VERSION`` when a field changes meaning or disappears.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, Field

# 1.1: speaker names carry where they came from (speaker_name_sources, name_candidates).
SCHEMA_VERSION = "1.1"


class Word(BaseModel):
    start: float
    end: float
    text: str
    probability: float = 1.0
    speaker: str | None = None


class Segment(BaseModel):
    """One recognised utterance, split at speaker changes."""

    id: int
    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = Field(default_factory=list)


class SpeakerTurn(BaseModel):
    speaker: str
    start: float
    end: float


class Transcript(BaseModel):
    language: str
    language_probability: float = 0.0
    duration: float
    segments: list[Segment] = Field(default_factory=list)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()


class Scene(BaseModel):
    index: int
    start: float
    end: float
    keyframe: str | None = None  # path relative to the meeting's result folder
    keyframe_time: float | None = None


class Chunk(BaseModel):
    index: int
    start: float
    end: float
    segment_ids: list[int]
    speakers: list[str]
    scene_indexes: list[int] = Field(default_factory=list)
    keyframes: list[str] = Field(default_factory=list)
    text: str = ""


class Point(BaseModel):
    """A statement in the minutes, tied to where it was said."""

    text: str
    speaker: str | None = None
    timestamp: float | None = None


class SpeakerPoints(BaseModel):
    speaker: str
    points: list[Point] = Field(default_factory=list)


class ActionItem(BaseModel):
    task: str
    owner: str | None = None
    due: str | None = None  # as said ("by Friday"); resolved date below when possible
    due_date: str | None = None  # ISO date
    timestamp: float | None = None
    speaker: str | None = None


class Minutes(BaseModel):
    kind: Literal["minutes", "diary"] = "minutes"
    title: str
    summary: str
    key_points: list[SpeakerPoints] = Field(default_factory=list)
    decisions: list[Point] = Field(default_factory=list)
    action_items: list[ActionItem] = Field(default_factory=list)
    open_questions: list[Point] = Field(default_factory=list)
    generator: str = "offline"


class ChunkMinutes(BaseModel):
    chunk_index: int
    start: float
    end: float
    minutes: Minutes


class Classification(BaseModel):
    is_meeting: bool
    confidence: float
    reason: str
    speakers: int
    turns_per_minute: float
    speech_ratio: float
    dominant_speaker_share: float


class SourceInfo(BaseModel):
    name: str
    sha256: str
    size_bytes: int
    format: str
    duration: float
    has_video: bool
    width: int | None = None
    height: int | None = None


# Where a speaker's name came from. Recording cues first; "chat-member" (a member of the conversation
# the recording was shared in) and "voiceprint" (a remembered voice) are fed by the chat and voice features.
NameSource = Literal["introduction", "addressed", "llm", "rename", "chat-member", "voiceprint"]


class NameCandidate(BaseModel):
    """One piece of evidence that a speaker is (or, with ``supports=False``, is not) someone."""

    speaker: str
    name: str
    source: NameSource
    confidence: float = Field(ge=0.0, le=1.0)
    supports: bool = True
    evidence: str = ""  # the words that gave it: "This is Diane in New Jersey."
    timestamp: float | None = None
    person_id: str | None = None  # a chat member's id (Slack user id, Teams user id) once linked


class SpeakerName(BaseModel):
    """The name a speaker is shown with, and why."""

    name: str
    source: NameSource  # the strongest evidence's source
    confidence: float = Field(ge=0.0, le=1.0)
    confirmed: bool = False  # a person gave it (rename): no guess ever replaces it
    person_id: str | None = None
    evidence: list[NameCandidate] = Field(default_factory=list)

    @property
    def how(self) -> str:
        """For people, in a few words: "introduced", "recognised by voice"."""
        return _HOW[self.source]

    @property
    def described(self) -> str:
        """For people: how the name was found ("introduced: “This is Diane in New Jersey.”")."""
        quote = next((c.evidence for c in self.evidence if c.supports and c.evidence), "")
        return self.how + (f": “{quote}”" if quote and self.source in ("introduction", "addressed", "llm") else "")


_HOW: dict[str, str] = {"introduction": "introduced", "addressed": "addressed by name", "llm": "read by the model",
                        "rename": "named by a person", "chat-member": "chat member", "voiceprint": "recognised by voice"}


class SpeakerInsight(BaseModel):
    """One speaker's share of the conversation."""

    speaker: str
    talk_seconds: float
    share: float  # of all speaking time, 0..1
    turns: int
    words: int
    words_per_minute: float | None = None  # None below a few seconds of speech
    questions: int = 0
    longest_turn_seconds: float = 0.0


class Monologue(BaseModel):
    speaker: str
    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class QuestionAsked(BaseModel):
    speaker: str
    text: str
    timestamp: float
    answered: bool  # another speaker replied with a statement soon after


class Insights(BaseModel):
    """Numbers about how the meeting went, computed from the transcript and the speaker turns."""

    duration: float
    speech_seconds: float  # time anyone was speaking, overlaps counted once
    silence_ratio: float  # of the duration, 0..1
    turns: int
    words: int
    words_per_minute: float | None = None
    speakers: list[SpeakerInsight] = Field(default_factory=list)
    longest_monologue: Monologue | None = None
    questions: list[QuestionAsked] = Field(default_factory=list)

    @property
    def questions_asked(self) -> int:
        return len(self.questions)

    @property
    def questions_open(self) -> int:
        return sum(not q.answered for q in self.questions)


class Meeting(BaseModel):
    schema_version: str = SCHEMA_VERSION
    meeting_id: str
    created_at: datetime = Field(default_factory=lambda: datetime.now(timezone.utc))
    source: SourceInfo
    language: str | None = None
    speakers: list[str] = Field(default_factory=list)
    # label → the name every surface shows (guessed or confirmed); kept beside its provenance so
    # readers of schema 1.0 keep working.
    speaker_names: dict[str, str] = Field(default_factory=dict)
    speaker_name_sources: dict[str, SpeakerName] = Field(default_factory=dict)
    # All the naming evidence, kept so that a rename can settle the other speakers again.
    name_candidates: list[NameCandidate] = Field(default_factory=list)
    transcript: Transcript | None = None
    turns: list[SpeakerTurn] = Field(default_factory=list)
    scenes: list[Scene] = Field(default_factory=list)
    chunks: list[Chunk] = Field(default_factory=list)
    chunk_minutes: list[ChunkMinutes] = Field(default_factory=list)
    minutes: Minutes | None = None
    classification: Classification | None = None
    timings: dict[str, float] = Field(default_factory=dict)
    # Stages whose results came from an earlier attempt's checkpoint (lifestream.pipeline.checkpoints).
    resumed: list[str] = Field(default_factory=list)
    models: dict[str, str] = Field(default_factory=dict)
    # Absent in meetings processed before these existed; readers compute insights on the fly then.
    insights: Insights | None = None
    # What personal-data redaction masked in the transcript, by kind; None: redaction was off.
    redactions: dict[str, int] | None = None

    def speaker_name(self, label: str | None) -> str:
        if not label:
            return "Unknown"
        return self.speaker_names.get(label, label)

    def name_source(self, label: str) -> SpeakerName | None:
        """Where a speaker's name came from; a name from before provenance was kept counts as a rename."""
        if label in self.speaker_name_sources:
            return self.speaker_name_sources[label]
        if label in self.speaker_names:
            return SpeakerName(name=self.speaker_names[label], source="rename", confidence=1.0, confirmed=True)
        return None

    def with_names(self, text: str) -> str:
        """Speaker labels inside generated text (summaries) replaced by the names people gave them."""
        if not self.speaker_names:
            return text
        return re.sub(r"\bSPEAKER_\d+\b", lambda m: self.speaker_names.get(m.group(0), m.group(0)), text)
