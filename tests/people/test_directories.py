"""Who is in a conversation, asked of the Slack Web API and the Bot Framework connector (their doubles on
127.0.0.1, driven by the real slack_sdk client and botbuilder adapter)."""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from lifestream.bot.slack.people import SlackDirectory
from lifestream.bot.teams.config import build_adapter
from lifestream.bot.teams.people import conversation_roster
from lifestream.origin import TeamsOrigin
from lifestream.settings import Settings
from tests.doubles.slack import BOT_TOKEN, SlackDouble
from tests.doubles.teams import ConnectorDouble


def test_a_slack_channels_members_are_read_page_by_page_and_profiles_are_cached():
    with SlackDouble() as slack:
        for n in range(250):  # more than one page of conversations.members
            slack.add_user(f"U{n:03d}", f"Person{n} Tester", channels=("C1",))
        slack.add_user("U_DIANE", "Diane Miller", display_name="Di", channels=("C1",))
        slack.add_user("B_BOT", "Deploy Bot", is_bot=True, channels=("C1",))
        slack.add_user("U_GONE", "Gone Person", deleted=True, channels=("C1",))
        slack.add_user("U_ELSE", "Elsewhere Person", channels=("C2",))
        directory = SlackDirectory()

        async def read():
            client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.base_url)
            return await directory.roster(client, "T1", "C1"), await directory.roster(client, "T1", "C1")

        roster, again = asyncio.run(read())
        assert roster is not None and again == roster.model_copy(update={"fetched_at": again.fetched_at})
        ids = {m.person_id for m in roster.members}
        assert len(ids) == 251 and "U_DIANE" in ids and not ids & {"B_BOT", "U_GONE", "U_ELSE"}
        diane = roster.member("U_DIANE")
        assert diane.display_name == "Diane Miller" and "Di" in diane.other_names
        assert len(slack.calls_to("conversations.members")) == 4  # two pages, twice
        assert len(slack.calls_to("users.info")) == 253  # each member once: the second roster used the cache


def test_a_crowd_or_a_missing_scope_gives_no_roster():
    with SlackDouble() as slack:
        for n in range(301):
            slack.add_user(f"U{n:03d}", f"Person{n} Tester", channels=("CALL",))

        async def read(channel: str, token: str = BOT_TOKEN):
            return await SlackDirectory().roster(AsyncWebClient(token=token, base_url=slack.base_url), "T1", channel)

        assert asyncio.run(read("CALL")) is None  # a company-wide channel: names from the recording only
        assert not slack.calls_to("users.info")
        assert asyncio.run(read("C1", token="xoxb-wrong")) is None  # an API error is logged, never raised


def test_a_teams_conversations_members_come_from_the_connector(tmp_path):
    with ConnectorDouble() as connector:
        connector.members["19:team@thread.tacv2"] = [
            {
                "id": f"29:user{n}",
                "name": f"Person{n} Tester",
                "givenName": f"Person{n}",
                "surname": "Tester",
                "aadObjectId": f"00000000-0000-0000-0000-{n:012d}",
                "userRole": "user",
            }
            for n in range(250)
        ] + [{"id": "29:diane", "name": "Diane Miller", "givenName": "Diane", "surname": "Miller", "userRole": "user"}]
        settings = Settings(
            data_dir=tmp_path,
            teams_allow_unauthenticated=True,
            teams_app_id=None,
            teams_app_password=None,
            teams_tenant_id=None,
        )
        reference = {
            "activityId": "m1",
            "user": {"id": "29:diane"},
            "bot": {"id": "28:bot"},
            "channelId": "msteams",
            "conversation": {"id": "19:general@thread.tacv2;messageid=m1", "conversationType": "channel"},
            "serviceUrl": connector.service_url,
        }
        origin = TeamsOrigin(
            workspace="tenant", conversation="19:general@thread.tacv2", reference=reference, team="19:team@thread.tacv2"
        )
        roster = asyncio.run(conversation_roster(build_adapter(settings), settings, origin))
        assert roster is not None and len(roster.members) == 251
        diane = roster.member("29:diane")
        assert diane.display_name == "Diane Miller" and diane.other_names == ["Diane"]
        pages = [c for c in connector.calls if c["path_id"] == "pagedmembers"]
        assert len(pages) == 2 and {c["conversation"] for c in pages} == {"19:team@thread.tacv2"}

        chat = origin.model_copy(update={"team": None, "conversation": "19:unknown-chat"})
        chat = chat.model_copy(update={"reference": {**reference, "conversation": {"id": "19:unknown-chat"}}})
        assert asyncio.run(conversation_roster(build_adapter(settings), settings, chat)) is None  # 404: none
