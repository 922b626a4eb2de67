"""A workspace's own settings: what it chose, and what therefore applies to it.

A workspace is a Slack team, a Teams tenant, or an API token's workspace: the
unit meetings are scoped by. Each one may choose, for itself, a few things the
server otherwise decides from its environment (``LIFESTREAM_RETENTION_DAYS``
and the rest, see ``server_defaults``). Only what a workspace has chosen is
stored (``Overrides``, its fields *set*); everything else follows the server,
so changing the server's environment changes every workspace that has not
chosen otherwise.

Features read the result, never the stored record:
``services.workspace_settings(workspace)`` gives the ``WorkspaceSettings`` in
force, and ``services.settings_for(workspace)`` gives the process ``Settings``
with them applied, for code that reads its options from ``Settings`` (the
pipeline a job runs).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lifestream.errors import LifeStreamError
from lifestream.settings import Settings

# Slack team ids, Teams tenant ids (GUIDs), API workspace names: one path segment, never a path.
WORKSPACE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")

RetentionDays = Annotated[int, Field(ge=1, le=3650)]
# A BCP 47 tag as people write them: "en", "de", "pt-BR", "zh-Hant".
Language = Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$", max_length=20)]


class WorkspaceSettings(BaseModel):
    """The settings in force for one workspace."""

    model_config = ConfigDict(frozen=True)

    retention_days: RetentionDays | None = Field(
        description="meetings (recording, minutes, search records) are deleted this many days after they were "
        "shared; null: kept until someone deletes them"
    )
    recording_retention_days: RetentionDays | None = Field(
        description="recordings alone are deleted this many days after they were shared (the minutes stay); "
        "null: kept with their meeting"
    )
    keep_recordings: bool = Field(description="false: a recording is deleted as soon as its minutes are made")
    redact: bool = Field(description="mask e-mail addresses, phone and card numbers before anything is stored")
    voiceprints: bool = Field(description="remember the voices of named speakers, to name them in later meetings")
    minutes_language: Language | None = Field(
        description="the language minutes are written in; null: the meeting's own"
    )
    llm: bool = Field(description="false: minutes are written offline even where an LLM endpoint is configured")


FIELDS = tuple(WorkspaceSettings.model_fields)


class Overrides(BaseModel):
    """What a workspace chose; a field it never set follows the server (``model_fields_set``).

    ``retention_days: null`` set on purpose ("keep forever") differs from not set (the server's value): only
    the fields set are stored.
    """

    # A field a newer version adds is ignored by an older one during a rolling deploy.
    model_config = ConfigDict(frozen=True, extra="ignore")

    retention_days: RetentionDays | None = None
    recording_retention_days: RetentionDays | None = None
    keep_recordings: bool = True
    redact: bool = False
    voiceprints: bool = False
    minutes_language: Language | None = None
    llm: bool = True

    def chosen(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)

    def apply(self, defaults: WorkspaceSettings) -> WorkspaceSettings:
        return defaults.model_copy(update=self.chosen())

    def change(self, values: Mapping[str, Any], reset: Iterable[str] = ()) -> Overrides:
        """These values chosen, the ``reset`` fields back to the server's; raises LifeStreamError if invalid."""
        unknown = (set(values) | set(reset)) - set(FIELDS)
        if unknown:
            raise SettingsError(f"unknown setting {sorted(unknown)[0]!r} (settings: {', '.join(FIELDS)}).")
        chosen = {k: v for k, v in self.chosen().items() if k not in set(reset)}
        try:
            return Overrides.model_validate({**chosen, **values})
        except ValidationError as exc:  # say which setting, in words
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise SettingsError(f"{where}: {first['msg']}" if where else first["msg"]) from None


class SettingsError(LifeStreamError):
    """A setting a person asked for that cannot be (unknown, or out of range)."""

    permanent = True


def server_defaults(settings: Settings) -> WorkspaceSettings:
    """What a workspace gets until it chooses otherwise: the server's environment."""
    return WorkspaceSettings(
        retention_days=settings.retention_days,
        recording_retention_days=settings.recording_retention_days,
        keep_recordings=settings.keep_recordings,
        redact=settings.redact,
        voiceprints=settings.voiceprints,
        minutes_language=settings.minutes_language,
        llm=settings.llm_enabled,
    )


def applied(settings: Settings, workspace: WorkspaceSettings) -> Settings:
    """``settings`` as a job of that workspace sees them: its choices in the fields the pipeline reads."""
    return settings.model_copy(
        update={
            "retention_days": workspace.retention_days,
            "recording_retention_days": workspace.recording_retention_days,
            "keep_recordings": workspace.keep_recordings,
            "redact": workspace.redact,
            "voiceprints": workspace.voiceprints,
            "minutes_language": workspace.minutes_language,
            "llm_enabled": workspace.llm,
            # No LLM for this workspace: the offline minutes, exactly as on a server without an endpoint.
            "llm_base_url": settings.llm_base_url if workspace.llm else None,
        }
    )


def check_workspace_id(workspace: str) -> str:
    if not WORKSPACE_ID.fullmatch(workspace):
        raise SettingsError(f"invalid workspace id {workspace!r}")
    return workspace
