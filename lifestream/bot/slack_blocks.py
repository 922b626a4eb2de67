"""Minutes as Slack Block Kit messages, within Slack's limits.

A message holds at most 50 blocks and a section's text at most 3000
characters; long minutes continue in further messages of the same thread
rather than being cut.
"""

from __future__ import annotations

from lifestream.models import Meeting
from lifestream.timefmt import clock

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150


def escape(text: str) -> str:
    """Slack mrkdwn treats &, < and > as markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sections(title: str, lines: list[str]) -> list[dict]:
    """One or more section blocks for ``lines``, each under the 3000-character limit."""
    blocks, current = [], f"*{title}*"
    for line in lines:
        if len(line) > MAX_SECTION - 100:
            line = line[: MAX_SECTION - 101] + "…"
        if len(current) + 1 + len(line) > MAX_SECTION:
            blocks.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    blocks.append(current)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in blocks]


def minutes_blocks(meeting: Meeting, *, link: str | None = None, job_id: str | None = None) -> list[list[dict]]:
    """The minutes as a list of messages (each a list of blocks) for one thread."""
    m = meeting.minutes
    name = meeting.speaker_name
    if m is None:
        return [[{"type": "section", "text": {"type": "mrkdwn", "text": "No minutes were produced."}}]]
    facts = [escape(meeting.source.name), clock(meeting.source.duration),
             f"{len(meeting.speakers)} speaker{'s' if len(meeting.speakers) != 1 else ''}"]
    if meeting.classification and not meeting.classification.is_meeting:
        facts.append("not a meeting: diary-style summary")
    if link:
        facts.append(f"<{link}|Full minutes and transcript>")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": m.title[:MAX_HEADER], "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(facts)}]},
    ]
    blocks += _sections("Summary" if m.kind == "minutes" else "Diary", [escape(meeting.with_names(m.summary))])
    if m.decisions:
        blocks += _sections("Decisions", [f"• {escape(d.text)} — {escape(name(d.speaker))} `{clock(d.timestamp)}`"
                                          for d in m.decisions])
    items = []
    for a in m.action_items:
        owner = "team" if a.owner == "team" else escape(name(a.owner)) if a.owner else "unassigned"
        due = f", due {a.due_date or escape(a.due or '')}" if (a.due_date or a.due) else ""
        items.append(f"• {escape(a.task)} — *{owner}*{due} `{clock(a.timestamp)}`")
    blocks += _sections("Action items", items or ["_none recorded_"])
    for group in m.key_points:
        blocks += _sections(f"{escape(name(group.speaker))} ({group.speaker})",
                            [f"• {escape(p.text)} `{clock(p.timestamp)}`" for p in group.points])
    if m.open_questions:
        blocks += _sections("Open questions", [f"• {escape(q.text)} — {escape(name(q.speaker))}" for q in m.open_questions])

    actions = {"type": "actions", "block_id": "minutes_actions", "elements": [
        {"type": "button", "action_id": "ask_meeting", "text": {"type": "plain_text", "text": "Ask about this meeting"},
         "value": meeting.meeting_id},
        {"type": "button", "action_id": "rename_speaker", "text": {"type": "plain_text", "text": "Rename speakers"},
         "value": meeting.meeting_id},
    ]}
    if job_id:
        actions["elements"].append({"type": "button", "action_id": "rerun_job",
                                    "text": {"type": "plain_text", "text": "Re-run"}, "value": job_id})
    # Messages of at most 50 blocks; the buttons end the last one.
    blocks.append(actions)
    return [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]


def fallback_text(meeting: Meeting) -> str:
    """The notification / screen-reader text that accompanies blocks."""
    m = meeting.minutes
    return f"Minutes: {m.title}" if m else f"Processed {meeting.source.name}"
