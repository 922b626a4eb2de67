"""/api/v1/settings on `lifestream serve` (a real process): each workspace reads and changes its own settings with
its own token, over the server's environment, and nobody else's."""

from __future__ import annotations

import pytest

from tests.support.web_server import start_server, stop_server

W1, W2 = "T-one", "T-two"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    live = start_server(tmp_path_factory.mktemp("web-settings"), [W1, W2], LIFESTREAM_RETENTION_DAYS="90")
    yield live
    stop_server(live)


def settings(server, workspace: str) -> dict:
    reply = server.request("GET", "/api/v1/settings", token=server.tokens[workspace])
    assert reply.status == 200, reply.text
    return reply.json()


def test_a_workspace_starts_with_the_servers_settings(server):
    body = settings(server, W1)
    assert body["workspace"] == W1 and body["chosen"] == []
    assert body["settings"] == body["server_defaults"] and body["settings"]["retention_days"] == 90


def test_a_workspace_changes_its_own_settings_and_only_its_own(server):
    change = {"set": {"retention_days": None, "redact": True, "minutes_language": "de"}}
    reply = server.request("PATCH", "/api/v1/settings", token=server.tokens[W1], json_body=change)
    assert reply.status == 200, reply.text
    body = reply.json()
    assert body["chosen"] == ["minutes_language", "redact", "retention_days"]
    assert body["settings"]["retention_days"] is None  # "keep until deleted", chosen: not the server's 90
    assert body["settings"]["redact"] is True and body["server_defaults"]["retention_days"] == 90
    assert settings(server, W1) == body  # stored
    other = settings(server, W2)
    assert other["chosen"] == [] and other["settings"]["retention_days"] == 90

    back = server.request("PATCH", "/api/v1/settings", token=server.tokens[W1], json_body={"reset": ["retention_days"]})
    assert back.status == 200 and back.json()["settings"]["retention_days"] == 90
    assert back.json()["chosen"] == ["minutes_language", "redact"]


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"set": {"retention_days": 0}}, "retention_days"),
        ({"set": {"colour": "blue"}}, "colour"),
        ({"set": {"llm": "maybe"}}, "llm"),
        ({"reset": ["colour"]}, "reset"),
    ],
)
def test_a_change_that_cannot_be_is_refused_with_its_reason_and_changes_nothing(server, change, reason):
    before = settings(server, W2)
    reply = server.request("PATCH", "/api/v1/settings", token=server.tokens[W2], json_body=change)
    assert reply.status == 400 and reason in reply.json()["error"], reply.text
    assert settings(server, W2) == before


def test_settings_need_the_workspaces_token(server):
    assert server.request("GET", "/api/v1/settings").status == 401
    assert (
        server.request("PATCH", "/api/v1/settings", token="not-a-token", json_body={"set": {"llm": False}}).status
        == 401
    )
