"""Minutes, answers and failures as Adaptive Cards for Teams, and the short status texts around them.

Teams renders Adaptive Cards up to schema 1.5 on desktop and web but older
mobile clients stop at 1.4, so the cards stay at 1.4. A whole message may
be at most about 28 KB; long minutes are shortened (fewer points per list,
"… and N more") until the card fits, and the link to the full minutes holds
the rest.

Card actions come back to the bot as a message activity whose ``value`` is
the action's ``data`` merged with the card's inputs; ``action`` names what to
do (``ask``, ``retry``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from botbuilder.core import CardFactory
from botbuilder.schema import Attachment

from lifestream.bot.renames import MAX_NAME, changed_names, rename_fields
from lifestream.links import download_link
from lifestream.models import Meeting
from lifestream.pipeline import insights
from lifestream.timefmt import clock
from lifestream.workers.jobstore import Job
from lifestream.workers.status_line import status_line

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
MAX_CARD_BYTES = 26_000  # under Teams' ~28 KB message limit, leaving room for the activity around it
MAX_TEXT = 600  # one point or quote; longer ones are cut with "…"

ASK = "ask"
RETRY = "retry"
RENAME = "rename"
DOWNLOADS = (("pdf", "Download PDF"), ("docx", "Download Word"))  # signed links to the exports


def md(text: str | None, limit: int = MAX_TEXT, *, lines: bool = False) -> str:
    """Text from a recording, a person or an error, safe inside card markdown and Teams messages.

    Transcripts and file names are other people's words: they must not become
    links (``[x](url)``, ``[x][1]`` with a ``[1]: url`` line, ``<https://…>``),
    HTML a Teams message renders (``<a href=…>``), or bold the rest of a line.
    A zero-width space after each ``]`` and ``<`` breaks that syntax and shows
    nothing. Whitespace is collapsed (a newline would end a list item) unless
    ``lines`` keeps the line breaks of a multi-line text.
    """
    if lines:
        text = "\n".join(" ".join(line.split()) for line in (text or "").splitlines()).strip()
    else:
        text = " ".join((text or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    for token in ("]", "<", "**", "__"):
        text = text.replace(token, token[0] + "\u200b" + token[1:])
    return text


def _text(text: str, **style: Any) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _heading(text: str) -> dict:
    return _text(text, weight="Bolder", size="Medium", spacing="Medium", separator=True)


def _none() -> dict:
    return _text("_None recorded._", isSubtle=True)


def _bullets(lines: list[str], limit: int, more_hint: str = "in the full minutes") -> dict:
    shown = lines[:limit]
    if len(lines) > limit:
        shown.append(f"… and {len(lines) - limit} more {more_hint}")
    # Adaptive Card markdown: a list is lines starting with "- ", separated by single newlines.
    return _text("\n".join(f"- {line}" for line in shown))


def card(body: list[dict], actions: list[dict] | None = None) -> dict:
    content: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body,
                               "msteams": {"width": "Full"}}
    if actions:
        content["actions"] = actions
    return content


def attachment(content: dict) -> Attachment:
    return CardFactory.adaptive_card(content)


def ask_action(meeting_id: str | None, title: str = "Ask about this meeting") -> dict:
    """A question box that opens in place; its Submit comes back as {"action": "ask", "question": …}."""
    return {"type": "Action.ShowCard", "title": title, "card": {
        "type": "AdaptiveCard", "body": [
            {"type": "Input.Text", "id": "question", "placeholder": "What did we decide about…?",
             "isMultiline": False, "maxLength": 500, "isRequired": True, "errorMessage": "Type a question"}],
        "actions": [{"type": "Action.Submit", "title": "Ask",
                     "data": {"action": ASK, **({"meeting_id": meeting_id} if meeting_id else {})}}]}}


def rename_action(meeting: Meeting, job_id: str) -> dict:
    """A form with a box per speaker, prefilled with the names shown now (and how each was found).

    Its Submit comes back as {"action": "rename", "job_id", "before": {…}, "name:SPEAKER_1": …}: the
    boxes' first values travel in the data, so only what the person changed is applied.
    """
    fields = rename_fields(meeting)
    body = [{"type": "Input.Text", "id": f"name:{f.label}", "label": f"{f.label} · {f.hint}" if f.hint else f.label,
             "maxLength": MAX_NAME, "placeholder": f.placeholder or "Name", "value": f.value} for f in fields]
    return {"type": "Action.ShowCard", "title": "Rename speakers", "card": {
        "type": "AdaptiveCard", "body": body,
        "actions": [{"type": "Action.Submit", "title": "Save",
                     "data": {"action": RENAME, "job_id": job_id, "before": {f.label: f.value for f in fields}}}]}}


def submitted_names(value: dict) -> dict[str, str]:
    """The names a rename form's submission changes (label -> name, "" to clear one)."""
    typed = {k.removeprefix("name:"): str(v or "") for k, v in value.items() if k.startswith("name:")}
    before = value.get("before")
    return changed_names(typed, {str(k): str(v) for k, v in before.items()} if isinstance(before, dict) else {})


