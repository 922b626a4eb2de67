"""The members of a conversation: who the speakers of a recording shared there may be.

The bot that receives a recording asks its platform who is in the conversation (Slack's
``conversations.members`` and ``users.info``, Teams' paged conversation members) and saves the answer
here before the job is queued; the worker reads it back when it names the speakers, and a rename reads
it to link a typed name to a member. Only what naming needs is kept: an id to mention and the names a
person goes by, never e-mail addresses or profiles.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, Field

from lifestream.people.records import key_part, read_json, workspace_prefix, write_json
from lifestream.pipeline.naming import Person
from lifestream.storage import Storage

# A conversation bigger than this is not a meeting's audience (a company-wide channel): its roster is
# not fetched, and names are only what the recording says. Linking needs a name to fit exactly one
# member, which a crowd rarely allows anyway.
MAX_MEMBERS = 300


class Member(BaseModel):
    person_id: str  # Slack user id ("U0123"), Teams user id ("29:1f…"): what a mention needs
    display_name: str  # the name the chat shows: "Diane Miller"
    other_names: list[str] = Field(default_factory=list)  # first name, display name, handle

    def person(self) -> Person:
        return Person(self.person_id, self.display_name, tuple(self.other_names))


class Roster(BaseModel):
    workspace: str
    conversation: str
    members: list[Member] = Field(default_factory=list)
    fetched_at: float = Field(default_factory=time.time)

    def people(self) -> list[Person]:
        return [m.person() for m in self.members]

    def member(self, person_id: str) -> Member | None:
        return next((m for m in self.members if m.person_id == person_id), None)


def roster_key(workspace: str, conversation: str) -> str:
    return f"{workspace_prefix(workspace)}rosters/{key_part(conversation)}.json"


def save_roster(storage: Storage, roster: Roster) -> None:
    write_json(storage, roster_key(roster.workspace, roster.conversation), roster)


def load_roster(storage: Storage, workspace: str, conversation: str) -> Roster | None:
    """The conversation's members as last fetched, or None when they never were."""
    return read_json(storage, roster_key(workspace, conversation), Roster)
