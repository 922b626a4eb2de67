"""What a minutes document says, independent of the file format that lays it out.

The Word and PDF writers render the same ``Document``: a title, the facts
(date, length, participants), summary, decisions, action items, key points by
speaker, open questions, the meeting's insights, the part-by-part summaries,
and the transcript with the keyframes as figures where their scene's
keyframe was taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lifestream.models import Insights, Meeting
from lifestream.pipeline import insights as meeting_insights
from lifestream.timefmt import clock

# Reads a keyframe (its path relative to the meeting's result folder) as image bytes; None if it is gone.
KeyframeReader = Callable[[str], bytes | None]


@dataclass(frozen=True)
class ActionRow:
    task: str
    owner: str
    due: str
    time: str


@dataclass(frozen=True)
class Figure:
    number: int
    image: bytes
    caption: str


@dataclass(frozen=True)
class Utterance:
    time: str
    speaker: str
    text: str


@dataclass(frozen=True)
class SpeakerRow:
    speaker: str
    talk: str
    share: str
    turns: str
    pace: str
    questions: str


@dataclass
class Document:
    title: str
    facts: list[tuple[str, str]]
    summary_heading: str
    summary: str
    decisions: list[str] = field(default_factory=list)
    action_items: list[ActionRow] = field(default_factory=list)
    key_points: list[tuple[str, list[str]]] = field(default_factory=list)
    open_questions: list[str] = field(default_factory=list)
    insights_line: str = ""
    insights_table: list[SpeakerRow] = field(default_factory=list)
    parts: list[tuple[str, str]] = field(default_factory=list)
    transcript: list[Utterance | Figure] = field(default_factory=list)
    has_minutes: bool = True

    @property
    def figures(self) -> list[Figure]:
        return [f for f in self.transcript if isinstance(f, Figure)]


def _owner(meeting: Meeting, owner: str | None) -> str:
    return meeting.speaker_name(owner) if owner and owner != "team" else (owner or "unassigned")


def _due(due: str | None, due_date: str | None) -> str:
    if due_date and due and due != due_date:
        return f"{due_date} ({due})"
    return due_date or due or "—"


def _speaker_rows(meeting: Meeting, ins: Insights) -> list[SpeakerRow]:
    return [SpeakerRow(speaker=meeting.speaker_name(s.speaker), talk=clock(s.talk_seconds), share=f"{s.share:.0%}",
                       turns=str(s.turns),
                       pace=f"{s.words_per_minute:.0f}" if s.words_per_minute is not None else "—",
                       questions=str(s.questions))
            for s in ins.speakers]


def _transcript(meeting: Meeting, keyframes: KeyframeReader | None) -> list[Utterance | Figure]:
    segments = meeting.transcript.segments if meeting.transcript else []
    # Each keyframe goes before the first utterance that starts after it was taken.
    pending = sorted(
        ((s.keyframe_time if s.keyframe_time is not None else s.start, s) for s in meeting.scenes if s.keyframe),
        key=lambda pair: pair[0])
    out: list[Utterance | Figure] = []
    number = 0

    def place(until: float | None) -> None:
        nonlocal number
        while pending and (until is None or pending[0][0] <= until):
            at, scene = pending.pop(0)
            data = keyframes(scene.keyframe) if keyframes and scene.keyframe else None
            if data:
                number += 1
                out.append(Figure(number=number, image=data, caption=(
                    f"Figure {number}. Scene {scene.index + 1}, {clock(scene.start)}–{clock(scene.end)}, "
                    f"frame at {clock(at)}")))

    for seg in segments:
        place(seg.start)
        out.append(Utterance(time=clock(seg.start), speaker=meeting.speaker_name(seg.speaker), text=seg.text.strip()))
    place(None)
    return out


def outline(meeting: Meeting, keyframes: KeyframeReader | None = None) -> Document:
    m = meeting.minutes
    names = meeting.with_names
    speakers = [meeting.speaker_name(s) for s in meeting.speakers]
    facts = [
        ("Date", meeting.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Recording", f"{meeting.source.name}, {clock(meeting.source.duration)}"),
        ("Participants", ", ".join(speakers) if speakers else "none detected"),
    ]
    if meeting.language:
        facts.append(("Language", meeting.language))
    if m:
        facts.append(("Minutes by", m.generator))
    if meeting.redactions is not None:
        masked = sum(meeting.redactions.values())
        facts.append(("Personal data", f"redacted ({masked} item{'s' if masked != 1 else ''} masked)"))
    ins = meeting_insights.of(meeting)
    doc = Document(
        title=m.title if m else meeting.source.name,
        facts=facts,
        summary_heading="Diary" if m and m.kind == "diary" else "Summary",
        summary=names(m.summary) if m else "No minutes were written for this recording.",
        has_minutes=m is not None,
        insights_line=meeting_insights.compact_line(ins, meeting.speaker_name),
        insights_table=_speaker_rows(meeting, ins),
        transcript=_transcript(meeting, keyframes),
    )
    if m:
        doc.decisions = [f"{names(d.text)} — {meeting.speaker_name(d.speaker)} [{clock(d.timestamp)}]"
                         for d in m.decisions]
        doc.action_items = [ActionRow(task=names(a.task), owner=_owner(meeting, a.owner), due=_due(a.due, a.due_date),
                                      time=clock(a.timestamp)) for a in m.action_items]
        doc.key_points = [(meeting.speaker_name(sp.speaker), [f"{names(p.text)} [{clock(p.timestamp)}]" for p in sp.points])
                          for sp in m.key_points]
        doc.open_questions = [f"{names(q.text)} — {meeting.speaker_name(q.speaker)} [{clock(q.timestamp)}]"
                              for q in m.open_questions]
    if len(meeting.chunk_minutes) > 1:
        doc.parts = [(f"{clock(cm.start)}–{clock(cm.end)}: {names(cm.minutes.title)}", names(cm.minutes.summary))
                     for cm in meeting.chunk_minutes]
    return doc