def _mention(name: str) -> str:
    # The text of a mention must match its entity exactly; angle brackets would end the tag.
    return f"<at>{' '.join(name.replace('<', '').replace('>', '').split())[:60]}</at>"


def _speakers_line(meeting: Meeting) -> str:
    """Who is who, and how each name was found: people can see a guess for what it is, and fix it."""
    parts = [f"{md(source.name, 60)} ({label}): {source.how}" for label in meeting.speakers
             if (source := meeting.name_source(label)) is not None]
    return "Speakers: " + " · ".join(parts) if parts else ""


SHARED_ELSEWHERE = ("This recording was first shared in another conversation: these are its minutes from there. "
                    "Renaming its speakers and asking about it are done in that conversation.")


def preview_card(meeting: Meeting, *, failed: bool = False) -> dict:
    """A long recording's early minutes (``lifestream.pipeline.preview``), until the whole minutes take this
    card's place: no actions (the meeting is not searchable or renamable yet). ``failed``: the rest of the
    recording failed, so they stay the only minutes until a retry."""
    covered = meeting.transcript.duration if meeting.transcript else 0.0
    if failed:
        note = (f"⚠️ Early minutes of the first {clock(covered)} of {clock(meeting.source.duration)} only: the "
                "rest of the recording could not be processed (see why below). If a retry succeeds, the whole "
                "meeting's minutes will replace them here.")
    else:
        note = (f"⏳ Early minutes of the first {clock(covered)} of {clock(meeting.source.duration)}. The whole "
                "meeting's minutes will replace them here; its speakers may be numbered differently.")
    return minutes_card(meeting, shared_elsewhere=True, note=note)


def minutes_card(meeting: Meeting, *, link: str | None = None, job_id: str | None = None,
                 shared_elsewhere: bool = False, recording_gone: str | None = None,
                 mentions: Mapping[str, str] | None = None, note: str | None = None) -> dict:
    """The minutes of one meeting, shortened as much as needed to fit in one Teams message.

    With the meeting's ``job_id`` the card offers the rename form too. ``shared_elsewhere``: a copy for a
    conversation the recording was not first shared in; it says so and offers no action on the meeting.
    ``recording_gone`` (why the recording is no longer kept) is said at its end. ``note``: what a card without
    actions says instead of the shared-elsewhere line.
    ``mentions``: speaker label -> Teams user id, for speakers known to be members of the conversation's
    tenant; action items they own @-mention them (a mention entity), so Teams notifies them.
    """
    mentions = mentions or {}
    for limit in (25, 12, 6, 3, 1):
        content = _minutes_card(meeting, link=link, job_id=job_id, limit=limit, shared_elsewhere=shared_elsewhere,
                                recording_gone=recording_gone, mentions=mentions, note=note)
        if len(json.dumps(content).encode()) <= MAX_CARD_BYTES:
            return content
    # Dozens of speakers: their points stay behind the link, the rest still fits.
    return _minutes_card(meeting, link=link, job_id=job_id, limit=1, per_speaker=False,
                         shared_elsewhere=shared_elsewhere, recording_gone=recording_gone, mentions=mentions,
                         note=note)


