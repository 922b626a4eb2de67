"""People, not SPEAKER_2, in the chats: one `lifestream serve` with Slack and Teams (their doubles on
127.0.0.1), a scripted call spoken by two espeak-ng voices ("this is Diane…", "Marcus, can you…"), and the
members of the channel and the team as the people the speakers may be.

With voiceprints on, a member linked by a heard name has their voice remembered, in the Slack workspace
only; clearing a wrong name unlearns it; `/ask my voice` shows it and `/ask forget my voice` deletes it.

What a person sees: the owners of action items are real mentions (Slack's <@U…>, a Teams mention
entity), the Rename speakers forms open prefilled with the names guessed, and emptying a box clears a
wrong guess.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.voiceprints import VoiceprintStore
from tests.bots.test_slack_bot import SECRET, Bot
from tests.bots.test_teams_bot import ALICE, TEAM, Teams, card_text, cards, file_attachment
from tests.doubles.slack import BOT_TOKEN, SlackDouble
from tests.doubles.teams import ConnectorDouble
from tests.support.loopback import start_serve, stop_serve, wait_for
from tests.support.media import speak

CHANNEL = "C300"  # the Slack channel the calls are shared in
USER = "U1"  # who shares them (tests.bots.test_slack_bot's user)
CALL = [
    ("A", "Good morning everyone, this is Diane. Let's review the launch plan for the mobile app."),
    ("B", "Morning. The beta build is ready, but the login screen still crashes on older phones."),
    ("A", "Marcus, can you fix the login crash by Friday?"),
    ("B", "Yes. I will fix the login crash and send a new build by Friday."),
    ("A", "Thanks, Marcus. I will send the slides to the client tomorrow."),
]


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


@dataclass
class Chat:
    slack: Bot
    teams: Teams
    data_dir: Path

    def submit_view(self, view: dict, values: dict) -> int:
        """A modal's Save, as Slack posts it: the view with the state of its inputs."""
        payload = {"type": "view_submission", "team": {"id": "T1", "domain": "test"},
                   "user": {"id": USER, "team_id": "T1"}, "api_app_id": "A1", "trigger_id": "t3",
                   "view": {**view, "id": "V1", "team_id": "T1", "app_id": "A1", "bot_id": "BBOT", "hash": "h1",
                            "state": {"values": values}}}
        return self.slack.post(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                               "application/x-www-form-urlencoded")


