"""What the index stores: overlapping transcript windows and the minutes' items.

A passage is a window of consecutive segments, about 30-60 s long, cut on
segment boundaries so no sentence is split; consecutive windows overlap by
about 15 s so an answer said across a cut is still whole in one of them.
Action items and decisions become records of their own, so "what did Alice
promise?" can match the structured item, not only the talk around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

from lifestream.models import Meeting, Segment
from lifestream.timefmt import clock

RecordKind = Literal["passage", "action_item", "decision"]

WINDOW_TARGET_SECONDS = 45.0
WINDOW_MAX_SECONDS = 60.0
WINDOW_OVERLAP_SECONDS = 15.0


class Line(BaseModel):
    """One utterance inside a record: what a citation points at."""

    start: float
    end: float
    speaker: str
    text: str


class SearchRecord(BaseModel):
    id: str
    kind: RecordKind
    meeting_id: str
    workspace: str
    conversation: str  # the channel / chat the meeting belongs to: the unit of access control
    title: str
    date: str  # ISO date of the meeting
    timestamp: float  # the meeting's start as Unix seconds, for date-range filters
    start: float
    end: float
    speaker: str  # who said most of it (passages) or whose item it is
    speakers: list[str] = Field(default_factory=list)
    keyframe: str | None = None
    text: str
    lines: list[Line] = Field(default_factory=list)

    @property
    def speaker_keys(self) -> list[str]:
        """Speakers folded for case-insensitive filtering."""
        return sorted({s.casefold() for s in self.speakers})

    def embedding_text(self) -> str:
        # Speaker names in the text let "what did Sheila say" match. A passage is embedded while the minutes,
        # and with them the title, are still being written (``Indexer.embed_ahead``): its title counts through
        # keyword search only. An item comes from the minutes, so its meeting's topic goes with it.
        return self.text if self.kind == "passage" else f"{self.title}\n{self.text}"

    def citation_label(self, line: Line | None = None) -> str:
        line = line or (self.lines[0] if self.lines else None)
        speaker = line.speaker if line else self.speaker
        start = line.start if line else self.start
        return f"[{self.title}, {speaker}, {clock(start)}]"


def passage_windows(segments: Sequence[Segment], *, target: float = WINDOW_TARGET_SECONDS,
                    max_len: float = WINDOW_MAX_SECONDS, overlap: float = WINDOW_OVERLAP_SECONDS) -> list[list[Segment]]:
    """Group consecutive segments into overlapping windows of about ``target`` seconds."""
    segments = [s for s in segments if s.text.strip()]
    windows: list[list[Segment]] = []
    i, n = 0, len(segments)
    while i < n:
        j = i
        while (j + 1 < n and segments[j].end - segments[i].start < target
               and segments[j + 1].end - segments[i].start <= max_len):
            j += 1
        windows.append(segments[i:j + 1])
        if j == n - 1:
            break
        # The next window starts at the first segment inside the overlap, and always moves forward.
        cut = segments[j].end - overlap
        i = next((k for k in range(i + 1, j + 1) if segments[k].start >= cut), j + 1)
    return windows


def _keyframe_within(meeting: Meeting, start: float, end: float) -> str | None:
    middle = (start + end) / 2
    inside = [s for s in meeting.scenes
              if s.keyframe and s.keyframe_time is not None and start <= s.keyframe_time <= end]
    if not inside:
        return None
    return min(inside, key=lambda s: abs((s.keyframe_time or 0.0) - middle)).keyframe


def _dominant_speaker(lines: Sequence[Line]) -> str:
    talk: dict[str, float] = {}
    for line in lines:
        talk[line.speaker] = talk.get(line.speaker, 0.0) + max(line.end - line.start, 0.01)
    return max(talk, key=lambda speaker: talk[speaker]) if talk else "Unknown"


def meeting_title(meeting: Meeting) -> str:
    return meeting.minutes.title if meeting.minutes and meeting.minutes.title else meeting.source.name


def records_for_meeting(meeting: Meeting, *, workspace: str, conversation: str) -> list[SearchRecord]:
    """The passages and, once the minutes are written, the action items and decisions."""
    return (passage_records(meeting, workspace=workspace, conversation=conversation)
            + item_records(meeting, workspace=workspace, conversation=conversation))


def _common(meeting: Meeting, workspace: str, conversation: str) -> dict:
    return dict(meeting_id=meeting.meeting_id, workspace=workspace, conversation=conversation,
                title=meeting_title(meeting), date=meeting.created_at.date().isoformat(),
                timestamp=meeting.created_at.timestamp())


def passage_records(meeting: Meeting, *, workspace: str, conversation: str) -> list[SearchRecord]:
    """The transcript's overlapping windows: all they need is the transcript and the speakers' names."""
    common = _common(meeting, workspace, conversation)
    records: list[SearchRecord] = []
    segments = meeting.transcript.segments if meeting.transcript else []
    for n, window in enumerate(passage_windows(segments)):
        lines = [Line(start=s.start, end=s.end, speaker=meeting.speaker_name(s.speaker), text=s.text.strip())
                 for s in window]
        start, end = window[0].start, window[-1].end
        records.append(SearchRecord(
            id=f"{meeting.meeting_id}:p{n}", kind="passage", start=start, end=end,
            speaker=_dominant_speaker(lines), speakers=list(dict.fromkeys(line.speaker for line in lines)),
            keyframe=_keyframe_within(meeting, start, end),
            text="\n".join(f"{line.speaker}: {line.text}" for line in lines), lines=lines, **common,
        ))
    return records


def item_records(meeting: Meeting, *, workspace: str, conversation: str) -> list[SearchRecord]:
    """The minutes' action items and decisions, a record each (none before the minutes are written)."""
    common = _common(meeting, workspace, conversation)
    records: list[SearchRecord] = []
    if meeting.minutes:
        for n, item in enumerate(meeting.minutes.action_items):
            owner = meeting.speaker_name(item.owner) if item.owner else None
            said_by = meeting.speaker_name(item.speaker) if item.speaker else None
            who = owner or said_by or "Unknown"
            due = f" (due {item.due_date or item.due})" if (item.due or item.due_date) else ""
            text = f"Action item for {who}: {item.task}{due}"
            at = item.timestamp or 0.0
            records.append(SearchRecord(
                id=f"{meeting.meeting_id}:a{n}", kind="action_item", start=at, end=at, speaker=who,
                speakers=list(dict.fromkeys(s for s in (owner, said_by) if s)) or [who],
                keyframe=_keyframe_within(meeting, at, at + 10), text=text,
                lines=[Line(start=at, end=at, speaker=said_by or who, text=text)], **common,
            ))
        for n, point in enumerate(meeting.minutes.decisions):
            who = meeting.speaker_name(point.speaker)
            at = point.timestamp or 0.0
            text = f"Decision: {point.text}"
            records.append(SearchRecord(
                id=f"{meeting.meeting_id}:d{n}", kind="decision", start=at, end=at, speaker=who, speakers=[who],
                keyframe=_keyframe_within(meeting, at, at + 10), text=text,
                lines=[Line(start=at, end=at, speaker=who, text=text)], **common,
            ))
    return records
