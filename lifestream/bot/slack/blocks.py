"""What the Slack bot shows, in Block Kit and mrkdwn: minutes, status, failures, answers, modals.

A message holds at most 50 blocks and a section's text at most 3000
characters; long minutes continue in further messages of the same thread
rather than being cut.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from lifestream.bot.renames import MAX_NAME, changed_names, rename_fields
from lifestream.bot.slack import mrkdwn
from lifestream.bot.slack.mrkdwn import escape
from lifestream.links import download_link
from lifestream.models import Meeting
from lifestream.pipeline import insights
from lifestream.timefmt import clock
from lifestream.workers.jobstore import Job
from lifestream.workers.status_line import status_line

# The Download buttons under the minutes: a signed link to each export.
DOWNLOADS = (("pdf", "Download PDF"), ("docx", "Download Word"))
MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150


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


def _speakers_line(meeting: Meeting) -> str:
    """Who is who, and how each name was found: people can see a guess for what it is, and fix it."""
    parts = []
    for label in meeting.speakers:
        source = meeting.name_source(label)
        if source is not None:
            parts.append(f"{escape(source.name)} ({escape(label)}): {escape(source.how)}")
    return "Speakers: " + " · ".join(parts) if parts else ""


SHARED_ELSEWHERE = ("This recording was first shared in another conversation: these are its minutes from there. "
                    "Renaming its speakers and re-running it are done in that conversation, and /ask finds it "
                    "for that conversation's members.")


def minutes_blocks(meeting: Meeting, *, link: str | None = None, job_id: str | None = None,
                   shared_elsewhere: bool = False, recording_gone: str | None = None,
                   mentions: Mapping[str, str] | None = None, note: str | None = None) -> list[list[dict]]:
    """The minutes as a list of messages (each a list of blocks) for one thread.

    ``shared_elsewhere``: a copy for a conversation the recording was not first shared in, where the
    buttons that act on the meeting would act on the other conversation's minutes; it has none of them.
    ``recording_gone``: why the recording is no longer kept (``workers.recordings.recording_gone``); said under
    the minutes, and there is no Re-run button then.
    ``mentions``: speaker label -> Slack user id, for speakers known to be members of the workspace the
    minutes are posted in; action items they own @-mention them, so Slack notifies them.
    ``note``: what a copy without buttons says instead of the shared-elsewhere line (mrkdwn).
    """
    m = meeting.minutes
    name = meeting.speaker_name
    mentions = mentions or {}
    if m is None:
        return [[{"type": "section", "text": {"type": "mrkdwn", "text": "No minutes were produced."}}]]
    facts = [escape(meeting.source.name), clock(meeting.source.duration),
             f"{len(meeting.speakers)} speaker{'s' if len(meeting.speakers) != 1 else ''}"]
    if meeting.classification and not meeting.classification.is_meeting:
        facts.append("not a meeting: diary-style summary")
    if link:
        facts.append(mrkdwn.link(link, "Full minutes and transcript"))
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": m.title[:MAX_HEADER], "emoji": False}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(facts)}]},
    ]
    if shared_elsewhere:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note or SHARED_ELSEWHERE}]})
    if meeting.transcript and meeting.transcript.segments:
        line = insights.compact_line(insights.of(meeting), meeting.speaker_name)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(line)}]})
    if who := _speakers_line(meeting):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": who[:MAX_SECTION]}]})
    blocks += _sections("Summary" if m.kind == "minutes" else "Diary", [escape(meeting.with_names(m.summary))])
    if m.decisions:
        blocks += _sections("Decisions", [f"• {escape(d.text)} — {escape(name(d.speaker))} `{clock(d.timestamp)}`"
                                          for d in m.decisions])
    items = []
    for a in m.action_items:
        if person := mentions.get(a.owner) if a.owner else None:
            owner = f"<@{person}>"  # a real mention: Slack shows the name and notifies them
        else:
            owner = "*team*" if a.owner == "team" else f"*{escape(name(a.owner))}*" if a.owner else "*unassigned*"
        due = f", due {escape(a.due_date or a.due or '')}" if (a.due_date or a.due) else ""
        items.append(f"• {escape(a.task)} — {owner}{due} `{clock(a.timestamp)}`")
    blocks += _sections("Action items", items or ["_none recorded_"])
    for group in m.key_points:
        blocks += _sections(f"{escape(name(group.speaker))} ({escape(group.speaker)})",
                            [f"• {escape(p.text)} `{clock(p.timestamp)}`" for p in group.points])
    if m.open_questions:
        blocks += _sections("Open questions", [f"• {escape(q.text)} — {escape(name(q.speaker))}" for q in m.open_questions])

    buttons: list[dict] = [] if shared_elsewhere else [
        {"type": "button", "action_id": "ask_meeting", "text": {"type": "plain_text", "text": "Ask about this meeting"},
         "value": meeting.meeting_id},
        {"type": "button", "action_id": "rename_speaker", "text": {"type": "plain_text", "text": "Rename speakers"},
         "value": meeting.meeting_id},
    ]
    if link:
        # URL buttons: Slack opens the signed export link in the browser, which saves the file.
        buttons += [{"type": "button", "action_id": f"download_{fmt}", "url": download_link(link, fmt),
                     "text": {"type": "plain_text", "text": label}} for fmt, label in DOWNLOADS]
    if recording_gone:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn",
                                                        "text": f":wastebasket: {escape(recording_gone)}"}]})
    elif job_id and not shared_elsewhere:
        buttons.append({"type": "button", "action_id": "rerun_job", "text": {"type": "plain_text", "text": "Re-run"},
                        "value": job_id})
    # Messages of at most 50 blocks; the buttons end the last one (an actions block may not be empty).
    if buttons:
        blocks.append({"type": "actions", "block_id": "minutes_actions", "elements": buttons})
    return [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]


def preview_blocks(meeting: Meeting, *, failed: bool = False) -> list[dict]:
    """A long recording's early minutes (``lifestream.pipeline.preview``) as one message, until the whole
    minutes take its place: no buttons (the meeting is not searchable or renamable yet). ``failed``: the rest
    of the recording failed, so they stay the only minutes until a retry."""
    covered = meeting.transcript.duration if meeting.transcript else 0.0
    if failed:
        note = (f":warning: *Early minutes* of the first {clock(covered)} of {clock(meeting.source.duration)} "
                "only: the rest of the recording could not be processed (see why below). If a retry succeeds, "
                "the whole meeting's minutes will replace them here.")
    else:
        note = (f":hourglass_flowing_sand: *Early minutes* of the first {clock(covered)} of "
                f"{clock(meeting.source.duration)}. The whole meeting's minutes will replace them here; "
                "its speakers may be numbered differently.")
    return minutes_blocks(meeting, shared_elsewhere=True, note=note)[0]


def fallback_text(meeting: Meeting, *, early: bool = False) -> str:
    """The notification / screen-reader text that accompanies blocks (mrkdwn, like every ``text``); ``early``:
    for a long recording's early minutes."""
    m = meeting.minutes
    return f"{'Early minutes' if early else 'Minutes'}: {escape(m.title)}" if m else f"Processed {escape(meeting.source.name)}"


