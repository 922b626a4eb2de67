"""Socket Mode, for a workspace without a public URL: events arrive over a websocket, not HTTP."""

from __future__ import annotations

import urllib.error
import urllib.request

from tests.bots.test_slack_bot import CHANNEL, TEAM, USER
from tests.doubles.slack import APP_TOKEN, BOT_TOKEN, SlackDouble
from tests.support.loopback import start_serve, stop_serve, wait_for


def test_a_recording_shared_over_socket_mode_gets_its_minutes(tmp_path, sample_wav):
    with SlackDouble() as slack:
        # Socket Mode only: the app-level token, no signing secret
        proc, url = start_serve(tmp_path, {"LIFESTREAM_SLACK_BOT_TOKEN": BOT_TOKEN, "LIFESTREAM_SLACK_APP_TOKEN": APP_TOKEN,
                                           "LIFESTREAM_SLACK_API_URL": slack.base_url})
        try:
            wait_for(lambda: slack.sockets, 60, "the socket connection")
            # no signing secret: the HTTP endpoint must not accept unsigned events instead
            request = urllib.request.Request(f"{url}/slack/events", data=b"{}", method="POST",
                                             headers={"Content-Type": "application/json"})
            try:
                status = urllib.request.urlopen(request, timeout=5).status
            except urllib.error.HTTPError as exc:
                status = exc.code
            assert status == 404

            file = slack.add_file("FS1", sample_wav, "audio/wav")
            ts = slack.next_ts()
            event = {"type": "message", "subtype": "file_share", "channel": CHANNEL, "user": USER, "ts": ts,
                     "text": "", "files": [file], "channel_type": "channel"}
            envelope = slack.send_envelope("events_api", {"type": "event_callback", "team_id": TEAM, "event_id": "EvS1",
                                                          "event_time": 1, "event": event})
            wait_for(lambda: any(a.get("envelope_id") == envelope for a in slack.socket_acks), 30, "the ack")
            minutes = wait_for(lambda: [m for m in slack.thread(CHANNEL, ts) if m.get("blocks")
                                        and m["blocks"][0]["type"] == "header"], 240, "the minutes")
            assert "Summary" in str(minutes[0]["blocks"])
        finally:
            stop_serve(proc)
