"""The Teams bot end to end: `lifestream serve` as a real process, Bot Framework activities posted over HTTP
to /api/messages, a local connector-service double as their serviceUrl, and the real pipeline on the sample.

The activities are shaped as Teams sends them (channelId msteams, conversation with ;messageid= for a
channel reply chain, channelData with tenant/team/channel, <at> mentions with their mention entity, file
attachments as application/vnd.microsoft.teams.file.download.info), posted without a token, as the Bot
Framework Emulator does when the bot runs with LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED=true. A second server
with an app id and password checks that JWT validation is on and refuses unsigned requests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import wave
import zipfile
from pathlib import Path

import pytest

from lifestream.bot.teams.cards import SHARED_ELSEWHERE
from tests.doubles.teams import ConnectorDouble
from tests.support.loopback import start_serve, stop_serve, wait_for

ROOT = Path(__file__).resolve().parents[2]
TENANT = "72f988bf-0000-4000-8000-000000000001"
TEAM = "19:team-general@thread.tacv2"
CHANNEL = "19:recordings@thread.tacv2"
BOT = {"id": "28:lifestream-bot", "name": "LifeStream"}
ALICE = {"id": "29:alice", "name": "Alice", "aadObjectId": "00000000-0000-0000-0000-00000000a11c"}
ADAPTIVE = "application/vnd.microsoft.card.adaptive"
FILE_INFO = "application/vnd.microsoft.teams.file.download.info"


# --- driving the bot as Teams would


class Teams:
    """Posts activities to the bot the way the Teams channel (or the Emulator) does, and reads the double."""

    def __init__(self, url: str, connector: ConnectorDouble, data_dir: Path) -> None:
        self.url, self.connector, self.data_dir = url, connector, data_dir
        self._ids = itertools.count(int(time.time() * 1000))

    def post(self, activity: dict, headers: dict | None = None) -> int:
        request = urllib.request.Request(f"{self.url}/api/messages", data=json.dumps(activity).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def activity(self, text: str = "", *, where: str = "channel", mention: bool = False, attachments=(),
                 value: dict | None = None, root: str | None = None) -> dict:
        """A message activity. In a channel each new post starts a reply chain (conversation id ;messageid=)."""
        activity_id = str(next(self._ids))
        if where == "channel":
            conversation = {"id": f"{CHANNEL};messageid={root or activity_id}", "conversationType": "channel",
                            "isGroup": True, "tenantId": TENANT}
            channel_data = {"tenant": {"id": TENANT}, "team": {"id": TEAM, "name": "Product"},
                            "channel": {"id": CHANNEL, "name": "Recordings"}}
        else:
            conversation = {"id": "a:1personal-chat-with-alice", "conversationType": "personal", "tenantId": TENANT}
            channel_data = {"tenant": {"id": TENANT}}
        entities = []
        if mention:
            text = f"<at>{BOT['name']}</at> {text}"
            entities.append({"type": "mention", "text": f"<at>{BOT['name']}</at>", "mentioned": BOT})
        activity = {"type": "message", "id": activity_id, "timestamp": "2026-11-25T12:00:00.000Z",
                    "channelId": "msteams", "serviceUrl": self.connector.service_url, "from": ALICE,
                    "recipient": BOT, "conversation": conversation, "channelData": channel_data,
                    "text": text, "textFormat": "plain", "locale": "en-US", "entities": entities,
                    "attachments": list(attachments)}
        if value is not None:
            activity["value"] = value
        return activity

    def send(self, text: str = "", **kw) -> dict:
        activity = self.activity(text, **kw)
        status = self.post(activity)
        assert status in (200, 201, 202), status
        return activity

    def replies(self, activity: dict, kind: str = "message") -> list[dict]:
        return [a for a in self.connector.replies_to(activity["conversation"]["id"], activity["id"])
                if a.get("type") == kind]


def file_attachment(name: str, url: str) -> dict:
    """A file shared in Teams, as the bot receives it."""
    return {"contentType": FILE_INFO, "contentUrl": f"https://contoso.sharepoint.com/sites/Product/{name}",
            "name": name, "content": {"downloadUrl": url, "uniqueId": "1E2B6D5C-0000-0000-0000-000000000000",
                                      "fileType": name.rsplit(".", 1)[-1]}}


def cards(messages: list[dict]) -> list[dict]:
    return [a["content"] for m in messages for a in (m.get("attachments") or []) if a.get("contentType") == ADAPTIVE]


def card_text(card: dict) -> str:
    """Every text a person sees on a card, nested ShowCards included."""
    texts = []

    def walk(node):
        if isinstance(node, dict):
            for key in ("text", "title", "placeholder"):
                if isinstance(node.get(key), str):
                    texts.append(node[key])
            for child in node.values():
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(card)
    return "\n".join(texts)


def start_server(data_dir: Path, extra_env: dict[str, str]):
    return start_serve(data_dir, {"LIFESTREAM_MAX_UPLOAD_MB": "50", **extra_env})


@pytest.fixture(scope="module")
def connector():
    with ConnectorDouble() as double:
        yield double


@pytest.fixture(scope="module")
def teams(tmp_path_factory, connector):
    data_dir = tmp_path_factory.mktemp("teams-bot")
    proc, url = start_server(data_dir, {"LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED": "true"})
    yield Teams(url, connector, data_dir)
    stop_serve(proc)


@pytest.fixture(scope="module")
def processed(teams, sample_video):
    """The sample video shared once in a channel with an @mention, processed to minutes."""
    url = teams.connector.add_file(sample_video, "video/mp4", name="standup.mp4")
    shared = teams.send("minutes please", mention=True, attachments=[file_attachment("standup.mp4", url)])
    card = wait_for(lambda: cards(teams.replies(shared)), 300, "the minutes card")[0]
    return shared, card


# --- recordings in, minutes out


def test_a_shared_recording_gets_progress_then_an_adaptive_card_in_its_reply_chain(teams, processed):
    shared, card = processed
    # The acknowledgement was updated in place: progress while working, then done (just after the card).
    ack = wait_for(lambda: [r for r in teams.replies(shared)[:1] if "are below" in r["text"]], 30, "the done ack")[0]
    assert "Minutes of **standup.mp4**" in ack["text"]
    replies = teams.replies(shared)
    minutes = replies[-1]
    updates = [u["text"] for u in teams.connector.updates(ack["id"])]
    # The stage in words and the percent (then the time left, once it means something).
    assert any(re.search(r"Processing \*\*standup\.mp4\*\*.*… [A-Z][a-z ]+ · \d+%", t) for t in updates), updates
    assert len(updates) >= 3  # queued, at least one stage, done
    # Everything went to the same reply chain, as replies to the person's message.
    assert {r["_conversation"] for r in replies} == {shared["conversation"]["id"]}
    assert all(r["replyToId"] == shared["id"] for r in replies)
    assert teams.connector.downloads.count("standup.mp4") == 1  # fetched once, from the pre-authenticated downloadUrl

    assert minutes["attachments"][0]["contentType"] == ADAPTIVE and minutes.get("summary", "").startswith("Minutes:")
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert minutes["summary"] == f"Minutes: {card['body'][0]['text']}"  # the offline minutes' title, both places
    text = card_text(card)
    for heading in ("Summary", "Action items", "Diane", "Sheila"):  # speakers by the names they introduced
        assert heading in text
    assert re.search(r"\(\d\d:\d\d\)", text)  # points carry their time in the recording
    open_url = [a for a in card["actions"] if a["type"] == "Action.OpenUrl"]
    assert open_url and "/meetings/" in open_url[0]["url"] and "sig=" in open_url[0]["url"]
    ask = [a for a in card["actions"] if a["type"] == "Action.ShowCard"][0]["card"]
    assert ask["body"][0]["type"] == "Input.Text" and ask["body"][0]["id"] == "question"
    assert ask["actions"][0]["type"] == "Action.Submit" and ask["actions"][0]["data"]["action"] == "ask"
    assert len(json.dumps(card)) < 28_000  # Teams' message size limit


def test_unauthenticated_mode_sends_no_token_to_the_connector(teams, processed):
    assert teams.connector.calls and all(c["authorization"] is None for c in teams.connector.calls)


def test_the_same_recording_shared_again_gets_the_existing_minutes(teams, processed, sample_video):
    url = teams.connector.add_file(sample_video, "video/mp4", name="standup-copy.mp4")
    again = teams.send(mention=True, attachments=[file_attachment("standup-copy.mp4", url)], where="personal")
    card = wait_for(lambda: cards(teams.replies(again)), 60, "the existing minutes")[0]
    # Another conversation than the one it was first shared in: the same minutes, saying so, and no action
    # that would act on the first conversation's meeting (ask, rename).
    note = [b for b in card["body"] if b.get("text") == SHARED_ELSEWHERE]
    assert len(note) == 1
    assert [b for b in card["body"] if b not in note] == processed[1]["body"]
    assert not [a for a in card["actions"] if a["type"] != "Action.OpenUrl"]
    assert "processed before" in teams.replies(again)[0]["text"]


def test_a_link_that_fails_says_why_in_the_acknowledgement(teams):
    missing = f"http://127.0.0.1:{teams.connector.port}/sites/files/missing.mp4"
    shared = teams.send(f"here is yesterday's call {missing}", mention=True)
    ack = wait_for(lambda: [m for m in teams.replies(shared) if "can't process" in m.get("text", "")], 30,
                   "the failure")[0]
    assert "Nothing is at that link (404)" in ack["text"] and "missing.mp4" in ack["text"]
    assert len(teams.replies(shared)) == 1  # said in the acknowledgement itself, no second message


def test_a_share_page_link_is_explained(teams):
    shared = teams.send("https://contoso.sharepoint.com/:v:/s/Product/EaBcD?e=xyz.mp4", mention=True)
    ack = wait_for(lambda: [m for m in teams.replies(shared) if "SharePoint" in m.get("text", "")], 30,
                   "the explanation")[0]
    assert "share the file itself" in ack["text"]


def test_an_unsupported_format_is_refused_without_downloading(teams, tmp_path):
    avi = tmp_path / "call.avi"
    avi.write_bytes(b"RIFF0000AVI ")
    url = teams.connector.add_file(avi, "video/x-msvideo")
    shared = teams.send(mention=True, attachments=[file_attachment("call.avi", url)])
    reply = wait_for(lambda: teams.replies(shared), 30, "a reply")[0]
    assert "format I don't take" in reply["text"]
    assert "call.avi" not in teams.connector.downloads


def test_a_failed_job_says_why_with_a_retry_action_that_works(teams, tmp_path):
    silent = tmp_path / "silence.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\x00\x00" * 16000 * 4)
    url = teams.connector.add_file(silent, "audio/wav")
    shared = teams.send(mention=True, attachments=[file_attachment("silence.wav", url)])
    failure = wait_for(lambda: cards(teams.replies(shared)), 120, "the failure card")[0]
    assert "couldn't process **silence.wav**" in card_text(failure)
    assert "no speech was found" in card_text(failure)
    # The acknowledgement is edited just after the card is sent: wait for it rather than race it.
    wait_for(lambda: "Processing **silence.wav** failed" in teams.replies(shared)[0]["text"], 30,
             "the acknowledgement to say it failed")
    retry = failure["actions"][0]
    assert retry["type"] == "Action.Submit" and retry["title"] == "Retry" and retry["data"]["action"] == "retry"

    # Pressing Retry sends the action's data back as the activity's value, in the same reply chain.
    pressed = teams.send(value=retry["data"], root=shared["id"])
    reply = wait_for(lambda: teams.replies(pressed), 30, "the retry reply")[0]
    assert "Processing **silence.wav** again" in reply["text"]
    wait_for(lambda: len(cards(teams.replies(shared))) == 2, 120, "the second failure")


def test_retry_of_a_job_from_another_conversation_is_refused(teams, processed):
    job_id = next(a for a in processed[1]["actions"] if a["type"] == "Action.ShowCard")["card"]["actions"][0]["data"][
        "meeting_id"]
    pressed = teams.send(value={"action": "retry", "job_id": job_id}, where="personal")
    reply = wait_for(lambda: teams.replies(pressed), 30, "the reply")[0]
    assert "can't find that job in this conversation" in reply["text"]


# --- questions


def test_ask_after_a_mention_answers_with_citations(teams, processed):
    title = processed[1]["body"][0]["text"]
    asked = teams.send("ask where is Diane from?", mention=True)  # a new reply chain in the same channel
    card = wait_for(lambda: cards(teams.replies(asked)), 90, "the answer")[0]
    text = card_text(card)
    assert text.startswith("**Q:** where is Diane from?")  # the @mention and the command word are gone
    assert "Jersey" in text or "Chicago" in text
    assert "Sources" in text
    citation = re.search(r"\[1\] \[(?P<title>[^\]]+)\]\((?P<link>[^)]+)\) · (?P<speaker>Diane|Sheila) · (?P<at>\d\d:\d\d)",
                         text)
    assert citation, text
    assert citation["title"] == title and "/meetings/" in citation["link"] and "sig=" in citation["link"]
    assert teams.replies(asked, "typing")  # a typing indicator while searching


def test_the_ask_button_on_the_minutes_card_answers_about_that_meeting(teams, processed):
    shared, minutes = processed
    submit = next(a for a in minutes["actions"] if a["type"] == "Action.ShowCard")["card"]["actions"][0]["data"]
    pressed = teams.send(value={**submit, "question": "where is Diane from?"}, root=shared["id"])
    card = wait_for(lambda: cards(teams.replies(pressed)), 90, "the answer")[0]
    assert "Jersey" in card_text(card) or "Chicago" in card_text(card)


def test_ask_only_searches_meetings_of_this_conversation(teams, processed):
    asked = teams.send("ask where is Diane from?", where="personal")
    card = wait_for(lambda: cards(teams.replies(asked)), 90, "the answer")[0]
    text = card_text(card)
    assert "Jersey" not in text and "Chicago" not in text
    assert "couldn't find" in text.lower()


def test_help(teams):
    asked = teams.send("help", where="personal")
    reply = wait_for(lambda: teams.replies(asked), 30, "help")[0]
    assert "Share a recording" in reply["text"] and "**ask**" in reply["text"]
    mentioned = teams.send("", mention=True)  # just the @mention
    assert "Share a recording" in wait_for(lambda: teams.replies(mentioned), 30, "help")[0]["text"]


def test_a_redelivered_activity_is_handled_once(teams):
    asked = teams.activity("help", where="personal")
    assert teams.post(asked) in (200, 201) and teams.post(asked) in (200, 201)
    wait_for(lambda: teams.replies(asked), 30, "help")
    time.sleep(1)
    assert len(teams.replies(asked)) == 1


def test_malformed_requests_get_4xx_not_a_stack_trace(teams):
    request = urllib.request.Request(f"{teams.url}/api/messages", data=b"{not json", method="POST",
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 400 and b"Traceback" not in err.value.read()
    assert teams.post({"text": "no type"}) == 400


def test_nothing_the_bot_did_left_a_stack_trace_in_its_log(teams, processed):
    log = (teams.data_dir / "serve.log").read_text()
    assert "Traceback" not in log, log[-6000:]


def test_only_the_bots_own_mention_is_removed():
    from botbuilder.schema import Activity

    from lifestream.bot.teams.activities import command_text

    raw = Teams("", ConnectorDouble(), Path(".")).activity("ask what did <at>Diane</at> promise LifeStream users?",
                                                           mention=True)
    raw["entities"].append({"type": "mention", "text": "<at>Diane</at>", "mentioned": {"id": "29:diane"}})
    assert command_text(Activity().deserialize(raw)) == "ask what did Diane promise LifeStream users?"


def test_long_minutes_are_shortened_to_fit_one_teams_message_and_transcripts_cannot_inject_links():
    from lifestream.bot.teams.cards import MAX_CARD_BYTES, minutes_card
    from lifestream.models import ActionItem, Meeting, Minutes, Point, SourceInfo, SpeakerPoints

    words = "we talked about the roadmap and the [prize](https://evil.example) at length " * 8
    minutes = Minutes(title="Long planning", summary=words * 3,
                      key_points=[SpeakerPoints(speaker=f"SPEAKER_{s}", points=[Point(text=words, timestamp=60.0 * i)
                                                                               for i in range(40)]) for s in range(8)],
                      decisions=[Point(text=words, speaker="SPEAKER_1", timestamp=5.0)] * 30,
                      action_items=[ActionItem(task=words, owner="SPEAKER_2", due="Friday", due_date="2026-11-27",
                                               timestamp=61.0)] * 30)
    meeting = Meeting(meeting_id="m1", source=SourceInfo(name="planning.mp4", sha256="0" * 64, size_bytes=1, format="mp4",
                                                         duration=5400.0, has_video=True),
                      speakers=[f"SPEAKER_{s}" for s in range(8)], speaker_names={"SPEAKER_2": "Priya"},
                      minutes=minutes)
    card = minutes_card(meeting, link="https://lifestream.example.com/meetings/m1?exp=1&sig=x")
    size = len(json.dumps(card).encode())
    assert size <= MAX_CARD_BYTES
    text = card_text(card)
    assert "more in the full minutes" in text and "**Priya**, due 2026-11-27 (01:01)" in text
    assert "](https://evil" not in text  # a transcript's markdown link is shown, never made clickable
    assert "1:30:00" in text  # the meeting's length

    crowd = meeting.model_copy(update={"minutes": minutes.model_copy(update={"key_points": minutes.key_points * 40})})
    card = minutes_card(crowd)
    assert len(json.dumps(card).encode()) <= MAX_CARD_BYTES and "Each speaker's points" in card_text(card)


def test_the_minutes_card_offers_downloads_and_the_insights_line():
    from lifestream.bot.teams.cards import minutes_card
    from lifestream.models import Meeting, Minutes, Segment, SourceInfo, Transcript

    segments = [Segment(id=0, start=0.0, end=20.0, text="Shall we start with the budget?", speaker="SPEAKER_1"),
                Segment(id=1, start=21.0, end=30.0, text="Yes, the budget is ready.", speaker="SPEAKER_2")]
    meeting = Meeting(meeting_id="m1", source=SourceInfo(name="b.mp4", sha256="0" * 64, size_bytes=1, format="mp4",
                                                         duration=30.0, has_video=True),
                      speakers=["SPEAKER_1", "SPEAKER_2"], minutes=Minutes(title="Budget", summary="Budget ready."),
                      transcript=Transcript(language="en", duration=30.0, segments=segments))
    card = minutes_card(meeting, link="https://ls.example/meetings/m1?exp=1900000000&sig=ab", job_id="j1")
    urls = {a["title"]: a.get("url") for a in card["actions"]}
    assert urls["Download PDF"] == "https://ls.example/meetings/m1/download/pdf?exp=1900000000&sig=ab"
    assert urls["Download Word"] == "https://ls.example/meetings/m1/download/docx?exp=1900000000&sig=ab"
    assert len(card["actions"]) <= 6  # what Teams shows on a card
    assert "Talk time SPEAKER_1 69%, SPEAKER_2 31%" in card_text(card)


def test_a_separate_worker_posts_with_only_the_stored_origin(connector, tmp_path):
    """`lifestream worker` with Teams credentials: no request, no bot, just the job's origin."""
    import threading

    from lifestream.bot.teams.notify import TeamsNotifier
    from lifestream.origin import SlackOrigin, TeamsOrigin
    from lifestream.services import Services
    from lifestream.settings import Settings
    from lifestream.workers.hooks import JobEvent
    from lifestream.workers.jobstore import Job, JobState

    notifier = TeamsNotifier(Services(Settings(data_dir=tmp_path, teams_allow_unauthenticated=True,
                                               teams_app_id=None, teams_app_password=None, teams_tenant_id=None)))
    conversation = "a:1worker-test-chat"
    reference = {"activityId": "user-msg-1", "user": ALICE, "bot": BOT, "channelId": "msteams",
                 "conversation": {"id": conversation, "conversationType": "personal"},
                 "serviceUrl": connector.service_url}
    job = Job(id="j1", state=JobState.FAILED, reason="the LLM endpoint timed out.", retryable=True, storage_key="k",
              idempotency_key="i", source_name="weekly.mp4",
              origin=TeamsOrigin(workspace="tenant-1", conversation=conversation, reference=reference,
                                 status_id="bot-ack-x"))
    errors = []

    def worker_thread():
        try:
            notifier(JobEvent("failed", job))
            slack = SlackOrigin(workspace="T1", conversation="C1")
            notifier(JobEvent("failed", job.model_copy(update={"origin": slack})))  # not ours
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=worker_thread)
    thread.start(), thread.join(60)
    assert not errors
    posted = connector.in_conversation(conversation)
    failure = cards(posted)
    assert len(failure) == 1 and "the LLM endpoint timed out" in card_text(failure[0]) and "Retrying may help" in card_text(failure[0])
    assert posted[0]["replyToId"] == "user-msg-1"
    # The acknowledgement it tries to update does not exist in this double: that is a 404 the worker logs.
    assert [c["path_id"] for c in connector.calls if c["method"] == "PUT" and c["conversation"] == conversation] == ["bot-ack-x"]