@pytest.fixture(scope="module")
def chat(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("people-in-chat")
    with SlackDouble() as slack, ConnectorDouble() as connector:
        slack.add_user(USER, "Alex Kim", channels=(CHANNEL,))
        slack.add_user("U_DIANE", "Diane Miller", channels=(CHANNEL,))
        slack.add_user("U_MARCUS", "Marcus Lee", display_name="marcus", channels=(CHANNEL,))
        slack.add_user("U_NEWS", "News Bot", is_bot=True, channels=(CHANNEL,))
        connector.members[TEAM] = [
            {**ALICE, "givenName": "Alice", "userRole": "user"},
            {"id": "29:diane", "name": "Diane Miller", "givenName": "Diane", "surname": "Miller", "userRole": "user"},
            {"id": "29:marcus", "name": "Marcus Lee", "givenName": "Marcus", "surname": "Lee", "userRole": "user"}]
        proc, url = start_serve(data_dir, {
            "LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_SIGNING_SECRET": SECRET,
            "LIFESTREAM_SLACK_API_URL": slack.base_url, "LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED": "true",
            "LIFESTREAM_VOICEPRINTS": "true"})
        yield Chat(Bot(url, slack, data_dir), Teams(url, connector, data_dir), data_dir)
        stop_serve(proc)


@pytest.fixture(scope="module")
def slack_call(chat, tmp_path_factory):
    wav = speak(CALL, tmp_path_factory.mktemp("slack-call") / "launch-call.wav")
    ts = chat.slack.share_file(chat.slack.slack.add_file("FCALL", wav, "audio/wav"), channel=CHANNEL)
    minutes = wait_for(lambda: [m for m in chat.slack.slack.thread(CHANNEL, ts) if m.get("blocks")
                                and m["blocks"][0]["type"] == "header"], 300, "the call's minutes")[0]
    return ts, minutes


@pytest.fixture(scope="module")
def teams_call(chat, tmp_path_factory):
    # A slower reading of the same call: other bytes, so its own job in the Teams tenant.
    wav = speak(CALL, tmp_path_factory.mktemp("teams-call") / "launch-call.wav", pause=0.9)
    url = chat.teams.connector.add_file(wav, "audio/wav", name="launch-call.wav")
    shared = chat.teams.send("minutes please", mention=True, attachments=[file_attachment("launch-call.wav", url)])
    card = wait_for(lambda: cards(chat.teams.replies(shared)), 300, "the call's minutes card")[0]
    return shared, card


def test_slack_action_items_mention_their_owners(chat, slack_call):
    _, minutes = slack_call
    rendered = dumps(minutes["blocks"])
    assert "I will fix the login crash" in rendered or "fix the login crash" in rendered
    assert "<@U_MARCUS>" in rendered and "<@U_DIANE>" in rendered  # Slack notifies them
    assert "Marcus Lee" in rendered and "Diane Miller" in rendered  # the members' names, not just as heard
    assert "U_NEWS" not in rendered and "Alex Kim" not in rendered


def test_slack_rename_opens_prefilled_and_an_emptied_box_clears_the_guess(chat, slack_call):
    slack = chat.slack.slack
    ts, minutes = slack_call
    meeting_id = next(e["value"] for b in minutes["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "rename_speaker")
    assert chat.slack.click("rename_speaker", meeting_id, minutes, channel=CHANNEL) == 200
    view = wait_for(lambda: slack.calls_to("views.open"), 30, "the rename modal")[-1]["view"]
    prefilled = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert sorted(v for v in prefilled.values() if v) == ["Diane Miller", "Marcus Lee"]
    assert all("Guessed" in b["hint"]["text"] for b in view["blocks"] if b["element"].get("initial_value"))
    marcus = next(label for label, name in prefilled.items() if name == "Marcus Lee")

    values = {label: {"name": {"type": "plain_text_input", "value": None if label == marcus else name}}
              for label, name in prefilled.items()}
    assert chat.submit_view(view, values) == 200
    edited = wait_for(lambda: [m for m in slack.messages[CHANNEL] if m["ts"] == minutes["ts"]
                               and "<@U_MARCUS>" not in dumps(m["blocks"])], 60, "the minutes without Marcus")[0]
    rendered = dumps(edited["blocks"])
    assert "<@U_DIANE>" in rendered and "Marcus Lee" not in rendered  # Diane's guess untouched, Marcus's cleared
    saved = json.loads(next(chat.data_dir.glob(f"results/{meeting_id}/meeting.json")).read_text())
    assert marcus not in saved["speaker_names"] and not saved["speaker_name_sources"]["SPEAKER_1" if marcus != "SPEAKER_1"
                                                                                      else "SPEAKER_2"]["confirmed"]


def test_teams_action_items_mention_their_owners_and_the_form_is_prefilled(chat, teams_call):
    _, card = teams_call
    entities = card["msteams"]["entities"]
    assert {e["mentioned"]["id"] for e in entities} == {"29:diane", "29:marcus"}
    text = card_text(card)
    for entity in entities:
        assert entity["type"] == "mention" and entity["text"] in text  # each entity is in the card's text
    assert "<at>Marcus Lee</at>" in text
    form = next(a for a in card["actions"] if a.get("title") == "Rename speakers")["card"]
    assert sorted(i["value"] for i in form["body"] if i["value"]) == ["Diane Miller", "Marcus Lee"]
    assert form["actions"][0]["data"]["before"] == {i["id"].removeprefix("name:"): i["value"] for i in form["body"]}


def test_voices_of_linked_members_are_remembered_in_their_workspace_and_forgotten_on_request(chat, slack_call,
                                                                                             teams_call):
    # Runs after the rename test, which cleared Marcus's (heard) name: his voice was unlearned with it.
    storage = Services(Settings(data_dir=chat.data_dir)).storage
    store = VoiceprintStore(storage)
    (diane,) = store.gallery("T1")
    assert diane.person_id == "U_DIANE" and diane.name == "Diane Miller" and diane.seconds >= 5
    # The Teams tenant learned its own members' voices from its own call, under its own folder: each
    # workspace reads only its own.
    tenant = next(w for w in {o.key.split("/")[1] for o in storage.list("people/")} if not w.startswith("T1-"))
    kept = sorted(o.key for o in storage.list("people/") if "/voiceprints/" in o.key)
    assert len(kept) == 3 and sum(k.startswith(f"people/{tenant}/voiceprints/29_") for k in kept) == 2
    slack = chat.slack.slack
    assert chat.slack.command("my voice", user="U_DIANE", channel=CHANNEL) == 200
    shown = wait_for(lambda: [b for k, b in slack.calls if k == "response_url" and "voiceprint" in b.get("text", "")],
                     30, "the voice reply")[-1]
    assert "Diane Miller" in shown["text"] and shown["response_type"] == "ephemeral"
    assert chat.slack.command("forget my voice", user="U_DIANE", channel=CHANNEL) == 200
    wait_for(lambda: store.gallery("T1") == [], 30, "the voiceprint deleted")
