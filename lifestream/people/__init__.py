"""Who a meeting's speakers may be, and what LifeStream keeps about them, per workspace.

* **Rosters** (``roster.py``): the members of the chat a recording was shared in (a Slack channel, a
  Teams conversation), saved by the bot when the recording arrives and read by the worker, whose naming
  stage links a name heard in the recording to the one member it fits (``naming.link_people``).
* **Mentions** (``mentions.py``): speakers linked to a member are @-mentioned as action item owners.
* **Voiceprints** live beside the rosters (``lifestream.voiceprints``), opt-in per workspace.

Everything about the people of one workspace sits under one storage folder, ``people/<workspace>/``,
and nothing is ever shared between workspaces: ``forget_workspace`` removes all of it at once.
"""

from __future__ import annotations

from lifestream.people.mentions import mentionable
from lifestream.people.records import forget_workspace, workspace_prefix
from lifestream.people.roster import Member, Roster, load_roster, save_roster

__all__ = ["Member", "Roster", "forget_workspace", "load_roster", "mentionable", "save_roster", "workspace_prefix"]
