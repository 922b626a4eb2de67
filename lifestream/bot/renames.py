"""The "Rename speakers" form of both bots: what it is prefilled with, and what a submission changes.

Each speaker's box holds the name every surface shows now (the best guess, or what a person gave),
with a hint saying how it was found; a speaker the evidence could not settle shows the leading guess
as a placeholder only, so the box never claims a name the minutes do not use. A submission changes
only the boxes the person changed: a name typed over a guess renames, a box emptied clears the name
(the guess was wrong), and an untouched guess stays a guess. Pure: the bots render and send.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lifestream.models import Meeting

MAX_FIELDS = 20  # speakers offered in one form; Slack's modal and a Teams card both stay small
MAX_NAME = 60


@dataclass(frozen=True)
class RenameField:
    label: str  # SPEAKER_<n>
    value: str  # the name shown now, "" when none
    hint: str  # how that name was found, or what else was heard
    placeholder: str  # the leading unsettled guess, as a suggestion


def rename_fields(meeting: Meeting) -> list[RenameField]:
    fields = []
    for label in meeting.speakers[:MAX_FIELDS]:
        source = meeting.name_source(label)
        if source is not None:
            hint = "Named by a person." if source.confirmed else f"Guessed: {source.described}"
            fields.append(RenameField(label, source.name, hint[:150], ""))
            continue
        heard = sorted(
            (c for c in meeting.name_candidates if c.speaker == label and c.supports), key=lambda c: -c.confidence
        )
        shown = set(meeting.speaker_names.values())
        maybe = next((c for c in heard if c.name not in shown), None)
        fields.append(
            RenameField(
                label,
                "",
                f"Perhaps {maybe.name}? Not sure enough to name them." if maybe else "",
                f"{maybe.name}?" if maybe else "Name",
            )
        )
    return fields


def prefilled(meeting: Meeting) -> dict[str, str]:
    """What the form's boxes hold when it opens, to compare a submission with."""
    return {f.label: f.value for f in rename_fields(meeting)}


def changed_names(submitted: Mapping[str, str | None], before: Mapping[str, str]) -> dict[str, str]:
    """The boxes the person changed: label -> new name ("" clears it). Untouched boxes are left out."""
    out = {}
    for label, value in submitted.items():
        value = " ".join((value or "").split())[:MAX_NAME]
        if value != before.get(label, ""):
            out[label] = value
    return out
