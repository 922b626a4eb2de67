"""A workspace's settings as a chat form: each setting's choices, what is selected, and reading a choice back.

Both bots draw the same form (a Slack modal, a Teams card) from ``forms`` and
turn what the admin picked into ``change_settings`` arguments with ``read``.
Every setting offers "server default", which follows the server's
environment (now and after it changes) instead of pinning today's value.
Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lifestream.installations import FIELDS, Overrides, SettingsError, WorkspaceSettings

DEFAULT = "default"
KEEP = "keep"  # retention: until someone deletes them (a recording: as long as its meeting)
DAYS_FIELDS = ("retention_days", "recording_retention_days")
MEETING_LANGUAGE = "meeting"
RETENTION_DAYS = (7, 30, 90, 180, 365)
LANGUAGES = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "it": "Italian",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ja": "Japanese",
}
LABELS = {
    "retention_days": "Keep meetings",
    "recording_retention_days": "Keep recordings (the minutes stay)",
    "keep_recordings": "Keep recordings once the minutes are made",
    "redact": "Mask e-mail addresses, phone and card numbers",
    "voiceprints": "Remember the voices of named speakers",
    "minutes_language": "Language of the minutes",
    "llm": "Minutes written by the language model",
}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Form:
    """One setting: its label, its choices, the one selected now."""

    field: str
    label: str
    choices: tuple[Choice, ...]
    selected: str


def shown(field: str, value: Any) -> str:
    """A setting's value in words."""
    if field == "retention_days":
        return "until deleted" if value is None else f"{value} days"
    if field == "recording_retention_days":
        return "with the meeting" if value is None else f"{value} days"
    if field == "minutes_language":
        return "the meeting's language" if value is None else LANGUAGES.get(value, value)
    return "on" if value else "off"


def _encode(field: str, value: Any) -> str:
    if field in DAYS_FIELDS:
        return KEEP if value is None else str(value)
    if field == "minutes_language":
        return MEETING_LANGUAGE if value is None else str(value)
    return "on" if value else "off"


def _decode(field: str, value: str) -> Any:
    if field in DAYS_FIELDS:
        if value == KEEP:
            return None
        if not value.isdigit():
            raise SettingsError(f"{LABELS[field]}: {value!r} is not a number of days.")
        return int(value)
    if field == "minutes_language":
        return None if value == MEETING_LANGUAGE else value
    if value not in ("on", "off"):
        raise SettingsError(f"{LABELS[field]}: choose on or off.")
    return value == "on"


def _values(field: str) -> list[Any]:
    if field in DAYS_FIELDS:
        return [None, *RETENTION_DAYS]
    if field == "minutes_language":
        return [None, *LANGUAGES]
    return [True, False]


def forms(chosen: Overrides, defaults: WorkspaceSettings, *, llm_available: bool) -> list[Form]:
    """The form for every setting, with what the workspace chose (or "server default") selected."""
    picked = chosen.chosen()
    out = []
    for field in FIELDS:
        default = getattr(defaults, field)
        values = _values(field)
        if field in picked and picked[field] not in values:  # a value set through the API, e.g. 45 days
            values.append(picked[field])
        choices = [Choice(DEFAULT, f"Server default ({shown(field, default)})")]
        choices += [Choice(_encode(field, v), shown(field, v).capitalize()) for v in values]
        label = LABELS[field] if llm_available or field != "llm" else f"{LABELS[field]} (no LLM on this server)"
        out.append(Form(field, label, tuple(choices), _encode(field, picked[field]) if field in picked else DEFAULT))
    return out


def read(selected: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """What the admin picked (field -> choice value) as ``change_settings``'s values and reset fields."""
    values: dict[str, Any] = {}
    reset: list[str] = []
    for field, value in selected.items():
        if field not in FIELDS:
            continue
        if value == DEFAULT:
            reset.append(field)
        else:
            values[field] = _decode(field, value)
    return values, reset


def summary(current: WorkspaceSettings, chosen: Overrides, *, llm_available: bool) -> list[tuple[str, str]]:
    """(label, value in words) for every setting in force; "(server default)" where the workspace chose nothing."""
    picked = chosen.chosen()
    lines = []
    for field in FIELDS:
        text = shown(field, getattr(current, field))
        if field == "llm" and not llm_available:
            text = "off (no LLM on this server)"
        lines.append((LABELS[field], text if field in picked else f"{text} (server default)"))
    return lines
