"""The summary as prose: what the meeting was for, what it decided, who will do what by when, what is open.

Built from the extracted structure in the transcript's own words, so every
claim in it can be traced to a line that was said. People are referred to by
their speaker labels (``SPEAKER_2``); the minutes' renderers replace those
with names wherever names are known, so the summary reads "Diane will send
the deck by Friday" as soon as Diane is named, and renaming needs no rewrite.
"""

from __future__ import annotations

from lifestream.models import Point
from lifestream.pipeline.minutes_offline.actions import TEAM, Task, without_due
from lifestream.pipeline.minutes_offline.cues import Cues
from lifestream.pipeline.minutes_offline.decisions import Decided
from lifestream.pipeline.minutes_offline.text import clean_clause, join_list, lower_first
from lifestream.pipeline.minutes_offline.topic import Purpose

MAX_DECISIONS = 6
MAX_TASKS = 8
MAX_QUESTIONS = 3


def _due(task: Task, cues: Cues) -> str:
    if not task.due:
        return ""
    due = task.due
    if cues.due_ready.match(due):
        return " " + due
    if due.lower().startswith(("end ", "the end ")):
        return " " + cues.phrasing.by_end.format(due.lower().removeprefix("the "))
    return " " + cues.phrasing.by.format(due)


def narrate(task: Task, cues: Cues) -> str:
    """ "send you the final desk layout" said by SPEAKER_1 to SPEAKER_2 -> "send SPEAKER_2 the final desk layout by Monday"."""
    text = clean_clause(without_due(task.text, cues), cues)
    if cues.retell is not None:
        asked = bool(task.requester and task.requester != task.owner)
        listener = task.addressee if task.addressee != task.owner else None
        text = cues.retell(text, owner_self=not asked, asker=task.requester if asked else None,
                           listener=None if asked else listener)
    else:
        if task.requester and task.requester != task.owner:
            if cues.subject_retold is not None:
                text = cues.subject_retold(text, task.requester)
            text = cues.speaker_ref.sub(task.requester, text)
        if task.addressee and task.addressee != task.owner:
            text = cues.listener_ref.sub(task.addressee, text)
        text = cues.own_ref.sub(cues.phrasing.own, text)
    if cues.phrasing.due_first and task.due:
        return _due(task, cues).strip() + " " + lower_first(text, cues)
    return lower_first(text, cues) + _due(task, cues)


def _decisions(decided: list[Decided], cues: Cues) -> str:
    if not decided:
        return ""
    ph = cues.phrasing
    forms = {"that": ph.decided_that, "on": ph.decided_on}
    parts = [forms.get(d.form, ph.decided_to).format(
        cues.decided_infinitive(lower_first(d.core, cues)) if d.form == "to" else lower_first(d.core, cues)) for d in decided[:MAX_DECISIONS]]
    return ph.decided.format(join_list(parts, ph.and_))


def _tasks(tasks: list[Task], cues: Cues) -> list[str]:
    ph = cues.phrasing
    shown = tasks[:MAX_TASKS]
    by_owner: dict[str | None, list[str]] = {}
    for t in shown:
        by_owner.setdefault(t.owner, []).append(narrate(t, cues))
    out = []
    for owner, said in by_owner.items():
        if owner is None:
            out.append(ph.unassigned.format(join_list(said, ph.and_)))
        else:
            out.append(ph.will.format(ph.team if owner == TEAM else owner, join_list(said, ph.and_)))
    if len(tasks) > len(shown):
        out.append(ph.more_actions.format(len(tasks) - len(shown)))
    return out


def _questions(questions: list[Point], cues: Cues) -> str:
    if not questions:
        return ""
    asked = " ".join(lower_first(q.text, cues) if n == 0 else q.text for n, q in enumerate(questions[:MAX_QUESTIONS]))
    return cues.phrasing.still_open.format(asked)


def compose(*, purpose: Purpose | None, topics: list[str], decided: list[Decided], tasks: list[Task],
            questions: list[Point], cues: Cues, later_part: bool = False) -> str:
    ph = cues.phrasing
    out = []
    if purpose is not None:
        out.append((ph.purpose_action if purpose.is_action else ph.purpose_topic).format(purpose.phrase))
    elif topics:
        out.append((ph.part_topics if later_part else ph.topics).format(join_list(topics, ph.and_)))
    if decision := _decisions(decided, cues):
        out.append(decision)
    out += _tasks(tasks, cues)
    if not decided and not tasks:
        out.append(ph.nothing_settled)
    if open_ := _questions(questions, cues):
        out.append(open_)
    return ph.finish(" ".join(s[:1].upper() + s[1:] for s in out))
