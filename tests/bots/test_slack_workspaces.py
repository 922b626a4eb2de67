"""Many Slack workspaces on one server, end to end: `lifestream serve` as a real process with the app's OAuth
credentials, the Slack double as slack.com (its authorize page, oauth.v2.access, the Web API), real signed
requests, and the real pipeline.

Installing is bolt's OAuth v2 flow driven as a browser would: the Add to Slack page sets a state cookie and
links to Slack's authorize URL; Slack sends the browser back to /slack/oauth_redirect with a code and the
state; the server checks the state (cookie and store, once), trades the code and keeps the installation.
Then two workspaces share recordings side by side: each thread gets its minutes posted with its own
workspace's token, each workspace's /ask finds only its own meetings, a workspace whose tokens rotate keeps
working through the rotation, and uninstalling one deletes all of its data and nothing of the other's.
"""

from __future__ import annotations

import hashlib
import hmac
import http.cookiejar
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.doubles.slack import CLIENT_ID, CLIENT_SECRET, SlackDouble
from tests.support.loopback import start_serve, stop_serve, wait_for

SECRET = "test-signing-secret"
T1, T2 = "T1", "T2"  # Alpha: plain tokens; Beta: tokens that rotate every 40 s


def sign(body: str) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Page:
    status: int
    body: str
    headers: dict


class LoopbackIsSecure(http.cookiejar.DefaultCookiePolicy):
    """Browsers send Secure cookies to http://127.0.0.1 (a potentially trustworthy origin); so does this one."""

    def return_ok_secure(self, cookie, request):
        return urllib.parse.urlsplit(request.get_full_url()).hostname == "127.0.0.1" or super().return_ok_secure(
            cookie, request
        )


class Browser:
    """An installer's browser: cookies kept, redirects seen (not followed), like a person clicking through."""

    def __init__(self) -> None:
        self.cookies = http.cookiejar.CookieJar(LoopbackIsSecure())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def get(self, url: str) -> Page:
        try:
            with self.opener.open(url, timeout=30) as response:
                return Page(response.status, response.read().decode(), dict(response.headers))
        except urllib.error.HTTPError as exc:
            return Page(exc.code, exc.read().decode(), dict(exc.headers))


class Server:
    def __init__(self, url: str, slack: SlackDouble, data_dir: Path) -> None:
        self.url, self.slack, self.data_dir = url, slack, data_dir
        self._event = 0

    def post(self, body: str, content_type: str) -> int:
        request = urllib.request.Request(
            f"{self.url}/slack/events",
            data=body.encode(),
            method="POST",
            headers={"Content-Type": content_type, **sign(body)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def event(self, team: str, event: dict) -> int:
        self._event += 1
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": team,
                "api_app_id": "A1",
                "event_id": f"EvW{self._event}-{time.monotonic_ns()}",
                "event_time": int(time.time()),
                "authorizations": [{"team_id": team, "is_bot": True}],
                "event": event,
            }
        )
        return self.post(body, "application/json")

    def command(self, team: str, user: str, channel: str, text: str, *, answered: bool = True) -> dict | None:
        before = len(self.slack.calls_to("response_url"))
        body = urllib.parse.urlencode(
            {
                "command": "/ask",
                "text": text,
                "team_id": team,
                "channel_id": channel,
                "user_id": user,
                "response_url": f"http://127.0.0.1:{self.slack.port}/respond/{team}",
                "trigger_id": f"trig-{team}",
            }
        )
        assert self.post(body, "application/x-www-form-urlencoded") == 200
        if not answered:
            return None
        return wait_for(lambda: self.slack.calls_to("response_url")[before:], 90, f"the answer to {text!r}")[-1]

    def interact(self, payload: dict) -> int:
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def share_file(self, team: str, channel: str, user: str, file: dict) -> str:
        ts = self.slack.next_ts()
        self.slack.messages[channel].append({"ts": ts, "user": user, "text": "", "files": [file]})
        assert (
            self.event(
                team,
                {
                    "type": "message",
                    "subtype": "file_share",
                    "channel": channel,
                    "user": user,
                    "ts": ts,
                    "text": "",
                    "files": [file],
                    "channel_type": "channel",
                },
            )
            == 200
        )
        return ts

    def install(self, team: str, name: str, **install) -> Page:
        """Add to Slack, as the installer: the page, Slack's approval, back to the redirect URL."""
        self.slack.next_install = {"team": {"id": team, "name": name}, **install}
        browser = Browser()
        page = browser.get(f"{self.url}/slack/install")
        assert page.status == 200, page.body
        authorize = re.search(r'href="([^"]+/oauth/v2/authorize[^"]+)"', page.body).group(1).replace("&amp;", "&")
        approved = browser.get(authorize)
        assert approved.status == 302
        return browser.get(approved.headers["Location"])


