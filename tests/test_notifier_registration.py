"""A worker apart from the bot posts to chat itself, and never twice for one event."""

from __future__ import annotations

from lifestream.bot import slack_notify
from lifestream.bot.web import register_notifiers
from lifestream.settings import Settings
from lifestream.workers import hooks


def test_configured_platforms_are_registered_once(monkeypatch):
    monkeypatch.setattr(hooks, "_callbacks", [])
    assert register_notifiers(Settings()) == []  # no credentials: nothing to tell
    settings = Settings(slack_bot_token="xoxb-1")
    register_notifiers(settings)
    register_notifiers(settings)
    hooks.load_hook("lifestream.bot.slack_notify:hook")  # named again on the command line
    assert hooks._callbacks == [slack_notify.hook]
