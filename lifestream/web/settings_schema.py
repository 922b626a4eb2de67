"""The bodies and the OpenAPI paths of /api/v1/settings: a workspace's own settings, read and changed with its token."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from lifestream.installations import WorkspaceSettings
from lifestream.installations.workspace import Language, RetentionDays
from lifestream.web.schemas import json_integer

SettingName = Literal[
    "retention_days", "recording_retention_days", "keep_recordings", "redact", "voiceprints", "minutes_language", "llm"
]


# JSON Schema's integer: 30.0 is one (strict mode alone would refuse it).
Days = Annotated[RetentionDays, BeforeValidator(json_integer)]


class SettingsValues(BaseModel):
    """The settings to choose; only those present change (``null`` is a value: "keep forever", "the meeting's")."""

    # Strict, and unknown names refused: a misspelt setting must not look saved.
    model_config = ConfigDict(strict=True, extra="forbid")

    retention_days: Days | None = None
    recording_retention_days: Days | None = None
    # On or off, never null (null has no meaning for them): the spec says boolean, a null is refused with a 400.
    keep_recordings: bool | SkipJsonSchema[None] = None
    redact: bool | SkipJsonSchema[None] = None
    voiceprints: bool | SkipJsonSchema[None] = None
    minutes_language: Language | None = None
    llm: bool | SkipJsonSchema[None] = None


class SettingsChange(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    set: SettingsValues = Field(default_factory=SettingsValues, description="settings to choose")
    reset: list[SettingName] = Field(
        default_factory=list, max_length=7, description="settings to return to the server's default"
    )


class WorkspaceSettingsBody(BaseModel):
    workspace: str
    settings: WorkspaceSettings = Field(description="the settings in force")
    chosen: list[SettingName] = Field(description="the settings the workspace chose; the others follow the server")
    server_defaults: WorkspaceSettings


MODELS: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
    (SettingsChange, "validation"),
    (WorkspaceSettingsBody, "serialization"),
]


def paths(ref, responses, body) -> dict:
    """The /settings operations, built with the spec's own helpers (lifestream.web.openapi)."""
    ok = {
        "200": {
            "description": "the workspace's settings",
            "content": {"application/json": {"schema": ref("WorkspaceSettingsBody")}},
        }
    }
    return {
        "/settings": {
            "get": {
                "operationId": "getSettings",
                "summary": "The workspace's settings, and which it chose itself",
                "responses": responses(ok, 401, 503),
            },
            "patch": {
                "operationId": "changeSettings",
                "summary": "Choose settings for the workspace, or return them to the server's default",
                "requestBody": body("SettingsChange"),
                "responses": responses(ok, 400, 401, 413, 415, 503),
            },
        }
    }