def minutes_in(slack: SlackDouble, channel: str, ts: str) -> list[dict]:
    return [m for m in slack.thread(channel, ts) if m.get("blocks") and m["blocks"][0]["type"] == "header"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("slack-workspaces")
    with SlackDouble() as slack:
        slack.tokens.clear()  # no token of the one-workspace setup: every token here comes from an install
        proc, url = start_serve(
            data_dir,
            {
                "LIFESTREAM_SLACK_CLIENT_ID": CLIENT_ID,
                "LIFESTREAM_SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "LIFESTREAM_SLACK_SIGNING_SECRET": SECRET,
                "LIFESTREAM_SLACK_API_URL": slack.base_url,
                "LIFESTREAM_SLACK_AUTHORIZE_URL": slack.authorize_url,
                "LIFESTREAM_MAX_UPLOAD_MB": "50",
                # a running job of an uninstalled workspace stops within a lease; a short one keeps the test short
                "LIFESTREAM_JOB_LEASE_SECONDS": "10",
            },
        )
        yield Server(url, slack, data_dir)
        stop_serve(proc)


# --- installing


def test_add_to_slack_installs_a_workspace(server):
    page = Browser().get(f"{server.url}/slack/install")
    assert page.status == 200 and "Add to Slack" in page.body
    assert "slack-app-oauth-state=" in page.headers.get("Set-Cookie", "")
    query = urllib.parse.parse_qs(
        urllib.parse.urlsplit(re.search(r'href="([^"]+)"', page.body).group(1).replace("&amp;", "&")).query
    )
    assert query["client_id"] == [CLIENT_ID] and query["redirect_uri"] == [f"{server.url}/slack/oauth_redirect"]
    assert {"chat:write", "files:read", "commands", "users:read"} <= set(query["scope"][0].split(","))

    done = server.install(T1, "Alpha")
    assert done.status == 200 and "LifeStream is installed in <strong>Alpha</strong>" in done.body, done.body
    trade = server.slack.calls_to("oauth.v2.access")[-1]
    assert trade["redirect_uri"] == f"{server.url}/slack/oauth_redirect"
    (token,) = server.slack.team_tokens(T1)
    with sqlite3.connect(server.data_dir / "installations.sqlite3") as db:
        rows = db.execute("SELECT team_id, bot_token FROM slack_bots").fetchall()
    assert (T1, token) in rows


def test_a_forged_state_is_refused(server):
    browser = Browser()
    browser.get(f"{server.url}/slack/install")  # a real state cookie, for another state
    trades = len(server.slack.calls_to("oauth.v2.access"))
    page = browser.get(f"{server.url}/slack/oauth_redirect?code=code-stolen&state=forged-state")
    assert page.status == 400 and "another browser, or the link expired" in page.body
    # the forger's own cookie for the forged state: the state store never issued it
    browser.cookies.clear()
    forged = Browser()
    forged.opener.addheaders = [("Cookie", "slack-app-oauth-state=forged-state")]
    page = forged.get(f"{server.url}/slack/oauth_redirect?code=code-stolen&state=forged-state")
    assert page.status == 401 and "expired or was already used" in page.body
    assert len(server.slack.calls_to("oauth.v2.access")) == trades  # no code was traded


def test_a_reused_state_is_refused(server):
    server.slack.next_install = {"team": {"id": "T9", "name": "Replay"}}
    browser = Browser()
    page = browser.get(f"{server.url}/slack/install")
    authorize = re.search(r'href="([^"]+)"', page.body).group(1).replace("&amp;", "&")
    redirect = browser.get(authorize).headers["Location"]
    cookie = next(c for c in browser.cookies if c.name == "slack-app-oauth-state")
    assert browser.get(redirect).status == 200  # the first time it works
    replay = Browser()
    replay.opener.addheaders = [("Cookie", f"slack-app-oauth-state={cookie.value}")]
    trades = len(server.slack.calls_to("oauth.v2.access"))
    page = replay.get(redirect)
    assert page.status == 401 and "expired or was already used" in page.body
    assert len(server.slack.calls_to("oauth.v2.access")) == trades


def test_an_org_wide_install_is_refused_and_its_token_revoked(server):
    page = server.install("E1", "Grid org", enterprise={"id": "E1", "name": "Grid"}, is_enterprise_install=True)
    assert page.status == 403 and "not into a whole Enterprise Grid organization" in page.body
    assert server.slack.calls_to("auth.revoke") and not server.slack.team_tokens("E1")
    with sqlite3.connect(server.data_dir / "installations.sqlite3") as db:
        assert not db.execute("SELECT 1 FROM slack_bots WHERE enterprise_id = 'E1'").fetchall()


def test_a_cancelled_install_says_so(server):
    page = Browser().get(f"{server.url}/slack/oauth_redirect?error=access_denied&state=x")
    assert "cancelled in Slack" in page.body


def test_an_event_from_a_workspace_that_never_installed_is_refused(server):
    channel = "C-nowhere"
    ts = server.slack.next_ts()
    status = server.event(
        "T404",
        {
            "type": "message",
            "channel": channel,
            "user": "U404",
            "ts": ts,
            "text": f"<http://127.0.0.1:{server.slack.port}/public/x/a.mp4>",
        },
    )
    assert status in (200, 401)
    time.sleep(1)
    assert not server.slack.messages[channel]


def test_revoking_the_bots_token_uninstalls_and_revoking_a_persons_does_not(server):
    def installed() -> int:
        with sqlite3.connect(server.data_dir / "installations.sqlite3") as db:
            return db.execute("SELECT count(*) FROM slack_bots WHERE team_id = 'T3'").fetchone()[0]

    assert server.install("T3", "Gamma").status == 200 and installed() == 1
    chose = subprocess.run(
        [sys.executable, "-m", "lifestream", "workspaces", "settings", "T3", "retention_days=7"],
        env={**os.environ, "LIFESTREAM_DATA_DIR": str(server.data_dir)},
        capture_output=True,
        text=True,
    )
    assert chose.returncode == 0, chose.stderr
    # a person's token revoked (they left, or an admin removed their grant): the workspace stays
    assert server.event("T3", {"type": "tokens_revoked", "tokens": {"oauth": ["U3"]}}) == 200
    time.sleep(2)
    assert installed() == 1 and "(chosen)" in settings_of(server, "T3")
    # the bot's token revoked: as good as uninstalled, even without app_uninstalled
    assert server.event("T3", {"type": "tokens_revoked", "tokens": {"bot": ["UBOTT3"]}}) == 200
    wait_for(lambda: installed() == 0 and "(chosen)" not in settings_of(server, "T3"), 60, "Gamma to be forgotten")


# --- two workspaces side by side

C1, U1 = "C1ALPHA", "U1ALPHA"  # Alpha's channel and member
C2, U2 = "C2BETA", "U2BETA"  # Beta's
ADMIN1 = "U1ADMIN"
ROTATION_S = 15  # Beta's tokens live 15 s: whatever posts its minutes must have refreshed them


def jobs(server) -> list[dict]:
    out = subprocess.run(
        [sys.executable, "-m", "lifestream", "jobs", "list", "--json", "--limit", "1000"],
        capture_output=True,
        text=True,
        env={**os.environ, "LIFESTREAM_DATA_DIR": str(server.data_dir)},
        check=True,
    )
    return json.loads(out.stdout)


def of(workspace: str, found: list[dict]) -> list[dict]:
    return [j for j in found if (j.get("origin") or {}).get("workspace") == workspace]


@pytest.fixture(scope="module")
def side_by_side(server, sample_wav, tmp_path_factory):
    """Alpha (T1) and Beta (T2) installed; the sample shared in Alpha, a spoken launch meeting in Beta."""
    from tests.support.media import LAUNCH_MEETING, speak

    slack = server.slack
    slack.rotating[T2] = ROTATION_S
    if not slack.team_tokens(T1):
        assert server.install(T1, "Alpha").status == 200
    assert server.install(T2, "Beta").status == 200
    slack.memberships[U1] = [C1]
    slack.memberships[U2] = [C2]
    media = tmp_path_factory.mktemp("workspace-media")
    standup = media / "standup.wav"
    standup.write_bytes(sample_wav.read_bytes())
    launch = speak(LAUNCH_MEETING, media / "launch.wav")
    install_tokens = {T2: set(slack.team_tokens(T2))}
    ts1 = server.share_file(T1, C1, U1, slack.add_file("FA1", standup, "audio/wav", team=T1))
    ts2 = server.share_file(T2, C2, U2, slack.add_file("FB1", launch, "audio/wav", team=T2))
    wait_for(lambda: minutes_in(slack, C1, ts1), 400, "Alpha's minutes")
    wait_for(lambda: minutes_in(slack, C2, ts2), 400, "Beta's minutes")
    return ts1, ts2, install_tokens


def test_each_thread_gets_its_minutes_posted_with_its_own_workspaces_token(server, side_by_side):
    ts1, ts2, _ = side_by_side
    slack = server.slack
    for channel, team in ((C1, T1), (C2, T2)):
        posted = [m for m in slack.messages[channel] if m["user"] == "UBOT"]
        assert posted and {m["team"] for m in posted} == {team}, (channel, {m["team"] for m in posted})
        # every call about the channel (status edits, minutes, keyframes) went out with that workspace's token
        assert {t for _, t, _, c in slack.authed if c == channel} == {team}
    assert "Beta" not in json.dumps(minutes_in(slack, C1, ts1)) and "launch" in json.dumps(minutes_in(slack, C2, ts2))
    # two recordings, two jobs: one per workspace
    assert len(of(T1, jobs(server))) == 1 and len(of(T2, jobs(server))) == 1


def test_rotating_tokens_are_refreshed_wherever_they_are_used(server, side_by_side):
    _, ts2, install_tokens = side_by_side
    slack = server.slack
    refreshes = [c for n, c in slack.calls if n == "oauth.v2.access:refresh"]
    assert refreshes and {c["team"] for c in refreshes} == {T2}
    minutes = minutes_in(slack, C2, ts2)
    # Posted by the worker with a token it refreshed itself (a worker refreshes well before expiry), not the
    # one from the install; no call anywhere was refused for an expired token.
    assert minutes[0]["token"] not in install_tokens[T2]
    assert not [r for r in slack.refused if r[1] == "token_expired"], slack.refused


def test_ask_answers_only_from_the_askers_workspace(server, side_by_side):
    slack = server.slack
    alpha = server.command(T1, U1, C1, "where is Diane from?")
    assert "Jersey" in json.dumps(alpha) or "Chicago" in json.dumps(alpha), alpha
    beta = server.command(T2, U2, C2, "when is the public launch?")
    assert "December" in json.dumps(beta), beta
    # Each asks about the other's meeting: nothing, even for a member of a channel with the other's id.
    slack.memberships[U1] = [C1, C2]
    try:
        crossed = server.command(T1, U1, C1, "when is the public launch?")
    finally:
        slack.memberships[U1] = [C1]
    assert "couldn't find" in json.dumps(crossed).lower() and "December" not in json.dumps(crossed)
    crossed = server.command(T2, U2, C2, "where is Diane from?")
    assert "couldn't find" in json.dumps(crossed).lower() and "Jersey" not in json.dumps(crossed)


def test_a_button_from_one_workspace_never_acts_on_anothers_meeting(server, side_by_side):
    (beta_job,) = of(T2, jobs(server))
    before = len(server.slack.calls_to("chat.postEphemeral"))
    payload = {
        "type": "block_actions",
        "team": {"id": T1},
        "user": {"id": U1},
        "api_app_id": "A1",
        "trigger_id": "t",
        "channel": {"id": C1},
        "container": {"type": "message"},
        "message": {"ts": side_by_side[0]},
        "actions": [{"action_id": "rerun_job", "value": beta_job["id"], "type": "button", "block_id": "b"}],
    }
    assert server.interact(payload) == 200
    # Refused to the one who clicked: the meeting is not this conversation's (nor this workspace's).
    refusal = wait_for(lambda: server.slack.calls_to("chat.postEphemeral")[before:], 30, "the refusal")
    assert "shared in another conversation" in refusal[-1]["text"] and refusal[-1]["user"] == U1
    assert of(T2, jobs(server))[0]["state"] == "completed"  # not queued again


# --- per-workspace settings


def settings_of(server, workspace: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "lifestream", "workspaces", "settings", workspace],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LIFESTREAM_DATA_DIR": str(server.data_dir)},
    ).stdout


