"""Teams for several organizations: `lifestream serve` (a real process) with a tenant allow-list and tenant admins.

Activities are posted to /api/messages as the Teams channel (or the Emulator) posts them, replies land in the
connector double on loopback. A tenant outside LIFESTREAM_TEAMS_TENANTS is refused before anything is done; an
admin LIFESTREAM_TEAMS_ADMINS names changes the organization's settings with the settings card, and only hers.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys

import pytest

from tests.bots.test_teams_bot import ALICE, TENANT, Teams, card_text, cards, file_attachment
from tests.doubles.teams import ConnectorDouble
from tests.support.loopback import start_serve, stop_serve, wait_for

OTHER_TENANT = "0ff1ce00-0000-4000-8000-0000000000aa"  # an organization that added the multi-tenant bot on its own
BOB = {"id": "29:bob", "name": "Bob", "aadObjectId": "00000000-0000-0000-0000-000000000b0b"}


@pytest.fixture(scope="module")
def connector():
    with ConnectorDouble() as double:
        yield double


@pytest.fixture(scope="module")
def teams(tmp_path_factory, connector):
    data_dir = tmp_path_factory.mktemp("teams-tenants")
    proc, url = start_serve(
        data_dir,
        {
            "LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED": "true",
            "LIFESTREAM_TEAMS_TENANTS": json.dumps([TENANT]),
            "LIFESTREAM_TEAMS_ADMINS": json.dumps([f"{TENANT}:{ALICE['aadObjectId']}"]),
        },
    )
    yield Teams(url, connector, data_dir)
    stop_serve(proc)


def in_tenant(activity: dict, tenant: str) -> dict:
    """The same activity, from another organization (Teams names the tenant in the conversation and channelData)."""
    moved = copy.deepcopy(activity)
    moved["conversation"]["tenantId"] = tenant
    moved["conversation"]["id"] = moved["conversation"]["id"].replace("19:", "19:other-", 1)
    moved["channelData"]["tenant"]["id"] = tenant
    return moved


def from_person(activity: dict, person: dict) -> dict:
    return {**activity, "from": person}


def send(teams: Teams, activity: dict) -> dict:
    assert teams.post(activity) in (200, 201, 202)
    return activity


def lifestream(teams: Teams, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lifestream", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "LIFESTREAM_DATA_DIR": str(teams.data_dir)},
    )


def test_a_tenant_outside_the_allow_list_is_refused_before_anything_is_done(teams, sample_wav):
    connector = teams.connector
    url = connector.add_file(sample_wav, "audio/wav", name="their-standup.wav")
    shared = send(
        teams,
        in_tenant(
            teams.activity("minutes please", mention=True, attachments=[file_attachment("their-standup.wav", url)]),
            OTHER_TENANT,
        ),
    )
    asked = send(teams, in_tenant(teams.activity("ask what did we decide?", where="personal"), OTHER_TENANT))
    for activity in (shared, asked):
        (reply,) = wait_for(lambda a=activity: teams.replies(a), 30, "the refusal")
        assert "does not serve your organization" in reply["text"] and OTHER_TENANT in reply["text"]
    assert "their-standup.wav" not in connector.downloads  # the recording was never fetched
    listed = lifestream(teams, "jobs", "list", "--json")
    assert listed.returncode == 0 and json.loads(listed.stdout) == []  # no job, nothing stored
    assert not list(teams.data_dir.glob("uploads/**/*.wav"))
    # nor do its people change anything, whatever they post
    forged = {"action": "settings", "setting:retention_days": "7"}
    refused = send(teams, in_tenant(teams.activity(where="personal", value=forged), OTHER_TENANT))
    assert "does not serve" in wait_for(lambda: teams.replies(refused), 30, "the refusal")[0]["text"]
    assert "(chosen)" not in lifestream(teams, "workspaces", "settings", OTHER_TENANT).stdout


def test_an_allowed_tenant_is_served(teams):
    helped = teams.send("help", where="personal")
    reply = wait_for(lambda: teams.replies(helped), 30, "the help")[0]
    assert "turns meeting recordings into minutes" in reply["text"]


def test_the_organizations_admin_changes_its_settings_with_the_card_and_nobody_else_does(teams):
    # Bob, a member: the values, and who may change them
    shown = send(teams, from_person(teams.activity("settings", where="personal"), BOB))
    (facts,) = cards(wait_for(lambda: teams.replies(shown), 30, "the settings card"))
    assert "Keep meetings" in card_text(facts) and "LIFESTREAM_TEAMS_ADMINS" in card_text(facts)
    assert not facts.get("actions")  # no form to submit
    forged = send(
        teams, from_person(teams.activity(where="personal", value={"action": "settings", "setting:llm": "off"}), BOB)
    )
    assert (
        "Only this organization's LifeStream admins" in wait_for(lambda: teams.replies(forged), 30, "a no")[0]["text"]
    )
    assert "(chosen)" not in lifestream(teams, "workspaces", "settings", TENANT).stdout

    # Alice, an admin: the form, one choice per setting, "server default" selected
    asked = teams.send("settings", where="personal")
    (form,) = cards(wait_for(lambda: teams.replies(asked), 30, "the settings form"))
    inputs = {b["id"]: b for b in form["body"] if b["type"] == "Input.ChoiceSet"}
    assert set(inputs) == {
        f"setting:{f}"
        for f in (
            "retention_days",
            "recording_retention_days",
            "keep_recordings",
            "redact",
            "voiceprints",
            "minutes_language",
            "llm",
        )
    }
    assert {b["value"] for b in inputs.values()} == {"default"}
    assert form["actions"][0]["data"] == {"action": "settings"}
    # Save: the card's inputs come back beside its data
    saved = teams.send(
        where="personal",
        value={
            "action": "settings",
            "setting:retention_days": "30",
            "setting:keep_recordings": "off",
            "setting:llm": "default",
        },
    )
    (done,) = cards(wait_for(lambda: teams.replies(saved), 30, "the saved settings"))
    assert "Saved." in card_text(done) and {"title": "Keep meetings", "value": "30 days"} in done["body"][1]["facts"]
    stored = lifestream(teams, "workspaces", "settings", TENANT).stdout
    assert re.search(r"retention_days\s+30 days\s+\(chosen\)", stored), stored
    assert re.search(r"keep_recordings\s+off\s+\(chosen\)", stored), stored
    assert re.search(r"llm\s+\S+\s+\(server default\)", stored), stored
    # a bad value says why, and changes nothing
    bad = teams.send(where="personal", value={"action": "settings", "setting:retention_days": "soon"})
    assert "not a number of days" in wait_for(lambda: teams.replies(bad), 30, "the reason")[0]["text"]
    assert re.search(r"retention_days\s+30 days", lifestream(teams, "workspaces", "settings", TENANT).stdout)
