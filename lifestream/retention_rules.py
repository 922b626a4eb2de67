"""How long a workspace's recordings and meetings are kept: ``RetentionRules``.

Two periods, both counted from when the recording was shared (the job's
``created_at``), from the workspace's settings in force
(``Services.workspace_settings``: its own choice, else the server's
environment):

- the **recording** goes after ``recording_retention_days``
  (``LIFESTREAM_RECORDING_RETENTION_DAYS``), or as soon as its minutes are made
  when ``keep_recordings`` is off (``LIFESTREAM_KEEP_RECORDINGS=false``); the
  minutes stay;
- the **meeting** goes after ``retention_days`` (``LIFESTREAM_RETENTION_DAYS``):
  minutes, transcript, keyframes, posted-message records, search records and the
  job record, with the recording if it is still there.

``None`` keeps a thing until someone deletes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DAY = 86_400.0
# How long past its meeting's deletion date a job record may be forgotten by the job store itself
# (DynamoDB's TTL): the sweeper deletes the meeting first (results, search records, then the record); this
# is the backstop if it has not, late enough that a sweeper down for days still gets there first.
RECORD_GRACE_S = 7 * DAY


def _shorter(mine: int | None, ceiling: int | None) -> int | None:
    if mine is None:
        return ceiling
    return mine if ceiling is None else min(mine, ceiling)


@dataclass(frozen=True)
class RetentionRules:
    recording_days: int | None = None
    meeting_days: int | None = None
    keep_recordings: bool = True

    def recording_until(self, shared_at: float) -> float | None:
        """When a recording shared at ``shared_at`` is deleted by age; None: not by age (see keep_recordings)."""
        days = _shorter(self.recording_days, self.meeting_days)  # the meeting takes its recording with it
        return None if days is None else shared_at + days * DAY

    def meeting_until(self, shared_at: float) -> float | None:
        """When the whole meeting is deleted; None: kept until someone deletes it."""
        return None if self.meeting_days is None else shared_at + self.meeting_days * DAY

    def record_until(self, shared_at: float) -> float | None:
        """When the job store may forget the meeting's job record by itself (a week after the meeting's
        deletion date); None: never."""
        until = self.meeting_until(shared_at)
        return None if until is None else until + RECORD_GRACE_S

    def describe(self) -> str:
        """In words, for logs and the people who ask."""
        if not self.keep_recordings:
            recording = "recordings are deleted once their minutes are made"
        elif self.recording_days is not None:
            recording = f"recordings are kept {_days(self.recording_days)}"
        else:
            recording = "recordings are kept with their meeting"
        meeting = (
            f"meetings are kept {_days(self.meeting_days)}"
            if self.meeting_days is not None
            else "meetings are kept until someone deletes them"
        )
        return f"{recording}; {meeting}"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


# Which rules apply to a workspace (None: a recording processed from the command line).
RulesFor = Callable[[str | None], RetentionRules]
