"""Slack installations and tokens where no request is waiting (a worker posting minutes): slack_sdk's own stores,
in SQLite or in an S3 bucket (moto's server), and token rotation against the Slack double's oauth.v2.access."""

from __future__ import annotations

import sqlite3
import time

import boto3
import pytest
from slack_sdk.oauth.installation_store import Installation

from lifestream.cli import main
from lifestream.errors import ConfigError
from lifestream.installations import Overrides, SlackInstallations
from lifestream.installations.store import S3WorkspaceStore
from lifestream.services import Services
from tests.doubles.slack import APP_ID, BOT_TOKEN, CLIENT_ID, CLIENT_SECRET, SlackDouble
from tests.support.servers import aws_env, make_bucket, moto_url, unique  # noqa: F401  (fixtures)


@pytest.fixture
def slack():
    with SlackDouble() as double:
        yield double


def _install(slack: SlackDouble, installations: SlackInstallations, team: str, *, rotating: int | None = None) -> str:
    """What bolt's OAuth flow saves after oauth.v2.access: the workspace's installation, with its (refresh) token."""
    if rotating:
        slack.rotating[team] = rotating
    grant = slack._new_bot_token(team)
    installations.store.save(
        Installation(
            app_id=APP_ID,
            team_id=team,
            team_name=f"Team {team}",
            bot_token=grant["access_token"],
            bot_id=f"B{team}",
            bot_user_id=grant["bot_user_id"],
            bot_scopes="chat:write",
            bot_refresh_token=grant.get("refresh_token"),
            bot_token_expires_in=grant.get("expires_in"),
            user_id="U1",
        )
    )
    return grant["access_token"]


def _oauth(settings, slack: SlackDouble, **more):
    return settings.model_copy(
        update={
            "slack_client_id": CLIENT_ID,
            "slack_client_secret": CLIENT_SECRET,
            "slack_signing_secret": "s",
            "slack_api_url": slack.base_url,
            **more,
        }
    )


@pytest.mark.parametrize("where", ["sqlite", "s3"])
def test_a_workers_token_is_the_workspaces_refreshed_when_it_rotates(settings, slack, where, request):
    if where == "s3":
        url = request.getfixturevalue("moto_url")
        bucket = unique("installations")
        make_bucket(url, bucket)
        settings = settings.model_copy(update={"installations_bucket": bucket, "s3_endpoint_url": url})
    installations = SlackInstallations(_oauth(settings, slack))
    plain = _install(slack, installations, "T1")
    first = _install(slack, installations, "T2", rotating=20)
    assert installations.bot_token("T1") == plain  # no expiry: as installed
    assert installations.bot_token("T404") is None  # never installed there

    refreshed = installations.bot_token("T2")  # 20 s left, under the 2 hours before expiry: refreshed now
    assert refreshed not in (None, first) and slack.token_team(refreshed) == ("T2", None)
    assert [c for n, c in slack.calls if n == "oauth.v2.access:refresh"] == [{"team": "T2"}]
    assert installations.find("T2").bot_token == refreshed  # saved back, for the bot and every other worker
    assert SlackInstallations(_oauth(settings, slack)).bot_token("T2") not in (None, first)

    if where == "sqlite":  # one current row per workspace: rotated tokens are not kept as history
        with sqlite3.connect(settings.data_dir / "installations.sqlite3") as db:
            for table in ("slack_bots", "slack_installations"):
                rows = db.execute(f"SELECT team_id, bot_token FROM {table} ORDER BY team_id").fetchall()
                assert rows == [("T1", plain), ("T2", installations.find("T2").bot_token)], (table, rows)
    if where == "s3":  # one current object per workspace: rotated tokens are not kept as history
        keys = {
            o["Key"]
            for o in boto3.client("s3", endpoint_url=settings.s3_endpoint_url, region_name="us-east-1").list_objects_v2(
                Bucket=settings.installations_bucket
            )["Contents"]
        }
        assert keys == {
            f"{CLIENT_ID}/none-{team}/{kind}-latest"
            for team in ("T1", "T2")
            for kind in ("bot", "installer", "installer-U1")
        }, keys

    installations.delete("T2")  # uninstalled
    assert installations.find("T2") is None and installations.bot_token("T2") is None
    assert installations.bot_token("T1") == plain


def test_a_revoked_refresh_token_means_nothing_is_posted(settings, slack):
    installations = SlackInstallations(_oauth(settings, slack))
    _install(slack, installations, "T3", rotating=20)
    slack.refresh_tokens.clear()  # the workspace revoked the app's tokens meanwhile
    assert installations.bot_token("T3") is None


def test_one_workspace_mode_has_one_token(settings):
    installations = SlackInstallations(settings.model_copy(update={"slack_bot_token": BOT_TOKEN}))
    assert not installations.oauth and installations.store is None
    assert installations.bot_token("T1") == installations.bot_token("T-anything") == BOT_TOKEN
    installations.delete("T1")  # nothing to forget: the token is the server's


@pytest.mark.parametrize(
    "update, problem",
    [
        ({"slack_bot_token": BOT_TOKEN, "slack_client_id": CLIENT_ID, "slack_client_secret": "x"}, "not both"),
        ({"slack_client_id": CLIENT_ID}, "must both be set"),
        ({"slack_client_id": CLIENT_ID, "slack_client_secret": "x"}, "SIGNING_SECRET"),
    ],
)
def test_slack_settings_that_cannot_work_together_stop_the_server_with_a_reason(
    settings, update, problem, capsys, monkeypatch
):
    with pytest.raises(ConfigError, match=problem):
        _ = Services(settings.model_copy(update=update)).slack
    for name, value in update.items():
        monkeypatch.setenv(f"LIFESTREAM_{name.upper()}", value)
    assert main(["serve", "--port", "0"]) == 2
    assert problem in capsys.readouterr().err


def test_workspace_settings_and_deletion_records_in_the_bucket(moto_url):  # noqa: F811
    bucket = unique("installations")
    make_bucket(moto_url, bucket)
    store = S3WorkspaceStore(boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1"), bucket)
    assert store.overrides("T1") == Overrides()
    store.save("T1", Overrides(retention_days=None, redact=True), by="slack:T1:U1")
    assert store.overrides("T1").chosen() == {"retention_days": None, "redact": True}
    assert store.overrides("T2") == Overrides()
    since = time.time()
    store.start_deletion("T1", since)
    assert store.deletions() == {"T1": since}
    store.finish_deletion("T1", since - 1)  # an older deletion's finish never clears a newer one
    assert store.deletions() == {"T1": since}
    store.finish_deletion("T1", since)
    store.delete("T1")
    assert store.deletions() == {} and store.overrides("T1") == Overrides()
