"""Helpers for the search tests: meetings built from tests/data, copies of the real sample meeting."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

from lifestream.models import ActionItem, Meeting, Minutes, Point, Segment, SourceInfo, Transcript

DATA = Path(__file__).parents[1] / "data"


def constructed_meetings() -> dict[str, Meeting]:
    """The hand-written meetings of tests/data/search_meetings.json, keyed by their short key."""
    spec = json.loads((DATA / "search_meetings.json").read_text())
    meetings = {}
    for m in spec["meetings"]:
        segments = [Segment(id=i, start=s["start"], end=s["end"], text=s["text"], speaker=s["speaker"])
                    for i, s in enumerate(m["segments"])]
        duration = segments[-1].end + 1.0
        meetings[m["key"]] = Meeting(
            meeting_id=m["meeting_id"],
            created_at=datetime.fromisoformat(m["date"]).replace(hour=15, tzinfo=timezone.utc),
            source=SourceInfo(name=f"{m['key']}.m4a", sha256="0" * 64, size_bytes=1, format="m4a", duration=duration,
                              has_video=False),
            speakers=list(dict.fromkeys(s.speaker for s in segments)),
            transcript=Transcript(language="en", duration=duration, segments=segments),
            minutes=Minutes(title=m["title"], summary="", generator="test",
                            action_items=[ActionItem(**a) for a in m["action_items"]],
                            decisions=[Point(**d) for d in m["decisions"]]),
        )
    return meetings


def copy_of(meeting: Meeting, meeting_id: str, *, created_at: datetime | None = None) -> Meeting:
    update = {"meeting_id": meeting_id}
    if created_at is not None:
        update["created_at"] = created_at
    return meeting.model_copy(update=update, deep=True)


def overlaps(record, start: float, end: float, slack: float = 1.0) -> bool:
    return record.start <= end + slack and record.end >= start - slack
