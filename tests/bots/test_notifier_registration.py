"""A process gets one chat notifier per platform it has credentials for, subscribed once."""

from __future__ import annotations

from lifestream.bot.notifiers import chat_notifiers
from lifestream.bot.slack.notify import SlackNotifier
from lifestream.bot.teams.notify import TeamsNotifier
from lifestream.services import Services
from lifestream.settings import Settings


def test_configured_platforms_get_a_notifier_each(tmp_path):
    assert chat_notifiers(Services(Settings(data_dir=tmp_path))) == []  # no credentials: nothing to tell
    services = Services(Settings(data_dir=tmp_path, slack_bot_token="xoxb-1", teams_allow_unauthenticated=True))
    notifiers = chat_notifiers(services)
    assert [type(n) for n in notifiers] == [SlackNotifier, TeamsNotifier]
    for notifier in notifiers + notifiers:  # subscribing again (serve and worker share the code) changes nothing
        services.events.subscribe(notifier)
    assert services.events.callbacks == notifiers
