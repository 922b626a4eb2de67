"""Where a Slack request came from: its workspace and its thread, as the bot records them."""

from __future__ import annotations


def thread_root(event: dict) -> str:
    """The thread an event belongs to: its parent's timestamp, or its own for a message at the top."""
    return event.get("thread_ts") or event["ts"]


def workspace_of(team: str | None) -> str:
    """The workspace a Slack origin and its search scope are recorded under."""
    return team or "slack"


def team_of(context) -> str:
    """The workspace of a bolt request's context."""
    return workspace_of(context.get("team_id"))