def submit_settings(server, team: str, user: str, choices: dict[str, str], workspace: str | None = None) -> int:
    values = {
        field: {"choice": {"type": "static_select", "selected_option": {"value": value}}}
        for field, value in choices.items()
    }
    payload = {
        "type": "view_submission",
        "team": {"id": team},
        "user": {"id": user},
        "api_app_id": "A1",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "workspace_settings_modal",
            "state": {"values": values},
            "private_metadata": json.dumps({"workspace": workspace or team}),
        },
    }
    return server.interact(payload)


def test_only_an_admin_changes_a_workspaces_settings_and_only_that_workspaces(server, side_by_side):
    slack = server.slack
    slack.admins.add(ADMIN1)
    # a member sees the settings, and that only admins change them
    shown = server.command(T1, U1, C1, "settings")
    assert "Keep meetings: *until deleted (server default)*" in shown["text"]
    assert "Only workspace admins" in shown["text"] and not slack.calls_to("views.open")
    # an admin gets the form
    server.command(T1, ADMIN1, C1, "settings", answered=False)
    modal = wait_for(
        lambda: [
            v["view"]
            for v in slack.calls_to("views.open")
            if v["view"].get("callback_id") == "workspace_settings_modal"
        ],
        30,
        "the modal",
    )[-1]
    assert modal["private_metadata"] == json.dumps({"workspace": T1})
    assert {b["block_id"] for b in modal["blocks"] if b["type"] == "input"} == {
        "retention_days",
        "recording_retention_days",
        "keep_recordings",
        "redact",
        "voiceprints",
        "minutes_language",
        "llm",
    }

    # a member's forged submission changes nothing
    assert submit_settings(server, T1, U1, {"retention_days": "30"}) == 200
    assert "until deleted" in settings_of(server, T1)
    # the admin's does, for Alpha only
    assert (
        submit_settings(
            server, T1, ADMIN1, {"retention_days": "30", "llm": "off", "redact": "default", "minutes_language": "de"}
        )
        == 200
    )
    alpha = settings_of(server, T1)
    assert re.search(r"retention_days\s+30 days\s+\(chosen\)", alpha), alpha
    assert re.search(r"llm\s+off\s+\(chosen\)", alpha) and re.search(r"redact\s+off\s+\(server default\)", alpha)
    assert re.search(r"minutes_language\s+German\s+\(chosen\)", alpha)
    assert "(chosen)" not in settings_of(server, T2)
    # ...and a form of one workspace posted from another is refused
    assert submit_settings(server, T2, ADMIN1, {"retention_days": "7"}, workspace=T1) == 200
    assert "(chosen)" not in settings_of(server, T2) and re.search(r"retention_days\s+30 days", settings_of(server, T1))


