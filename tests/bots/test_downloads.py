"""Downloads of shared recordings are bounded: per process, per person, and by the disk's free space.

A real aiohttp file server on 127.0.0.1 streams recordings and stalls half way until the test lets it
go, so downloads really are in flight while others are asked for. Beyond a cap, or without room on the
disk, the person is told at once that the bot is busy and to try again in a minute; nothing of the
request is kept, so trying again works. Then the API, and the real bots (``lifestream serve``) with the
Slack and Teams doubles.
"""

from __future__ import annotations

import asyncio
import http.client
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from lifestream.bot import intake
from lifestream.downloads import DownloadsBusy, MiB
from lifestream.origin import SlackOrigin
from lifestream.services import Services
from lifestream.settings import Settings
from tests.bots.test_slack_bot import CHANNEL, SECRET, USER, Bot
from tests.bots.test_teams_bot import Teams
from tests.doubles.slack import BOT_TOKEN, SlackDouble
from tests.doubles.teams import ConnectorDouble
from tests.support.loopback import LoopbackServer, start_serve, stop_serve, wait_for
from tests.support.web_server import start_server, stop_server

FIRST_BLOCK = 64 * 1024


class StallingServer(LoopbackServer):
    """Serves one recording under any name: the headers and a first block at once, the rest once released.

    ``/announce/<bytes>/<name>`` announces a Content-Length of its own (and sends nothing more): the size
    a downloader learns before the first byte.
    """

    def __init__(self, recording: Path) -> None:
        super().__init__()
        self.data = recording.read_bytes()
        self.released = threading.Event()
        self.streaming: list[str] = []  # names whose download has begun, in order

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/stall/{name}"

    async def _stall(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "audio/wav"})
        response.content_length = len(self.data)
        await response.prepare(request)
        await response.write(self.data[:FIRST_BLOCK])
        self.streaming.append(request.match_info["name"])
        while not self.released.is_set():
            await asyncio.sleep(0.05)
        await response.write(self.data[FIRST_BLOCK:])
        await response.write_eof()
        return response

    async def _announce(self, request: web.Request) -> web.StreamResponse:
        self.streaming.append(request.match_info["name"])
        response = web.StreamResponse(headers={"Content-Type": "audio/wav"})
        response.content_length = int(request.match_info["size"])
        await response.prepare(request)
        while not self.released.is_set():  # a client that took it would wait here; ours hangs up at the headers
            await asyncio.sleep(0.05)
        return response

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/stall/{name}", self._stall)
        app.router.add_get("/announce/{size}/{name}", self._announce)


@pytest.fixture
def server(sample_wav):
    with StallingServer(sample_wav) as server:
        yield server
        server.released.set()


def _services(tmp_path: Path, **settings) -> Services:
    return Services(Settings(data_dir=tmp_path / "data", fetch_allow_networks=["127.0.0.1/32"], max_upload_mb=50,
                             **settings))


def _origin(user: str) -> SlackOrigin:
    return SlackOrigin(workspace="T1", conversation="C1", user=user)


def test_downloads_beyond_the_caps_are_refused_at_once_and_taken_again_later(server, tmp_path):
    services = _services(tmp_path, max_downloads=2, max_downloads_per_user=1)

    async def scenario():
        def receive(name: str, user: str):
            return asyncio.create_task(intake.receive(server.url(name), services=services, origin=_origin(user)))

        async def until_streaming(name: str):
            while name not in server.streaming:
                await asyncio.sleep(0.02)

        first = receive("a.wav", "U1")
        await asyncio.wait_for(until_streaming("a.wav"), 10)
        began = time.monotonic()
        with pytest.raises(DownloadsBusy) as mine:  # the same person's second download
            await receive("b.wav", "U1")
        assert "1 of yours is downloading" in mine.value.message and "try again in a minute" in mine.value.message
        second = receive("c.wav", "U2")
        await asyncio.wait_for(until_streaming("c.wav"), 10)
        assert services.downloads.running() == 2
        with pytest.raises(DownloadsBusy) as full:  # anyone's third
            await receive("d.wav", "U3")
        assert full.value.message == ("I'm busy: 2 recordings are downloading right now, as many as I take at once. "
                                      "Please try again in a minute.")
        assert time.monotonic() - began < 5  # refused at once, not queued behind the stalled ones
        assert "b.wav" not in server.streaming and "d.wav" not in server.streaming  # nothing was fetched for them
        server.released.set()
        outcomes = [await first, await second]
        assert sorted(o.kind for o in outcomes) == ["in_progress", "queued"]  # one recording: one job
        assert services.downloads.running() == 0
        # Nothing of the refused request was kept: sharing it again a minute later works.
        again = await receive("b.wav", "U1")
        assert again.kind == "in_progress" and again.job.id == outcomes[0].job.id

    try:
        asyncio.run(scenario())
    finally:
        services.close()
    assert list((tmp_path / "data" / "tmp").iterdir()) == []  # no download left behind


