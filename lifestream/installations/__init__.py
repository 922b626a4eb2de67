"""Workspaces: their Slack installations (tokens), and the settings each one chose for itself.

workspace   WorkspaceSettings (in force) and Overrides (chosen), from the server's defaults
store       where the choices are kept: SQLite in the data dir, or the installations bucket
slack       Slack installations and bot tokens (one static token, or bolt's OAuth stores)
"""

from __future__ import annotations

from lifestream.installations.slack import SlackInstallations, oauth_enabled, slack_problem
from lifestream.installations.store import WorkspaceStore, get_workspace_store
from lifestream.installations.workspace import (
    FIELDS,
    Overrides,
    SettingsError,
    WorkspaceSettings,
    applied,
    server_defaults,
)

__all__ = [
    "FIELDS",
    "Overrides",
    "SettingsError",
    "SlackInstallations",
    "WorkspaceSettings",
    "WorkspaceStore",
    "applied",
    "get_workspace_store",
    "oauth_enabled",
    "server_defaults",
    "slack_problem",
]