def _minutes_card(meeting: Meeting, *, link: str | None, job_id: str | None, limit: int,
                  per_speaker: bool = True, shared_elsewhere: bool = False,
                  recording_gone: str | None = None, mentions: Mapping[str, str] | None = None,
                  note: str | None = None) -> dict:
    mentions = mentions or {}
    m = meeting.minutes
    name = meeting.speaker_name
    facts = [md(meeting.source.name, 120), clock(meeting.source.duration),
             f"{len(meeting.speakers)} speaker{'s' if len(meeting.speakers) != 1 else ''}"]
    if meeting.classification and not meeting.classification.is_meeting:
        facts.append("not a meeting: diary-style summary")
    actions: list[dict] = []
    if link:
        actions.append({"type": "Action.OpenUrl", "title": "Full minutes and transcript", "url": link})
        actions += [{"type": "Action.OpenUrl", "title": title, "url": download_link(link, fmt)}
                    for fmt, title in DOWNLOADS]
    if not shared_elsewhere:
        actions.append(ask_action(meeting.meeting_id))
    if job_id and meeting.speakers and not shared_elsewhere:
        actions.append(rename_action(meeting, job_id))
    if m is None:
        return card([_text("No minutes were produced.", weight="Bolder"), _text(" · ".join(facts), isSubtle=True)],
                    actions)

    body: list[dict] = [
        _text(md(m.title, 150), weight="Bolder", size="Large"),
        _text(" · ".join(facts), isSubtle=True, spacing="None"),
        *([_text(md(insights.compact_line(insights.of(meeting), name), 400), isSubtle=True, spacing="None")]
          if meeting.transcript and meeting.transcript.segments else []),
        *([_text(who, isSubtle=True, spacing="None")] if (who := _speakers_line(meeting)) else []),
        *([_text(note or SHARED_ELSEWHERE, isSubtle=True)] if shared_elsewhere else []),
        _heading("Summary" if m.kind == "minutes" else "Diary"),
        _text(md(meeting.with_names(m.summary), 4 * MAX_TEXT, lines=True)),
    ]
    decisions = [f"{md(d.text)} — {md(name(d.speaker), 60)} ({clock(d.timestamp)})" for d in m.decisions]
    body += [_heading("Decisions"), _bullets(decisions, limit) if decisions else _none()]
    items = []
    mentioned: dict[str, dict] = {}
    for shown, a in enumerate(m.action_items):
        person = mentions.get(a.owner) if a.owner else None
        if person and shown < limit:  # an entity for a mention the card does not show would dangle
            owner = _mention(name(a.owner))  # a real mention: Teams shows the name and notifies them
            mentioned[owner] = {"type": "mention", "text": owner, "mentioned": {"id": person, "name": name(a.owner)}}
        else:
            owner = "**team**" if a.owner == "team" else f"**{md(name(a.owner), 60)}**" if a.owner else "**unassigned**"
        due = f", due {a.due_date or md(a.due, 60)}" if (a.due_date or a.due) else ""
        items.append(f"{md(a.task)} — {owner}{due} ({clock(a.timestamp)})")
    body += [_heading("Action items"), _bullets(items, limit) if items else _none()]
    if not per_speaker and m.key_points:
        body.append(_text("Each speaker's points are in the full minutes.", isSubtle=True))
    for group in m.key_points if per_speaker else ():
        if not group.points:
            continue
        who = name(group.speaker)
        label = md(who, 60) + (f" ({md(group.speaker, 60)})" if who != group.speaker else "")
        body += [_heading(label),
                 _bullets([f"{md(p.text)} ({clock(p.timestamp)})" for p in group.points], limit)]
    if m.open_questions:
        body += [_heading("Open questions"),
                 _bullets([f"{md(q.text)} — {md(name(q.speaker), 60)}" for q in m.open_questions], limit)]
    if recording_gone:
        body.append(_text(f"🗑️ {md(recording_gone, 500)}", isSubtle=True))
    content = card(body, actions)
    if mentioned:
        content["msteams"]["entities"] = list(mentioned.values())
    return content


def answer_card(question: str, answer: Any, link_for: Callable[[str], str]) -> dict:
    """An answer from past meetings with numbered citations: meeting title (linked), speaker, mm:ss.

    ``answer`` is a lifestream.search Answer; ``link_for(meeting_id)`` gives the signed link to a meeting.
    """
    body: list[dict] = [_text(f"**Q:** {md(question, 500)}"), _text(md(answer.text, 3 * MAX_TEXT, lines=True))]
    if answer.found and answer.citations:
        lines = []
        for n, c in enumerate(answer.citations, 1):
            lines.append(f"[{n}] [{md(c.title, 120)}]({link_for(c.meeting_id)}) · {md(c.speaker or 'unknown', 60)}"
                         f" · {clock(c.start)}: _{md(c.quote, 300)}_")
        body += [_heading("Sources"), _text("\n\n".join(lines), size="Small")]
    return card(body, [ask_action(None, "Ask another question")])


def failure_card(job: Job) -> dict:
    hint = "Retrying may help." if job.retryable else "Retrying will not fix this recording."
    return card([_text(f"⚠️ I couldn't process **{md(job.source_name, 120)}**", weight="Bolder"),
                 _text(md(job.reason or "the job failed.", 1000)), _text(hint, isSubtle=True)],
                [{"type": "Action.Submit", "title": "Retry", "data": {"action": RETRY, "job_id": job.id}}])


def status_text(job: Job, name: str | None = None) -> str:
    """The acknowledgement message while a recording is worked on (updated in place)."""
    name = md(name or job.source_name, 120)
    length = f" (≈{max(1, round(job.duration / 60))} min)" if job.duration else ""
    if job.stage:
        return f"⏳ Processing **{name}**{length}… {md(status_line(job), 120)}"
    return f"⏳ Processing **{name}**{length}…"


def summary_text(meeting: Meeting, *, early: bool = False) -> str:
    """The text that goes with a card: what notifications and screen readers say; ``early``: for a long
    recording's early minutes."""
    if meeting.minutes is None:
        return f"Processed {md(meeting.source.name, 150)}"
    return f"{'Early minutes' if early else 'Minutes'}: {md(meeting.minutes.title, 150)}"
