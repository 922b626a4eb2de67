"""Slack workspaces' installations and their bot tokens, for whichever process needs one.

Two modes, chosen by the settings:

* **one workspace**: ``LIFESTREAM_SLACK_BOT_TOKEN``, the token of the app installed from its settings page;
* **any number**: ``LIFESTREAM_SLACK_CLIENT_ID``/``SECRET``. Workspaces install through bolt's OAuth flow
  (``/slack/install``, ``lifestream.bot.slack.installations``) into one of slack_sdk's own installation
  stores: ``SQLite3InstallationStore`` in the data dir, or ``AmazonS3InstallationStore`` in
  ``LIFESTREAM_INSTALLATIONS_BUCKET`` when several processes (bot tasks, workers) share them. Either keeps
  only each workspace's current installation. Their OAuth ``state`` values go to the matching state store,
  so a state is good once, for ten minutes, on any task.

The bot's requests get their token from bolt's authorize step; everything else (a worker posting minutes
hours later, the bot's background work) asks ``SlackInstallations.bot_token`` with the workspace its job's
origin names. With token rotation on, that refreshes a token close to expiry (slack_sdk's ``TokenRotator``)
and saves it back, as bolt does for requests.

Slack's refresh tokens work once. When two processes refresh the same token at the same moment, one is
refused; it reads the installation again and finds the other's fresh token. Workers refresh later
(``WORKER_ROTATE_MINUTES`` before expiry) than bolt does for requests (two hours before), so where events
keep coming the bot has usually refreshed first.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.amazon_s3 import AmazonS3InstallationStore
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.state_store.amazon_s3 import AmazonS3OAuthStateStore
from slack_sdk.oauth.state_store.sqlite3 import SQLite3OAuthStateStore
from slack_sdk.oauth.token_rotation import TokenRotator

from lifestream.errors import ConfigError
from lifestream.installations.store import DATABASE, s3_client
from lifestream.settings import Settings

log = logging.getLogger(__name__)

# A token this close to its expiry is refreshed before a request is handled (bolt's default). Slack's last 12 hours.
ROTATE_MINUTES_BEFORE = 120
# ...and before a worker posts with it: long enough for any post, later than the bot, to rarely race it.
WORKER_ROTATE_MINUTES = 15
STATE_SECONDS = 600  # how long an "Add to Slack" link stays good (bolt's default)


class CurrentSQLiteInstallationStore(SQLite3InstallationStore):
    """slack_sdk's SQLite store keeping only each workspace's current installation.

    As the S3 store with ``historical_data_enabled=False``: no replaced or rotated token stays at rest, and a
    token refreshed within a second of the previous save is still the one found (the store orders its rows
    by a timestamp with one-second resolution, so two rows of the same second would tie).
    """

    def save(self, installation: Installation) -> None:
        super().save(installation)
        where = "client_id = ? and enterprise_id = ? and team_id = ?"
        key = [self.client_id, installation.enterprise_id or "", installation.team_id or ""]
        with self.connect() as conn:  # the newest row (highest id) of the workspace stays; the older ones go
            conn.execute(
                f"delete from slack_installations where {where} and user_id = ? and id < "
                f"(select max(id) from slack_installations where {where} and user_id = ?)",
                [*key, installation.user_id, *key, installation.user_id],
            )
            conn.execute(
                f"delete from slack_bots where {where} and id < (select max(id) from slack_bots where {where})",
                [*key, *key],
            )


InstallationStore = CurrentSQLiteInstallationStore | AmazonS3InstallationStore
StateStore = SQLite3OAuthStateStore | AmazonS3OAuthStateStore


def slack_problem(settings: Settings) -> str | None:
    """Why the Slack settings cannot work together, or None."""
    if settings.slack_bot_token and (settings.slack_client_id or settings.slack_client_secret):
        return (
            "Slack: set LIFESTREAM_SLACK_BOT_TOKEN (one workspace) or LIFESTREAM_SLACK_CLIENT_ID and "
            "LIFESTREAM_SLACK_CLIENT_SECRET (installs into any number of workspaces), not both."
        )
    if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
        return "Slack: LIFESTREAM_SLACK_CLIENT_ID and LIFESTREAM_SLACK_CLIENT_SECRET must both be set."
    if settings.slack_client_id and not settings.slack_signing_secret:
        return "Slack: installing by OAuth needs LIFESTREAM_SLACK_SIGNING_SECRET (the app's signing secret)."
    return None


def oauth_enabled(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


def installation_store(settings: Settings) -> InstallationStore:
    assert settings.slack_client_id
    if settings.installations_bucket:
        # One current installation per workspace: past ones would keep revoked and rotated tokens around.
        return AmazonS3InstallationStore(
            s3_client=s3_client(settings),
            bucket_name=settings.installations_bucket,
            client_id=settings.slack_client_id,
            historical_data_enabled=False,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return CurrentSQLiteInstallationStore(
        database=str(settings.data_dir / DATABASE), client_id=settings.slack_client_id
    )


def state_store(settings: Settings) -> StateStore:
    if settings.installations_bucket:
        return AmazonS3OAuthStateStore(
            s3_client=s3_client(settings), bucket_name=settings.installations_bucket, expiration_seconds=STATE_SECONDS
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SQLite3OAuthStateStore(database=str(settings.data_dir / DATABASE), expiration_seconds=STATE_SECONDS)


class SlackInstallations:
    """The bot token of each workspace, and its installation's lifecycle."""

    def __init__(self, settings: Settings) -> None:
        if problem := slack_problem(settings):
            raise ConfigError(problem)
        self.settings = settings
        self.oauth = oauth_enabled(settings)
        self.store: InstallationStore | None = installation_store(settings) if self.oauth else None
        self._rotator = (
            TokenRotator(
                client_id=settings.slack_client_id or "",
                client_secret=settings.slack_client_secret or "",
                client=WebClient(base_url=settings.slack_api_url),
            )
            if self.oauth
            else None
        )
        self._rotating = threading.Lock()

    @property
    def configured(self) -> bool:
        """Whether this process can talk to Slack at all."""
        return self.oauth or bool(self.settings.slack_bot_token)

    def find(self, team: str, enterprise: str | None = None) -> Installation | None:
        if self.store is None:
            return None
        return self.store.find_installation(enterprise_id=enterprise, team_id=team)

    def bot_token(self, team: str, enterprise: str | None = None) -> str | None:
        """The workspace's bot token, refreshed first if it is about to expire; None: not installed there."""
        if not self.oauth:
            return self.settings.slack_bot_token
        with self._rotating:  # one refresh at a time in this process
            for attempt in (1, 2):  # a second read finds what another process refreshed a moment earlier
                installation = self.find(team, enterprise)
                if installation is None or installation.bot_token is None:
                    return None
                assert self._rotator is not None and self.store is not None
                try:
                    rotated = self._rotator.perform_token_rotation(
                        installation=installation, minutes_before_expiration=WORKER_ROTATE_MINUTES
                    )
                except SlackTokenRotationError as exc:
                    error = exc.api_error.response.get("error")
                    log.warning("could not refresh the bot token of workspace %s (try %d): %s", team, attempt, error)
                    continue
                if rotated is None:
                    return installation.bot_token
                self.store.save(rotated)
                log.info("refreshed the bot token of workspace %s", team)
                return rotated.bot_token
        return None  # refused twice: revoked (uninstalled), nothing to post with

    def delete(self, team: str, enterprise: str | None = None) -> None:
        """Forget every installation (bot and users) of the workspace: it was uninstalled."""
        if self.store is not None:
            self.store.delete_all(enterprise_id=enterprise, team_id=team)
