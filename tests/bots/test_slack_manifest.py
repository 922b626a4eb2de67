"""manifests/slack.yaml agrees with what the bot listens to and needs."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST = yaml.safe_load((Path(__file__).parents[2] / "manifests" / "slack.yaml").read_text())


def test_requests_go_to_the_bots_one_endpoint():
    urls = [MANIFEST["settings"]["event_subscriptions"]["request_url"],
            MANIFEST["settings"]["interactivity"]["request_url"],
            *[c["url"] for c in MANIFEST["features"]["slash_commands"]]]
    assert all(u.endswith("/slack/events") and u.startswith("https://") for u in urls)


def test_commands_events_and_scopes_match_the_listeners():
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == ["/ask"]
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"message.channels", "message.groups", "message.im", "message.mpim", "app_mention"} <= events
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    # downloading shared files, posting and updating, uploading keyframes, membership for /ask scoping,
    # a channel's members (users.info) for naming speakers and mentioning owners
    assert {"files:read", "chat:write", "files:write", "commands", "channels:read", "groups:read", "users:read"} <= scopes
    # nothing the bot does not use
    assert not {"users:read.email", "admin", "channels:manage", "chat:write.public"} & scopes


def test_the_oauth_install_asks_for_the_manifests_scopes_and_comes_back_to_the_servers_redirect():
    from lifestream.bot.slack.installations import BOT_SCOPES, REDIRECT_PATH

    assert sorted(BOT_SCOPES) == sorted(MANIFEST["oauth_config"]["scopes"]["bot"])
    (redirect,) = MANIFEST["oauth_config"]["redirect_urls"]
    assert redirect.startswith("https://") and redirect.endswith(REDIRECT_PATH)
    assert MANIFEST["settings"]["org_deploy_enabled"] is False  # org-wide installs are refused (one workspace each)


def test_uninstalls_and_the_home_tab_reach_the_bot():
    events = set(MANIFEST["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_uninstalled", "tokens_revoked", "app_home_opened"} <= events
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