def status_text(job: Job, name: str | None = None) -> str:
    name = escape(name or job.source_name)
    length = f" (≈{max(1, round(job.duration / 60))} min)" if job.duration else ""
    if job.stage:
        return f":hourglass_flowing_sand: Processing *{name}*{length}… {escape(status_line(job))}"
    return f":hourglass_flowing_sand: Processing *{name}*{length}…"


def failure_blocks(job: Job) -> list[dict]:
    hint = "Retrying may help." if job.retryable else "Retrying will not fix this recording."
    return [
        {"type": "section", "text": {"type": "mrkdwn",
                                     "text": f":warning: I couldn't process *{escape(job.source_name)}*: "
                                             f"{escape(job.reason or 'the job failed.')}\n{hint}"}},
        {"type": "actions", "block_id": "failed_actions", "elements": [
            {"type": "button", "action_id": "retry_job", "text": {"type": "plain_text", "text": "Retry"},
             "value": job.id}]},
    ]


def answer_blocks(question: str, text: str, *, share: dict | None = None, shared_by: str | None = None,
                  note: str | None = None) -> list[dict]:
    """An answer (``text``: mrkdwn, already escaped). ``share``: the button's value (the question and the
    meetings cited), for the asker's private copy; ``shared_by``/``note``: the copy shared in a channel."""
    blocks: list[dict] = [{"type": "section", "text": {"type": "mrkdwn", "text": f"*Q:* {escape(question)}"[:3000]}},
              {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000] or "_no answer_"}}]
    if shared_by:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Shared by {mrkdwn.mention(shared_by)}"}]})
    if note:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(note)}]})
    if share is not None:
        blocks.append({"type": "actions", "elements": [{"type": "button", "action_id": "share_answer",
                                                        "text": {"type": "plain_text", "text": "Share in channel"},
                                                        "value": json.dumps(share, ensure_ascii=False)}]})
    return blocks


def ask_modal(meeting_id: str, channel: str) -> dict:
    return {
        "type": "modal", "callback_id": "ask_meeting_modal", "title": {"type": "plain_text", "text": "Ask LifeStream"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "private_metadata": json.dumps({"meeting_id": meeting_id, "channel": channel}),
        "blocks": [{"type": "input", "block_id": "question", "label": {"type": "plain_text", "text": "Your question"},
                    "element": {"type": "plain_text_input", "action_id": "text"}}],
    }


def rename_modal(job_id: str, meeting: Meeting, *, where: dict | None = None) -> dict:
    """A box per speaker, prefilled with the name shown now; the boxes' first values travel in the metadata,
    so the submission changes only what the person changed (an emptied box clears a wrong guess).

    ``where``: the team and channel the form was opened in, checked again when it is saved.
    """
    fields = rename_fields(meeting)
    blocks = []
    for f in fields:
        element: dict = {"type": "plain_text_input", "action_id": "name", "max_length": MAX_NAME}
        if f.placeholder:
            element["placeholder"] = {"type": "plain_text", "text": f.placeholder[:150]}
        if f.value:
            element["initial_value"] = f.value
        block = {"type": "input", "block_id": f.label, "optional": True,
                 "label": {"type": "plain_text", "text": f.label}, "element": element}
        if f.hint:
            block["hint"] = {"type": "plain_text", "text": f.hint}
        blocks.append(block)
    return {
        "type": "modal", "callback_id": "rename_speakers_modal",
        "title": {"type": "plain_text", "text": "Name the speakers"}, "submit": {"type": "plain_text", "text": "Save"},
        "private_metadata": json.dumps({"job_id": job_id, **(where or {}), "before": {f.label: f.value for f in fields}}),
        "blocks": blocks,
    }


def submitted_names(view: dict) -> dict[str, str]:
    """The names a rename modal's submission changes (label -> name, "" to clear one)."""
    meta = json.loads(view.get("private_metadata") or "{}")
    values = {block_id: (v.get("name") or {}).get("value") for block_id, v in view["state"]["values"].items()}
    return changed_names(values, meta.get("before") or {})
