"""The workspace in Slack: its settings (admins change them in a modal), its App Home tab, and the app leaving it.

Uninstalling the app, or Slack revoking the bot's token, deletes the workspace's installation and then all its
data (``lifestream.workspaces``), one workspace at a time in this process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading

from slack_sdk.errors import SlackApiError

from lifestream.bot import settings_choices
from lifestream.bot.slack.ids import workspace_of
from lifestream.bot.slack.settings_view import ADMINS_ONLY, home_view, settings_modal, settings_text, submitted
from lifestream.errors import LifeStreamError
from lifestream.services import Services
from lifestream.workspaces import change_settings, finish_deletions, start_deletion

log = logging.getLogger(__name__)


class SlackWorkspace:
    """``help_text``: what the Home tab says above the settings."""

    def __init__(self, services: Services, help_text: str) -> None:
        self.services = services
        self.settings = services.settings
        self.help_text = help_text
        self._deleting = asyncio.Lock()  # one workspace deletion at a time in this process
        self._stopping = threading.Event()  # set at shutdown: a deletion waiting for running jobs stops waiting

    def stop(self) -> None:
        """At shutdown: a deletion waiting for running jobs stops waiting (after its current pass)."""
        self._stopping.set()

    async def is_admin(self, client, user: str) -> bool:
        """Workspace admins and owners may change the workspace's settings."""
        try:
            info = (await client.users_info(user=user))["user"]
        except SlackApiError as exc:  # e.g. an installation from before users:read was asked for
            log.warning("users.info failed (%s): treating %s as not an admin", exc.response.get("error"), user)
            return False
        return bool(info.get("is_admin") or info.get("is_owner") or info.get("is_primary_owner"))

    def _summary(self, team: str) -> list[tuple[str, str]]:
        return settings_choices.summary(self.services.workspace_settings(team), self.services.workspaces.overrides(team),
                                        llm_available=bool(self.settings.llm_base_url))

    async def show_settings(self, command: dict, respond, client) -> None:
        """``/ask settings``: the modal for an admin, the settings in words for everyone else."""
        team = workspace_of(command.get("team_id"))
        if await self.is_admin(client, command["user_id"]):
            await self.open_settings(client, team, command["user_id"], command["trigger_id"])
            return
        summary = await asyncio.to_thread(self._summary, team)
        await respond(text=f"*This workspace's LifeStream settings*\n{settings_text(summary)}\n_{ADMINS_ONLY}_",
                      response_type="ephemeral")

    async def open_settings(self, client, team: str, user: str, trigger_id: str) -> None:
        if not await self.is_admin(client, user):
            return
        chosen = await asyncio.to_thread(self.services.workspaces.overrides, team)
        forms = settings_choices.forms(chosen, self.services.workspace_settings(None),
                                       llm_available=bool(self.settings.llm_base_url))
        await client.views_open(trigger_id=trigger_id, view=settings_modal(forms, team))

    async def save_settings(self, client, team: str, user: str, view: dict) -> str | None:
        """Save a submitted settings modal; the reason it cannot be saved, for the modal, or None."""
        if json.loads(view.get("private_metadata") or "{}").get("workspace") != team:
            return "This form belongs to another workspace."
        if not await self.is_admin(client, user):
            return ADMINS_ONLY
        try:
            values, reset = settings_choices.read(submitted(view))
            await asyncio.to_thread(change_settings, self.services, team, values, reset=reset, by=f"slack:{team}:{user}")
        except LifeStreamError as exc:
            return exc.message
        return None

    async def publish_home(self, client, team: str, user: str) -> None:
        summary = await asyncio.to_thread(self._summary, team)
        view = home_view(self.help_text, summary, can_edit=await self.is_admin(client, user))
        await client.views_publish(user_id=user, view=view)

    async def uninstall(self, team: str, enterprise: str | None) -> None:
        """The app left the workspace: forget its installation, then delete everything it had here."""
        log.info("LifeStream was uninstalled from workspace %s: deleting its installation and data", team)
        await asyncio.to_thread(self.services.slack.delete, team, enterprise)
        await asyncio.to_thread(start_deletion, self.services, team)
        async with self._deleting:  # running jobs take a lease period to stop: this may take a minute
            await asyncio.to_thread(finish_deletions, self.services, wait=self._stopping.wait)