# --- authentication and configuration


def test_with_credentials_unsigned_and_forged_requests_get_401(tmp_path, connector):
    import jwt

    proc, url = start_server(tmp_path, {"LIFESTREAM_TEAMS_APP_ID": "11111111-2222-3333-4444-555555555555",
                                        "LIFESTREAM_TEAMS_APP_PASSWORD": "not-a-real-secret"})
    try:
        teams = Teams(url, connector, tmp_path)
        before = len(connector.calls)
        activity = teams.activity("help", where="personal")
        assert teams.post(activity) == 401  # no Authorization header at all
        assert teams.post(activity, {"Authorization": "Bearer not-a-jwt"}) == 401
        forged = jwt.encode({"iss": "https://attacker.example", "aud": "11111111-2222-3333-4444-555555555555",
                             "serviceurl": connector.service_url, "exp": int(time.time()) + 600},
                            "k" * 32, algorithm="HS256")
        assert teams.post(activity, {"Authorization": f"Bearer {forged}"}) == 401
        time.sleep(1)
        assert len(connector.calls) == before  # nothing was answered
        assert urllib.request.urlopen(f"{url}/healthz", timeout=5).status == 200
    finally:
        stop_serve(proc)
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


def test_without_teams_settings_the_route_says_what_is_missing(tmp_path):
    from aiohttp import ClientSession, web

    from lifestream.server import build_app
    from lifestream.services import Services
    from lifestream.settings import Settings

    async def call() -> tuple[int, dict]:
        settings = Settings(data_dir=tmp_path, teams_app_id=None, teams_app_password=None, teams_tenant_id=None,
                            teams_allow_unauthenticated=False)
        runner = web.AppRunner(build_app(Services(settings)))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        try:
            async with ClientSession() as session:
                async with session.post(f"http://127.0.0.1:{port}/api/messages", json={"type": "message"}) as r:
                    return r.status, await r.json()
        finally:
            await runner.cleanup()

    status, body = asyncio.run(call())
    assert status == 503 and "LIFESTREAM_TEAMS_APP_ID" in body["error"]