def test_a_recording_the_disk_has_no_room_for_is_refused_before_a_byte_is_written(server, tmp_path):
    (tmp_path / "data" / "tmp").mkdir(parents=True)
    free = shutil.disk_usage(tmp_path).free
    # Room for 20 MB beyond the margin (give or take what others write meanwhile): 40 MB does not fit.
    services = _services(tmp_path, download_free_margin_mb=max(0, free // MiB - 20))
    announced = 40 * MiB

    async def scenario():
        # As its server announces it (Content-Length), for a link...
        with pytest.raises(DownloadsBusy) as probed:
            await intake.receive(f"http://127.0.0.1:{server.port}/announce/{announced}/big.wav", services=services,
                                 origin=_origin("U1"))
        assert probed.value.message == ("I'm busy: the server has no room for a 40 MB recording right now. "
                                        "Please try again in a minute.")
        assert server.streaming == ["big.wav"] and list((tmp_path / "data" / "tmp").iterdir()) == []
        # ...and as the platform declares it (Slack's file size): not even asked for.
        with pytest.raises(DownloadsBusy):
            await intake.receive(server.url("declared.wav"), services=services, origin=_origin("U1"), size=announced)
        assert "declared.wav" not in server.streaming
        assert services.downloads.running() == 0
        # A small one fits.
        server.released.set()
        small = await intake.receive(server.url("small.wav"), services=services, origin=_origin("U1"))
        assert small.kind == "queued"

    try:
        asyncio.run(scenario())
    finally:
        services.close()


def test_the_api_says_busy_with_retry_after_and_takes_the_upload_later(tmp_path, sample_wav):
    data = sample_wav.read_bytes()
    (tmp_path / "api").mkdir()
    server = start_server(tmp_path / "api", ["W1"], LIFESTREAM_MAX_DOWNLOADS_PER_USER="1")
    try:
        token = server.tokens["W1"]

        def ticket(name: str) -> dict:
            answer = server.request("POST", "/api/v1/upload/presigned-url", token=token,
                                    json_body={"filename": name, "size": len(data)})
            assert answer.status == 200, answer.text
            return answer.json()

        first, second = ticket("a.wav"), ticket("b.wav")
        # The first upload is under way: its headers and a first block are in, the rest is still coming.
        parts = urlsplit(first["upload_url"])
        slow = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        slow.putrequest("PUT", f"{parts.path}?{parts.query}")
        slow.putheader("Content-Type", "application/octet-stream")
        slow.putheader("Content-Length", str(len(data)))
        slow.endheaders()
        slow.send(data[:FIRST_BLOCK])
        time.sleep(1)  # the server has begun reading it
        busy = server.request("PUT", second["upload_url"], body=data, headers=second["headers"])
        assert busy.status == 503 and busy.headers["Retry-After"] == "60"
        assert "try again in a minute" in busy.json()["error"]
        slow.send(data[FIRST_BLOCK:])
        assert slow.getresponse().status == 200
        slow.close()
        # The refused upload's URL still works.
        later = server.request("PUT", second["upload_url"], body=data, headers=second["headers"])
        assert later.status == 200, later.text
    finally:
        stop_server(server)


def test_the_slack_bot_says_busy_and_takes_the_recording_when_asked_again(server, tmp_path):
    data_dir = tmp_path / "serve"
    data_dir.mkdir()
    with SlackDouble() as slack:
        proc, url = start_serve(data_dir, {
            "LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_SIGNING_SECRET": SECRET,
            "LIFESTREAM_SLACK_API_URL": slack.base_url, "LIFESTREAM_MAX_DOWNLOADS": "1",
            "LIFESTREAM_MAX_UPLOAD_MB": "50"})
        try:
            bot = Bot(url, slack, data_dir)
            first = bot.say(f"today's standup <{server.url('standup.wav')}>")
            wait_for(lambda: "standup.wav" in server.streaming, 30, "the first download to begin")
            second = bot.say(f"and the retro <{server.url('retro.wav')}>")
            busy = wait_for(lambda: [m for m in slack.thread(CHANNEL, second) if "I'm busy" in m.get("text", "")], 30,
                            "the busy answer")[0]
            assert busy["text"] == (":hourglass_flowing_sand: *retro.wav*: I'm busy: 1 recording is downloading "
                                    "right now, as many as I take at once. Please try again in a minute. Mention me "
                                    "with `minutes` in this thread, or share it again.")
            assert "retro.wav" not in server.streaming
            server.released.set()
            wait_for(lambda: [m for m in slack.thread(CHANNEL, first) if "Processing *standup.wav*" in m.get("text", "")],
                     60, "the first recording to be queued")
            # Asked again in its thread, the refused one is fetched now.
            bot.event({"type": "app_mention", "channel": CHANNEL, "user": USER, "ts": slack.next_ts(),
                       "thread_ts": second, "text": "<@UBOT> minutes"})
            wait_for(lambda: "retro.wav" in server.streaming, 30, "the second download to begin")
            # The same bytes: it finds the first one's job (running, or done by now).
            wait_for(lambda: [m for m in slack.thread(CHANNEL, second)
                              if "is already" in m.get("text", "") or "was processed before" in m.get("text", "")],
                     60, "the second share to find the first one's job")
        finally:
            stop_serve(proc)



def test_the_teams_bot_says_busy_in_the_acknowledgement_and_takes_a_new_share_later(server, tmp_path):
    data_dir = tmp_path / "teams"
    data_dir.mkdir()
    with ConnectorDouble() as connector:
        proc, url = start_serve(data_dir, {"LIFESTREAM_TEAMS_ALLOW_UNAUTHENTICATED": "true",
                                           "LIFESTREAM_MAX_DOWNLOADS": "1", "LIFESTREAM_MAX_UPLOAD_MB": "50"})
        try:
            teams = Teams(url, connector, data_dir)
            first = teams.send(f"the standup {server.url('standup.wav')}", mention=True)
            wait_for(lambda: "standup.wav" in server.streaming, 30, "the first download to begin")
            second = teams.send(f"and the retro {server.url('retro.wav')}", mention=True)
            busy = wait_for(lambda: [m for m in teams.replies(second) if "I'm busy" in m.get("text", "")], 30,
                            "the busy answer")[0]
            assert busy["text"] == ("⏳ **retro.wav**: I'm busy: 1 recording is downloading right now, as many as I "
                                    "take at once. Please try again in a minute. Share it again then.")
            assert "retro.wav" not in server.streaming
            server.released.set()
            wait_for(lambda: [m for m in teams.replies(first) if "Processing" in m.get("text", "")], 60,
                     "the first recording to be queued")
            again = teams.send(f"the retro again {server.url('retro.wav')}", mention=True)
            wait_for(lambda: "retro.wav" in server.streaming, 30, "the shared-again download to begin")
            wait_for(lambda: [m for m in teams.replies(again) if "is already" in m.get("text", "")
                              or "processed before" in m.get("text", "")], 60, "the share to find the job")
        finally:
            stop_serve(proc)
