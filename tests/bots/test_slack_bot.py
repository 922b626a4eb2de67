"""The Slack bot end to end: `lifestream serve` as a real process, signed requests over HTTP,
a local Slack Web API double, and the real pipeline on the sample recording."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.doubles.slack import BOT_TOKEN, SlackDouble
from tests.support.loopback import start_serve, stop_serve, wait_for

SECRET = "test-signing-secret"
TEAM, CHANNEL, USER = "T1", "C100", "U1"


def sign(body: str, timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class Bot:
    def __init__(self, url: str, slack: SlackDouble, data_dir: Path) -> None:
        self.url, self.slack, self.data_dir = url, slack, data_dir
        self._event = 0

    def post(self, body: str, content_type: str, headers: dict | None = None, timestamp: int | None = None) -> int:
        request = urllib.request.Request(f"{self.url}/slack/events", data=body.encode(), method="POST",
                                         headers={"Content-Type": content_type, **sign(body, timestamp), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def event(self, event: dict, *, event_id: str | None = None, headers: dict | None = None, timestamp=None) -> int:
        self._event += 1
        body = json.dumps({"type": "event_callback", "team_id": TEAM, "api_app_id": "A1",
                           "event_id": event_id or f"Ev{self._event}", "event_time": int(time.time()), "event": event})
        return self.post(body, "application/json", headers, timestamp)

    def command(self, text: str, user: str = USER, channel: str = CHANNEL) -> int:
        body = urllib.parse.urlencode({
            "command": "/ask", "text": text, "team_id": TEAM, "channel_id": channel, "user_id": user,
            "response_url": f"http://127.0.0.1:{self.slack.port}/respond/x", "trigger_id": "t1"})
        return self.post(body, "application/x-www-form-urlencoded")

    def share_file(self, file: dict, channel: str = CHANNEL, **kw) -> str:
        ts = self.slack.next_ts()
        self.slack.messages[channel].append({"ts": ts, "user": USER, "text": "", "files": [file]})
        assert self.event({"type": "message", "subtype": "file_share", "channel": channel, "user": USER, "ts": ts,
                           "text": "", "files": [file], "channel_type": "channel"}, **kw) == 200
        return ts

    def say(self, text: str, channel: str = CHANNEL, **extra) -> str:
        ts = self.slack.next_ts()
        self.slack.messages[channel].append({"ts": ts, "user": USER, "text": text, **extra})
        assert self.event({"type": "message", "channel": channel, "user": USER, "ts": ts, "text": text, **extra}) == 200
        return ts

    def click(self, action_id: str, value: str, message: dict, channel: str = CHANNEL) -> int:
        payload = {"type": "block_actions", "team": {"id": TEAM}, "user": {"id": USER}, "api_app_id": "A1",
                   "trigger_id": "t2", "channel": {"id": channel}, "container": {"type": "message"},
                   "message": message, "response_url": f"http://127.0.0.1:{self.slack.port}/respond/y",
                   "actions": [{"action_id": action_id, "value": value, "type": "button", "block_id": "b"}]}
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") + json.dumps(m.get("blocks") or []) for m in messages)


@pytest.fixture(scope="module")
def bot(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("slack-bot")
    with SlackDouble() as slack:
        slack.memberships[USER] = [CHANNEL]
        proc, url = start_serve(data_dir, {
            "LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_SIGNING_SECRET": SECRET,
            "LIFESTREAM_SLACK_API_URL": slack.base_url, "LIFESTREAM_MAX_UPLOAD_MB": "50"})
        yield Bot(url, slack, data_dir)
        stop_serve(proc)


@pytest.fixture(scope="module")
def processed(bot, sample_video):
    """The sample video shared once in the channel, processed to minutes."""
    file = bot.slack.add_file("F1", sample_video, "video/mp4")
    ts = bot.share_file(file)
    thread = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if m.get("blocks")
                               and m["blocks"][0]["type"] == "header"], 300, "the minutes in the thread")
    return ts, thread


def test_shared_recording_gets_minutes_in_its_thread(bot, processed):
    ts, minutes = processed
    blocks = minutes[0]["blocks"]
    rendered = json.dumps(blocks)
    # The header is the minutes' title (the topic found, or "Meeting" when there is none), the same as the
    # notification text.
    assert blocks[0]["type"] == "header" and minutes[0]["text"] == f"Minutes: {blocks[0]['text']['text']}"
    for heading in ("*Summary*", "*Action items*", "SPEAKER_1", "SPEAKER_2"):
        assert heading in rendered
    buttons = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert {"ask_meeting", "rerun_job", "rename_speaker"} <= set(buttons)
    assert "/meetings/" in rendered and "sig=" in rendered  # a signed link to the full minutes
    # The status message is edited last (after the minutes and the keyframes): wait for it rather than race it.
    status = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts)[1:2] if "Minutes of" in m["text"]], 60,
                      "the status message to say the minutes are below")[0]
    assert status["user"] == "UBOT"  # updated in place, not a new message
    assert len(bot.slack.calls_to("chat.update")) >= 2  # progress went through updates
    keyframes = [u for u in bot.slack.uploads if u["thread_ts"] == ts and u["data"]]
    assert 1 <= len(keyframes) <= 2 and keyframes[0]["data"][:3] == b"\xff\xd8\xff"  # JPEG


def test_the_status_message_shows_the_stage_in_words_and_the_time_left(bot, processed):
    ts, _ = processed
    status_ts = bot.slack.thread(CHANNEL, ts)[1]["ts"]
    shown = [c["text"] for c in bot.slack.calls_to("chat.update") if c["ts"] == status_ts and "Processing" in c["text"]]
    assert any("… Transcribing · " in t for t in shown), shown
    # Once ASR's rate is known (a fresh deployment: nothing learned yet), the time left joins the stage.
    timed = [t for t in shown if re.search(r"… [A-Z][a-z ]+ · \d+% · (under a minute|about \d+ min) left$", t)]
    assert timed, shown


def test_the_same_file_shared_again_is_not_processed_twice(bot, processed):
    ts, _ = processed
    posted_before = len(bot.slack.calls_to("chat.postMessage"))
    file = bot.slack.add_file("F1", *bot.slack.files["F1"])
    again = bot.share_file(file)
    time.sleep(2)
    assert bot.slack.thread(CHANNEL, again) == [m for m in bot.slack.messages[CHANNEL] if m["ts"] == again]
    assert len(bot.slack.calls_to("chat.postMessage")) == posted_before


def test_a_retried_event_is_handled_once(bot, sample_wav, tmp_path):
    copy = tmp_path / "standup.wav"
    copy.write_bytes(sample_wav.read_bytes())
    file = bot.slack.add_file("F2", copy, "audio/wav")
    ts = bot.share_file(file, event_id="EvRetry")
    bot.event({"type": "message", "subtype": "file_share", "channel": CHANNEL, "user": USER, "ts": ts, "text": "",
               "files": [file]}, event_id="EvRetry", headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    wait_for(lambda: len(bot.slack.thread(CHANNEL, ts)) >= 2, 30, "the acknowledgement")
    time.sleep(2)
    received = [m for m in bot.slack.thread(CHANNEL, ts) if m["user"] == "UBOT"]
    assert len(received) == 1  # one status message; the retry did nothing


def test_bad_signature_and_stale_timestamp_are_rejected(bot):
    body = json.dumps({"type": "event_callback", "team_id": TEAM, "event_id": "EvBad",
                       "event": {"type": "message", "channel": CHANNEL, "text": "hi", "ts": "1.0"}})
    request = urllib.request.Request(f"{bot.url}/slack/events", data=body.encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(int(time.time())),
                                              "X-Slack-Signature": "v0=" + "0" * 64})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(request, timeout=10)
    assert err.value.code == 401
    assert bot.post(body, "application/json", timestamp=int(time.time()) - 6 * 60) == 401


def test_oversized_file_gets_a_message_and_no_job(bot, sample_wav):
    file = bot.slack.add_file("F3", sample_wav, "audio/wav")
    file["size"] = 80 * 1024 * 1024
    ts = bot.share_file(file)
    reply = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if m["user"] == "UBOT"], 30, "a reply")
    assert "over the 50 MB limit" in reply[0]["text"]
    jobs = subprocess.run([sys.executable, "-m", "lifestream", "jobs", "list"], capture_output=True, text=True,
                          env={**os.environ, "LIFESTREAM_DATA_DIR": str(bot.data_dir)}).stdout
    assert "F3" not in jobs and jobs.count("\n") <= 3


def test_share_page_links_are_explained(bot):
    ts = bot.say("here is the recording <https://us02web.zoom.us/rec/share/abc123>")
    reply = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if "Zoom share page" in m["text"]], 30,
                     "the explanation")
    assert "download the recording from Zoom" in reply[0]["text"]


def test_unsupported_media_type(bot, tmp_path):
    avi = tmp_path / "call.avi"
    avi.write_bytes(b"RIFF0000AVI ")
    ts = bot.share_file(bot.slack.add_file("F4", avi, "video/x-msvideo"))
    reply = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if m["user"] == "UBOT"], 30, "a reply")
    assert "format I don't take" in reply[0]["text"]


def test_a_failed_job_says_why_with_a_retry_button(bot, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000))
    ts = bot.share_file(bot.slack.add_file("F5", broken, "video/mp4"))
    reply = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if "can't process" in m["text"]
                              or "couldn't process" in m["text"]], 60, "the failure")
    assert "broken.mp4" in reply[0]["text"] and "not a readable audio or video file" in reply[0]["text"]


def test_ask_answers_with_citations_from_the_users_meetings(bot, processed):
    assert bot.command("where is Diane from?") == 200
    answer = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"], 60, "the answer")[-1]
    rendered = answer["text"] + json.dumps(answer.get("blocks"))
    assert answer["response_type"] == "ephemeral"
    assert "Jersey" in rendered or "Chicago" in rendered
    assert re.search(r"\d\d:\d\d", rendered) and ("Diane" in rendered or "Sheila" in rendered) and "share_answer" in rendered


def test_ask_never_leaks_meetings_of_other_channels(bot, processed):
    bot.slack.memberships["U2"] = ["C999"]  # U2 is not in the channel where the sample was shared
    before = len([1 for n, _ in bot.slack.calls if n == "response_url"])
    assert bot.command("where is Diane from?", user="U2", channel="C999") == 200
    answer = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"][before:], 60, "the answer")[-1]
    rendered = answer["text"] + json.dumps(answer.get("blocks"))
    assert "Jersey" not in rendered and "Chicago" not in rendered
    assert "couldn't find" in rendered.lower()


def test_ask_without_text_gives_help(bot):
    before = len([1 for n, _ in bot.slack.calls if n == "response_url"])
    assert bot.command("") == 200
    answer = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"][before:], 30, "help")[-1]
    assert "/ask" in answer["text"] and "Share a recording" in answer["text"]


def test_rename_updates_the_posted_minutes(bot, processed):
    before = len([1 for n, _ in bot.slack.calls if n == "response_url"])
    assert bot.command("rename SPEAKER_1 Diane") == 200
    reply = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"][before:], 60, "the reply")[-1]
    # the channel's latest processed meeting is the one renamed
    assert "SPEAKER_1 is now *Diane*" in reply["text"]
    # The minutes may carry the name already (Diane introduces herself): wait for the edit itself.
    renamed = wait_for(lambda: [m for m in bot.slack.messages[CHANNEL] if m.get("blocks")
                                and "Diane (SPEAKER_1)" in json.dumps(m["blocks"])
                                and m["ts"] in [u["ts"] for u in bot.slack.calls_to("chat.update")]],  # in place
                       30, "the edit")
    assert "Diane:" in json.dumps(renamed[0]["blocks"]) or "SPEAKER_1:" not in json.dumps(renamed[0]["blocks"])
    assert bot.command("rename SPEAKER_9 Zed") == 200
    reply = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"][before + 1:], 60, "the refusal")[-1]
    assert "SPEAKER_9 is not a speaker" in reply["text"]
    # answers cite the new name: the meeting was re-indexed
    assert bot.command("who is originally from Chicago?") == 200
    answer = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"][before + 2:], 60, "the answer")[-1]
    assert "Diane" in json.dumps(answer.get("blocks"))


def test_a_link_to_a_recording_is_fetched_and_a_known_recording_gets_its_minutes(bot, processed):
    # The same bytes as the video shared above, behind a plain link: no second job, the minutes come
    # straight away; and a 429 from chat.postMessage is waited out, not dropped.
    bot.slack.rate_limit_next["chat.postMessage"] = 1
    path, mime = bot.slack.files["F1"]
    bot.slack.add_file("L1", path, mime)
    ts = bot.say(f"recording from today <http://127.0.0.1:{bot.slack.port}/public/L1/standup.mp4>")
    minutes = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if m.get("blocks")
                                and m["blocks"][0]["type"] == "header"], 60, "the existing minutes")
    assert minutes[0]["blocks"][0]["text"]["text"] == processed[1][0]["blocks"][0]["text"]["text"]
    assert any("was processed before" in m["text"] for m in bot.slack.thread(CHANNEL, ts))
    assert "chat.postMessage:429" in [name for name, _ in bot.slack.calls]


def test_mention_in_a_thread_with_a_recording(bot, processed):
    ts, _ = processed
    mention_ts = bot.slack.next_ts()
    bot.event({"type": "app_mention", "channel": CHANNEL, "user": USER, "ts": mention_ts, "thread_ts": ts,
               "text": "<@UBOT> minutes please"})
    # the thread's recording was handled already (same file id): nothing new is posted for it
    time.sleep(2)
    assert not [m for m in bot.slack.thread(CHANNEL, ts) if "I don't see a recording" in m["text"]]
    empty = bot.say("no recording here")
    bot.event({"type": "app_mention", "channel": CHANNEL, "user": USER, "ts": bot.slack.next_ts(), "thread_ts": empty,
               "text": "<@UBOT> minutes"})
    wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, empty) if "I don't see a recording" in m["text"]], 30,
             "the explanation")


def test_a_job_that_fails_in_the_worker_says_why_with_a_retry_button(bot, tmp_path):
    from tests.support.media import silent_audio

    quiet = silent_audio(tmp_path / "again.wav")  # real media, so a job is made; it has no speech
    ts = bot.share_file(bot.slack.add_file("F6", quiet, "audio/wav"))
    failure = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if m.get("blocks")
                                and "retry_job" in json.dumps(m["blocks"])], 240, "the failure with its button")[0]
    job_id = next(e["value"] for b in failure["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert bot.click("retry_job", job_id, failure) == 200
    assert "no speech was found" in failure["text"]
    wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if "Processing *again.wav* again" in m["text"]], 30,
             "the retry notice")
    # and it fails again for the same reason, said again in the thread
    wait_for(lambda: len([m for m in bot.slack.thread(CHANNEL, ts) if "couldn't process" in m["text"]]) >= 2, 180,
             "the second failure")


# --- hardening (issue 14): the token, other conversations, sharing answers


def test_a_file_url_that_is_not_on_slack_is_refused_not_fetched_with_the_token(bot, sample_wav):
    file = bot.slack.add_file("F8", sample_wav, "audio/wav")
    # The same double, under another origin (localhost, not 127.0.0.1): not Slack's file host, nor the API's.
    file["url_private_download"] = file["url_private_download"].replace("127.0.0.1", "localhost")
    ts = bot.share_file(file)
    reply = wait_for(lambda: [m for m in bot.slack.thread(CHANNEL, ts) if m["user"] == "UBOT"], 30, "a reply")
    assert f"I can't fetch *{sample_wav.name}*" in reply[0]["text"], reply
    time.sleep(1)
    assert len([m for m in bot.slack.thread(CHANNEL, ts) if m["user"] == "UBOT"]) == 1  # nothing was processed


def _buttons(messages: list[dict]) -> dict[str, str]:
    """action_id -> value of the buttons in ``messages``."""
    return {e["action_id"]: e.get("value") for m in messages for b in (m.get("blocks") or [])
            if b["type"] == "actions" for e in b["elements"]}


def test_a_recording_shared_in_a_second_channel_cannot_act_on_the_first_channels_meeting(bot, processed):
    other = "C200"
    ts, _ = processed
    path, mime = bot.slack.files["F1"]
    again = bot.share_file(bot.slack.add_file("F9", path, mime), channel=other)
    copy = wait_for(lambda: [m for m in bot.slack.thread(other, again) if m.get("blocks")
                             and m["blocks"][0]["type"] == "header"], 60, "the minutes in the second channel")
    thread = bot.slack.thread(other, again)
    assert "first shared in another conversation" in json.dumps(copy[0]["blocks"])
    assert not {"ask_meeting", "rename_speaker", "rerun_job"} & set(_buttons(thread))  # it says so, and has no actions

    # The first channel's buttons, used in the second channel (a forwarded message): refused, nothing done.
    first = _buttons(bot.slack.thread(CHANNEL, ts))
    ephemeral, views = len(bot.slack.calls_to("chat.postEphemeral")), len(bot.slack.calls_to("views.open"))
    for action in ("rerun_job", "rename_speaker", "ask_meeting"):
        assert bot.click(action, first[action], copy[0], channel=other) == 200
    refusals = wait_for(lambda: [c for c in bot.slack.calls_to("chat.postEphemeral")[ephemeral:]
                                 if "shared in another conversation" in c.get("text", "")], 30, "the refusals")
    time.sleep(1)
    assert len(refusals) == 3 and all(c["channel"] == other for c in refusals)
    assert len(bot.slack.calls_to("views.open")) == views  # no rename or ask form was opened
    assert not [m for ch in (CHANNEL, other) for m in bot.slack.messages[ch] if "again" in m["text"]
                and "Processing" in m["text"] and path.name in m["text"]]  # no re-run


def test_share_in_channel_posts_only_what_that_channel_may_see(bot, processed):
    # U1 asks from a channel where no meeting was shared; the private answer cites the meeting of C100.
    before = len([1 for n, _ in bot.slack.calls if n == "response_url"])
    assert bot.command("where is Diane from?", channel="C300") == 200
    answer = wait_for(lambda: [a for n, a in bot.slack.calls if n == "response_url"][before:], 60, "the answer")[-1]
    assert "Jersey" in json.dumps(answer["blocks"]) or "Chicago" in json.dumps(answer["blocks"])
    share = _buttons([answer])["share_answer"]
    assert "Jersey" not in share and "Chicago" not in share  # the button carries no private text

    posted = len(bot.slack.calls_to("chat.postMessage"))
    assert bot.click("share_answer", share, {}, channel="C300") == 200
    refusal = wait_for(lambda: [a for n, a in bot.slack.calls[before:] if n == "response_url"
                                and "this channel's own meetings" in a.get("text", "")], 60, "the refusal")[0]
    assert "other conversations" in refusal["text"] and refusal.get("response_type") == "ephemeral"
    assert not [c for c in bot.slack.calls_to("chat.postMessage")[posted:] if c["channel"] == "C300"]

    # Shared in the meeting's own channel, the answer is posted there, its links short-lived.
    assert bot.click("share_answer", share, {}, channel=CHANNEL) == 200
    shared = wait_for(lambda: [c for c in bot.slack.calls_to("chat.postMessage")[posted:]
                               if c["channel"] == CHANNEL and "Shared by" in json.dumps(c.get("blocks"))], 60,
                      "the shared answer")[0]
    rendered = json.dumps(shared["blocks"])
    assert "Jersey" in rendered or "Chicago" in rendered
    expires = [int(e) for e in re.findall(r"exp=(\d+)", rendered)]
    assert expires and all(e <= time.time() + 24 * 3600 + 60 for e in expires)