def test_half_a_credential_does_not_turn_validation_off():
    from lifestream.bot.teams.config import teams_mode, teams_problem
    from lifestream.settings import Settings

    half = Settings(teams_app_id="11111111-2222-3333-4444-555555555555", teams_allow_unauthenticated=True)
    assert teams_mode(half) == "jwt" and "must both be set" in teams_problem(half)
    assert teams_problem(Settings(teams_allow_unauthenticated=True)) is None
    single = Settings(teams_app_id="a", teams_app_password="b", teams_tenant_id="c")
    from lifestream.bot.teams.config import BotConfig

    assert BotConfig(single).APP_TYPE == "SingleTenant" and BotConfig(single).APP_TENANTID == "c"


# --- the app package


def test_manifest_matches_the_schema_subset_and_the_package_is_complete(tmp_path):
    """Validates the packaged manifest against tests/data/teams-manifest-v1.16.subset.schema.json.

    That file is NOT Microsoft's schema: the official v1.16 schema cannot be downloaded here (no internet),
    so it is a hand-written subset of it (required fields, types, length limits, the bots/commandLists
    structure, validDomains). Icon sizes and the outline's transparency are checked with Pillow, as the
    schema cannot. Teams' own validator (Developer Portal) may still find things this test does not.
    """
    import jsonschema
    from PIL import Image

    app_id = "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"
    out = tmp_path / "lifestream-teams.zip"
    subprocess.run([str(ROOT / "scripts" / "teams-package.sh"), app_id, "lifestream.example.com", str(out)],
                   check=True, capture_output=True, text=True)
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]  # at the root, as Teams wants
        manifest = json.loads(zf.read("manifest.json"))
        zf.extractall(tmp_path / "package")
    schema = json.loads((ROOT / "tests" / "data" / "teams-manifest-v1.16.subset.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    jsonschema.Draft7Validator(schema).validate(manifest)

    assert manifest["id"] == app_id and manifest["bots"][0]["botId"] == app_id
    bot = manifest["bots"][0]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"} and bot["supportsFiles"] is True
    assert {c["title"] for c in bot["commandLists"][0]["commands"]} == {"ask", "rename", "help"}
    assert manifest["validDomains"] == ["lifestream.example.com"]
    assert "{{" not in json.dumps(manifest)

    color = Image.open(tmp_path / "package" / manifest["icons"]["color"])
    outline = Image.open(tmp_path / "package" / manifest["icons"]["outline"]).convert("RGBA")
    assert color.format == "PNG" and color.size == (192, 192)
    assert outline.size == (32, 32)
    raw = outline.tobytes()
    pixels = [tuple(raw[i:i + 4]) for i in range(0, len(raw), 4)]
    assert any(a == 0 for *_, a in pixels) and any(a == 255 for *_, a in pixels)  # transparent with a drawn glyph
    assert all((r, g, b) == (255, 255, 255) for r, g, b, a in pixels if a)  # white only

    # A wrong app id is refused rather than packaged.
    bad = subprocess.run([str(ROOT / "scripts" / "teams-package.sh"), "not-a-guid", "lifestream.example.com",
                          str(tmp_path / "bad.zip")], capture_output=True, text=True)
    assert bad.returncode != 0 and "GUID" in bad.stderr and not (tmp_path / "bad.zip").exists()

    # And the schema subset does catch what it claims to check.
    broken = {**manifest, "bots": [{**bot, "scopes": ["everyone"]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft7Validator(schema).validate(broken)


# --- naming speakers (last: it changes the processed meeting's names)


def test_speakers_are_renamed_by_command_or_by_the_cards_form_and_the_posted_card_follows(teams, processed):
    shared, card = processed
    posted = next(m for m in teams.replies(shared) if cards([m]))
    form = next(a for a in card["actions"] if a.get("title") == "Rename speakers")["card"]
    assert [i["id"] for i in form["body"]] == ["name:SPEAKER_1", "name:SPEAKER_2"]

    # Typed in the channel (a new reply chain): the channel's latest minutes.
    typed = teams.send("rename speaker_1 Priya", mention=True)
    reply = wait_for(lambda: teams.replies(typed), 60, "the rename's reply")[0]
    assert "SPEAKER_1 is now **Priya**" in reply["text"] and "standup.mp4" in reply["text"]
    wait_for(lambda: "Priya" in card_text(cards([teams.connector.activities[posted["id"]]])[0]), 30,
             "the posted card to be re-rendered")

    # The card's form, submitted as Teams sends it: the inputs beside the action's data.
    pressed = teams.send(value={**form["actions"][0]["data"], "name:SPEAKER_1": "", "name:SPEAKER_2": "Sam"},
                         root=shared["id"])
    reply = wait_for(lambda: teams.replies(pressed), 60, "the form's reply")[0]
    assert "SPEAKER_2 is **Sam**" in reply["text"]
    now = wait_for(lambda: (t := card_text(cards([teams.connector.activities[posted["id"]]])[0])) and "Sam" in t
                   and t, 30, "the card with the new names")
    assert "Priya" not in now  # an empty box clears a name

    elsewhere = teams.send(value={**form["actions"][0]["data"], "name:SPEAKER_2": "Eve"}, where="personal")
    assert "can't find that meeting in this conversation" in wait_for(lambda: teams.replies(elsewhere), 30,
                                                                     "the refusal")[0]["text"]


def test_unauthenticated_mode_answers_only_when_the_server_listens_on_loopback(tmp_path, connector):
    # Anyone who can reach the port could post activities as anyone: on all interfaces, the route says why not.
    proc, url = start_server(tmp_path, {"LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED": "true", "LIFESTREAM_HOST": "0.0.0.0"})
    try:
        teams = Teams(url, connector, tmp_path)
        before = len(connector.calls)
        request = urllib.request.Request(f"{url}/api/messages", method="POST",
                                         data=json.dumps(teams.activity("help", where="personal")).encode(),
                                         headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 503 and "LIFESTREAM_HOST=127.0.0.1" in refused.value.read().decode()
        time.sleep(1)
        assert len(connector.calls) == before  # nothing was answered
    finally:
        stop_serve(proc)
