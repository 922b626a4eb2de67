"""Where a job came from: the conversation to report back to, and the scope its meeting is searched in.

Each surface makes its own kind of origin when it submits a recording; the
job store keeps it with the job (as JSON, under the field names below); the
worker indexes the meeting under its ``workspace`` and ``conversation``; the
chat notifiers take the origins of their platform and post where they say.
A recording processed from the command line has no origin (``None``).

The field names are the stored format: renaming one needs a migration of the
records already stored (SQLite or DynamoDB).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, computed_field, field_validator


class _Origin(BaseModel):
    # Fields a newer version adds are ignored by an older one during a rolling deploy.
    model_config = ConfigDict(frozen=True, extra="ignore")

    workspace: str  # who may see the meeting: a Slack team, a Teams tenant, an API token's workspace
    conversation: str  # which conversation's members may search it: a channel, a chat, an API "conversation"


class SlackOrigin(_Origin):
    """A recording shared in a Slack channel: the minutes go to its thread."""

    platform: Literal["slack"] = "slack"
    thread_ts: str | None = None  # the thread the recording was shared in (or started)
    status_ts: str | None = None  # the bot's status message in that thread, edited as the job progresses
    user: str | None = None  # who shared it
    enterprise: str | None = None  # the Enterprise Grid org of the workspace, if any: part of its installation's key

    @computed_field  # type: ignore[prop-decorator]  # stored too, so records stay readable by older versions
    @property
    def channel(self) -> str:
        return self.conversation


class TeamsOrigin(_Origin):
    """A recording shared with the Teams bot: the minutes go to the same reply chain, proactively."""

    platform: Literal["teams"] = "teams"
    reference: dict[str, Any]  # the serialized ConversationReference (botbuilder) to continue the conversation
    status_id: str | None = None  # the bot's acknowledgement, edited as the job progresses
    user: str | None = None  # who shared it (AAD object id when Teams gives one)
    team: str | None = None  # the Teams team of a channel conversation


API_CONVERSATION_PREFIX = "api:"


class ApiOrigin(_Origin):
    """A recording uploaded through the HTTP API: nobody to post to; the API and pages show it.

    API callers name their ``conversation`` freely. Stored and indexed under ``api:<name>``, no name can be
    a Slack channel's or a Teams chat's id, so an upload can never land in the meetings a chat's members
    search (Slack and Teams ids never start with ``api:``).
    """

    platform: Literal["api"] = "api"

    @field_validator("conversation")
    @classmethod
    def _namespaced(cls, value: str) -> str:
        return value if value.startswith(API_CONVERSATION_PREFIX) else API_CONVERSATION_PREFIX + value

    @property
    def name(self) -> str:
        """The conversation as the API caller named it."""
        return self.conversation.removeprefix(API_CONVERSATION_PREFIX)


def _no_origin(value: object) -> object:
    # Jobs stored before origins were typed kept "no origin" as an empty object.
    return None if value == {} else value


Origin = Annotated[SlackOrigin | TeamsOrigin | ApiOrigin, Field(discriminator="platform")]
OptionalOrigin = Annotated[Origin | None, BeforeValidator(_no_origin)]


def shared_in(origin: object, platform: type[SlackOrigin] | type[TeamsOrigin], workspace: str,
              conversation: str) -> bool:
    """Whether a job came from this conversation of this workspace.

    The same recording shared in two conversations is one job, with the first one's origin. Its buttons
    and commands (rename, re-run, retry) act on that conversation's minutes and messages, so they are
    honoured only there; anywhere else the bots say the recording is shared instead.
    """
    return isinstance(origin, platform) and origin.workspace == workspace and origin.conversation == conversation
