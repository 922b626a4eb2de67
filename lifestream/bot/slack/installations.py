"""Installing the Slack app into any workspace: bolt's OAuth flow, on ``lifestream serve``.

    GET /slack/install          the "Add to Slack" page: a fresh ``state`` (kept in the state store for
                                ten minutes, and in a cookie of the installer's browser) in Slack's authorize URL
    GET /slack/oauth_redirect   Slack sends the installer back with a ``code``: bolt checks the state against
                                the cookie and consumes it from the store (a forged or reused one is refused),
                                trades the code for the bot token (``oauth.v2.access``) and saves the
                                installation (``lifestream.installations.slack``)

Both are bolt's own (``AsyncOAuthFlow``); this module only words the pages and refuses what LifeStream cannot
serve: an Enterprise Grid *org-wide* install. A meeting belongs to one workspace (its search scope, its
settings, its deletion on uninstall), so LifeStream is installed into each workspace of an org; an org-wide
token is revoked at once and the installer told how to install it instead.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.error import BoltError
from slack_bolt.oauth.async_callback_options import AsyncCallbackOptions, AsyncFailureArgs, AsyncSuccessArgs
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackTokenRotationError
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.web.async_client import AsyncWebClient

from lifestream.installations import SlackInstallations
from lifestream.installations.slack import ROTATE_MINUTES_BEFORE, STATE_SECONDS, state_store
from lifestream.settings import Settings

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# What the bot needs, and nothing more: manifests/slack.yaml lists the same (a test keeps them equal).
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "channels:read",
    "chat:write",
    "commands",
    "files:read",
    "files:write",
    "groups:history",
    "groups:read",
    "im:history",
    "im:read",
    "mpim:history",
    "mpim:read",
    "users:read",
)
ORG_INSTALL = "org_install"

_FAILURES = {
    "access_denied": "The installation was cancelled in Slack; nothing was installed.",
    "invalid_browser": "This installation was started in another browser, or the link expired. Start again from "
    "the Add to Slack page.",
    "invalid_state": "This installation link has expired or was already used. Start again from the Add to Slack page.",
    "missing_code": "Slack did not send an authorization code back. Start again from the Add to Slack page.",
    "invalid_code": "Slack did not accept the authorization code (it may have been used already). Start again from "
    "the Add to Slack page.",
    "storage_error": "The installation could not be saved on this server; please try again in a minute.",
    ORG_INSTALL: "LifeStream is installed into each workspace, not into a whole Enterprise Grid organization: a "
    "meeting belongs to the workspace it was shared in. The organization-wide installation was undone; "
    "install LifeStream from the Add to Slack page once per workspace instead (an org admin can "
    "allow it per workspace).",
}


class OrgInstallRefused(BoltError):
    """An org-wide (Enterprise Grid) installation, which LifeStream does not serve."""


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
        "line-height:1.5;color:#1d3557}a.button{display:inline-block;padding:.6rem 1.2rem;border-radius:6px;"
        "background:#4a154b;color:#fff;text-decoration:none;font-weight:600}</style></head>"
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )


def install_page(authorize_url: str) -> str:
    return _page(
        "Add LifeStream to Slack",
        (
            "<p>LifeStream turns meeting recordings shared in Slack into minutes in their thread, and answers "
            "questions about past meetings with <code>/ask</code>.</p>"
            f'<p><a class="button" href="{html.escape(authorize_url)}">Add to Slack</a></p>'
            "<p>Slack asks a workspace member to approve the installation; this link is good for ten minutes.</p>"
        ),
    )


class LifeStreamOAuthFlow(AsyncOAuthFlow):
    """bolt's flow, with LifeStream's install page and org-wide installations refused."""

    async def build_install_page_html(self, url: str, request: AsyncBoltRequest) -> str:
        return install_page(url)

    async def store_installation(self, request: AsyncBoltRequest, installation: Installation) -> None:
        if installation.is_enterprise_install:
            try:  # leave no token behind that nobody will use or delete
                await self.client.auth_revoke(token=installation.bot_token)
            except SlackApiError as exc:
                log.warning("could not revoke a refused org-wide installation's token: %s", exc.response.get("error"))
            log.info("refused an org-wide installation for enterprise %s", installation.enterprise_id)
            raise OrgInstallRefused(ORG_INSTALL)
        await super().store_installation(request, installation)
        log.info("installed in workspace %s (%s)", installation.team_id, installation.team_name)


async def _succeeded(args: AsyncSuccessArgs) -> BoltResponse:
    installation = args.installation
    team = html.escape(installation.team_name or installation.team_id or "your workspace")
    link = f"slack://app?team={installation.team_id}&id={installation.app_id}"
    body = (
        f"<p>LifeStream is installed in <strong>{team}</strong>.</p>"
        "<p>Invite <code>@LifeStream</code> to a channel and share a recording (or a link to one) there: the "
        "minutes arrive in its thread. <code>/ask settings</code> (workspace admins) sets how long meetings "
        "are kept and more.</p>"
        f'<p><a class="button" href="{html.escape(link)}">Open Slack</a></p>'
    )
    return BoltResponse(
        status=200,
        body=_page("Installed", body),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )


async def _failed(args: AsyncFailureArgs) -> BoltResponse:
    reason = ORG_INSTALL if isinstance(args.error, OrgInstallRefused) else args.reason
    message = _FAILURES.get(reason, f"Slack did not complete the installation ({reason}).")
    log.info("installation refused or failed: %s", reason)
    again = f'<p><a href="{INSTALL_PATH}">Add to Slack page</a></p>'
    status = 403 if reason == ORG_INSTALL else args.suggested_status_code
    return BoltResponse(
        status=status,
        body=_page("LifeStream was not installed", f"<p>{html.escape(message)}</p>{again}"),
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Set-Cookie": args.settings.state_utils.build_set_cookie_for_deletion(),
        },
    )


def oauth_flow(settings: Settings, installations: SlackInstallations, client: AsyncWebClient) -> LifeStreamOAuthFlow:
    """The flow ``AsyncApp(oauth_flow=...)`` serves at INSTALL_PATH and REDIRECT_PATH."""
    assert installations.store is not None
    oauth = AsyncOAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=list(BOT_SCOPES),
        user_scopes=[],
        redirect_uri=settings.public_base_url.rstrip("/") + REDIRECT_PATH,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=settings.slack_authorize_url,
        installation_store=installations.store,
        state_store=state_store(settings),
        state_expiration_seconds=STATE_SECONDS,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
        callback_options=AsyncCallbackOptions(success=_succeeded, failure=_failed),
    )
    return LifeStreamOAuthFlow(client=client, settings=oauth)


class WorkspaceAuthorize(AsyncInstallationStoreAuthorize):
    """bolt's per-request authorize, tried again when refreshing the token was refused.

    Slack's refresh tokens work once: when a worker (or another bot task) refreshed the same token a moment
    earlier, the second try reads the installation it saved and goes on with that token.
    """

    async def __call__(self, **kwargs: Any) -> AuthorizeResult | None:
        try:
            return await super().__call__(**kwargs)
        except SlackTokenRotationError as exc:
            log.info(
                "refreshing a token was refused (%s); reading the installation again",
                exc.api_error.response.get("error"),
            )
            return await super().__call__(**kwargs)


def authorize(
    settings: Settings,
    installations: SlackInstallations,
    client: AsyncWebClient,
) -> AsyncInstallationStoreAuthorize:
    """bolt's per-request authorize (each workspace's token, refreshed when close to expiry) with the app's client.

    The one ``AsyncOAuthSettings`` makes would refresh tokens through a client of its own, at slack.com;
    this one uses the app's (its base URL, its 429 handling).
    """
    assert installations.store is not None
    return WorkspaceAuthorize(
        logger=log,
        installation_store=installations.store,
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        token_rotation_expiration_minutes=ROTATE_MINUTES_BEFORE,
        client=client,
    )
