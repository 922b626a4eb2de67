"""Teams configuration: which authentication mode the settings ask for, and the botbuilder adapter for it."""

from __future__ import annotations

import ipaddress
from typing import Literal

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from lifestream.errors import LifeStreamError
from lifestream.settings import Settings

Mode = Literal["jwt", "emulator", "off"]


def teams_mode(settings: Settings) -> Mode:
    """jwt: every request must carry a valid Bot Framework token. emulator: none is asked for (local use only)."""
    if settings.teams_app_id or settings.teams_app_password or settings.teams_tenant_id:
        return "jwt"
    return "emulator" if settings.teams_allow_unauthenticated else "off"


def teams_problem(settings: Settings) -> str | None:
    """Why /api/messages cannot take requests with this configuration, or None if it can."""
    mode = teams_mode(settings)
    if mode == "off":
        return ("Teams is not configured: set LIFESTREAM_TEAMS_APP_ID and LIFESTREAM_TEAMS_APP_PASSWORD "
                "(and LIFESTREAM_TEAMS_TENANT_ID for a single-tenant bot), or LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED=true "
                "for local testing with the Bot Framework Emulator.")
    if mode == "jwt" and not (settings.teams_app_id and settings.teams_app_password):
        # Half a credential would silently turn validation off (botbuilder treats an empty app id as "no auth").
        return "Teams is misconfigured: LIFESTREAM_TEAMS_APP_ID and LIFESTREAM_TEAMS_APP_PASSWORD must both be set."
    return None


def unauthenticated_exposure(settings: Settings) -> str | None:
    """Why unauthenticated mode may not serve here: anyone who can reach the port could post as anyone.

    It is for the Bot Framework Emulator on the same machine, so the server must listen on loopback only.
    """
    if teams_mode(settings) != "emulator" or _loopback(settings.host):
        return None
    return (f"LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED is for local use only, but the server listens on "
            f"{settings.host or 'all interfaces'}: set LIFESTREAM_HOST=127.0.0.1, or give the Teams app's "
            "credentials (LIFESTREAM_TEAMS_APP_ID, LIFESTREAM_TEAMS_APP_PASSWORD).")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class BotConfig:
    """The attribute names ``ConfigurationBotFrameworkAuthentication`` reads, as in botbuilder's samples' config.py."""

    def __init__(self, settings: Settings) -> None:
        self.APP_ID = settings.teams_app_id or ""  # empty: authentication disabled (Emulator mode only)
        self.APP_PASSWORD = settings.teams_app_password or ""
        self.APP_TYPE = "SingleTenant" if settings.teams_tenant_id else "MultiTenant"
        self.APP_TENANTID = settings.teams_tenant_id or ""


def build_adapter(settings: Settings) -> CloudAdapter:
    if problem := teams_problem(settings):
        raise LifeStreamError(problem)
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(BotConfig(settings)))
