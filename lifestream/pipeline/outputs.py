"""Write a processed meeting: minutes.md, meeting.json, transcript.vtt and transcript.srt."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from lifestream.models import ActionItem, Meeting, Minutes
from lifestream.pipeline import insights
from lifestream.pipeline.phrasing import TEAM, action_sentence
from lifestream.timefmt import clock, cue


def _due(a: ActionItem) -> str:
    if not (a.due or a.due_date):
        return ""
    return f"due {a.due_date or a.due}" + (f" ({a.due})" if a.due_date and a.due else "")


def _listener(meeting: Meeting, a: ActionItem) -> str | None:
    """Who the speaker of an action item was talking to: the last other speaker within half a minute."""
    if a.timestamp is None or meeting.transcript is None:
        return None
    before = [s for s in meeting.transcript.segments
              if s.start < a.timestamp and s.speaker and s.speaker != a.speaker and a.timestamp - s.end < 30]
    return before[-1].speaker if before else None


def action_line(meeting: Meeting, a: ActionItem, generator: str) -> str:
    """One action item for minutes.md: a sentence about the owner by name where the task came from speech."""
    name = meeting.speaker_name
    if generator.startswith("offline"):
        # The offline task is the words said after "I'll" / "can you" / "we need to": a verb phrase.
        sentence, due = action_sentence(a, name, _listener(meeting, a)), _due(a)
        owner = "The team" if a.owner == TEAM else name(a.owner) if a.owner else None
        if owner and sentence.startswith(f"{owner} will "):
            sentence = f"**{owner}**{sentence[len(owner):]}"
        return f"- [ ] {sentence}" + (f" — {due}" if due else "") + f" [{clock(a.timestamp)}]"
    owner = name(a.owner) if a.owner and a.owner != TEAM else (a.owner or "unassigned")
    due = f", {_due(a)}" if _due(a) else ""
    return f"- [ ] {meeting.with_names(a.task)} — **{owner}**{due} [{clock(a.timestamp)}]"


def minutes_markdown(meeting: Meeting, minutes: Minutes | None = None) -> str:
    m = minutes or meeting.minutes
    if m is None:
        return f"# {meeting.source.name}\n\n(no minutes)\n"
    name = meeting.speaker_name
    lines = [f"# {m.title}", ""]
    c = meeting.classification
    lines.append(
        f"_{meeting.source.name} · {clock(meeting.source.duration)} · "
        f"{len(meeting.speakers)} speaker{'s' if len(meeting.speakers) != 1 else ''}"
        + (f" · {'meeting' if c.is_meeting else 'not a meeting'} ({c.reason})" if c else "")
        + f" · {meeting.language or '?'} · minutes by {m.generator}_"
    )
    if meeting.transcript and meeting.transcript.segments:
        lines += ["", f"_{insights.compact_line(insights.of(meeting), name)}_"]
    lines += ["", "## Summary" if m.kind == "minutes" else "## Diary", "", meeting.with_names(m.summary), ""]
    if m.decisions:
        lines += ["## Decisions", ""]
        lines += [f"- {d.text} — {name(d.speaker)} [{clock(d.timestamp)}]" for d in m.decisions]
        lines.append("")
    lines += ["## Action items", ""]
    if m.action_items:
        lines += [action_line(meeting, a, m.generator) for a in m.action_items]
    else:
        lines.append("- none recorded")
    lines.append("")
    if m.key_points:
        lines += ["## Key points by speaker", ""]
        for sp in m.key_points:
            lines.append(f"**{name(sp.speaker)}**")
            lines += [f"- {p.text} [{clock(p.timestamp)}]" for p in sp.points]
            lines.append("")
    if m.open_questions:
        lines += ["## Open questions", ""]
        lines += [f"- {q.text} — {name(q.speaker)} [{clock(q.timestamp)}]" for q in m.open_questions]
        lines.append("")
    if len(meeting.chunk_minutes) > 1:
        lines += ["## Part by part", ""]
        for cm in meeting.chunk_minutes:
            lines += [f"### {clock(cm.start)}–{clock(cm.end)}: {cm.minutes.title}", "", meeting.with_names(cm.minutes.summary), ""]
    return "\n".join(lines).rstrip() + "\n"


def _cues(meeting: Meeting):
    for seg in meeting.transcript.segments if meeting.transcript else []:
        yield seg.start, seg.end, f"{meeting.speaker_name(seg.speaker)}: {seg.text}"


def to_vtt(meeting: Meeting) -> str:
    out = ["WEBVTT", ""]
    for start, end, text in _cues(meeting):
        out += [f"{cue(start)} --> {cue(end)}", text, ""]
    return "\n".join(out)


def to_srt(meeting: Meeting) -> str:
    out = []
    for n, (start, end, text) in enumerate(_cues(meeting), 1):
        out += [str(n), f"{cue(start, ',')} --> {cue(end, ',')}", text, ""]
    return "\n".join(out)


def atomic_write(path: Path, text: str) -> None:
    """Readers (the bot, the web page) never see a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:  # a write cut short (a full disk) leaves no hidden file behind
        Path(tmp).unlink(missing_ok=True)


def write_results(meeting: Meeting, result_dir: Path) -> dict[str, Path]:
    files = {
        "minutes.md": minutes_markdown(meeting),
        "transcript.vtt": to_vtt(meeting),
        "transcript.srt": to_srt(meeting),
        # Last: its presence marks a complete result.
        "meeting.json": meeting.model_dump_json(indent=2),
    }
    paths = {}
    for name, text in files.items():
        atomic_write(result_dir / name, text)
        paths[name] = result_dir / name
    return paths
