"""Which speakers can be @-mentioned: those linked to a chat member (by a heard name, a rename, a voice)."""

from __future__ import annotations

from lifestream.models import Meeting


def mentionable(meeting: Meeting) -> dict[str, str]:
    """Speaker label -> person id for every speaker linked to a member of the chat.

    The ids are those of the workspace the meeting was shared in: a surface posting the minutes
    anywhere else (the same recording shared in another workspace) must not use them.
    """
    out: dict[str, str] = {}
    for label in meeting.speakers:
        source = meeting.name_source(label)
        if source is not None and source.person_id:
            out[label] = source.person_id
    return out