def test_app_home_shows_the_workspaces_settings(server, side_by_side):
    slack = server.slack
    slack.admins.add(ADMIN1)
    before = len(slack.calls_to("views.publish"))
    assert server.event(T1, {"type": "app_home_opened", "user": ADMIN1, "channel": "D1", "tab": "home"}) == 200
    home = wait_for(lambda: slack.calls_to("views.publish")[before:], 30, "the home tab")[-1]
    rendered = json.dumps(home["view"])
    assert home["user_id"] == ADMIN1 and "This workspace's settings" in rendered and "open_settings" in rendered


# --- uninstalling


def index_workspaces(server) -> set[str]:
    with sqlite3.connect(server.data_dir / "search.sqlite3") as db:
        return {row[0] for row in db.execute("SELECT DISTINCT workspace FROM records")}


def stored_files(server) -> set[str]:
    return {
        str(p.relative_to(server.data_dir))
        for folder in ("uploads", "results")
        for p in (server.data_dir / folder).rglob("*")
        if p.is_file()
    }


def test_uninstalling_deletes_the_workspace_and_nothing_of_the_others(server, side_by_side, tmp_path):
    from tests.support.media import LAUNCH_MEETING, speak

    slack = server.slack
    ts1, ts2, _ = side_by_side
    alpha_jobs = of(T1, jobs(server))
    (alpha_job,) = alpha_jobs
    assert index_workspaces(server) >= {T1, T2}
    alpha_files = {f for f in stored_files(server) if alpha_job["id"] in f or alpha_job["storage_key"] in f}
    # Beta chose a setting, and has a recording still processing when it uninstalls: work must stop too.
    slack.admins.add("U2ADMIN")
    assert submit_settings(server, T2, "U2ADMIN", {"voiceprints": "on"}) == 200
    assert re.search(r"voiceprints\s+on\s+\(chosen\)", settings_of(server, T2))
    # Long enough (a few minutes of speech) that the job is surely still running when the workspace goes.
    late = speak(LAUNCH_MEETING * 3, tmp_path / "late.wav")
    ts3 = server.share_file(T2, C2, U2, slack.add_file("FB2", late, "audio/wav", team=T2))
    wait_for(
        lambda: [j for j in of(T2, jobs(server)) if j["source_name"] == "late.wav" and j["state"] == "processing"],
        120,
        "the late recording's job to be processing",
    )

    assert server.event(T2, {"type": "app_uninstalled"}) == 200
    assert server.event(T2, {"type": "tokens_revoked", "tokens": {"bot": ["UBOTT2"]}}) == 200

    def beta_gone():
        with sqlite3.connect(server.data_dir / "installations.sqlite3") as db:
            installed = db.execute("SELECT count(*) FROM slack_bots WHERE team_id = ?", (T2,)).fetchone()[0]
        return not installed and not of(T2, jobs(server)) and T2 not in index_workspaces(server)

    wait_for(beta_gone, 180, "Beta's installation, jobs and search records to be deleted")
    files = stored_files(server)
    assert not [f for f in files if "late.wav" in f or "launch.wav" in f], files  # Beta's recordings and results
    assert "(chosen)" not in settings_of(server, T2)
    assert not minutes_in(slack, C2, ts3)  # the late recording's work stopped: no minutes for it

    # Alpha: untouched
    assert [j["id"] for j in of(T1, jobs(server))] == [alpha_job["id"]]
    assert alpha_files and alpha_files <= files
    assert T1 in index_workspaces(server)
    assert re.search(r"retention_days\s+30 days\s+\(chosen\)", settings_of(server, T1))
    again = server.command(T1, U1, C1, "where is Diane from?")
    assert "Jersey" in json.dumps(again) or "Chicago" in json.dumps(again)

    # Beta's events are no longer served
    quiet = len(slack.messages[C2])
    server.share_file(T2, C2, U2, slack.add_file("FB3", late, "audio/wav", team=T2))
    time.sleep(2)
    assert len(slack.messages[C2]) == quiet + 1  # only the person's own message
