"""What the server hands out when things go wrong, and where its links point (real `lifestream serve` processes).

- A queue that cannot be reached is named by its URL, password included, in the broker's exception: people
  (the API's error, the job's status, the jobs page) get a plain reason and a reference, the log gets the
  details with the URL's credentials masked.
- With no LIFESTREAM_PUBLIC_URL, links point at the address the server is bound to, and a configured bot
  makes the server warn that people elsewhere cannot open them.
"""

from __future__ import annotations

import logging
import re

import pytest

from lifestream.errors import MediaError, TransientError
from lifestream.links import meeting_link
from lifestream.public_errors import RedactingFormatter, public_reason, redact_urls
from lifestream.settings import Settings
from lifestream.web import auth
from lifestream.web.openapi import spec
from tests.support.loopback import free_port
from tests.support.web_server import LINK_SECRET, start_server, stop_server

PASSWORD = "s3cret-pass"
W1 = "T-one"


def upload(server, path, workspace=W1):
    """presigned-url → PUT → confirm; returns the confirm reply and the job id."""
    token = server.tokens[workspace]
    ticket = server.request(
        "POST",
        "/api/v1/upload/presigned-url",
        token=token,
        json_body={"filename": path.name, "size": path.stat().st_size, "content_type": "audio/wav"},
    )
    assert ticket.status == 200, ticket.text
    t = ticket.json()
    put = server.request("PUT", t["upload_url"], body=path.read_bytes(), headers=t["headers"])
    assert put.status == 200, put.text
    return server.request(
        "POST", "/api/v1/upload/confirm", token=token, json_body={"upload_token": t["upload_token"]}
    ), t["job_id"]


def test_a_queue_that_is_down_shows_no_credentials_to_anyone(tmp_path, sample_wav):
    broker = f"redis://:{PASSWORD}@127.0.0.1:{free_port()}/0"  # nothing listens there
    server = start_server(tmp_path, [W1], LIFESTREAM_BROKER_URL=broker)
    try:
        confirmed, job_id = upload(server, sample_wav)
        assert confirmed.status == 503, confirmed.text
        error = confirmed.json()["error"]
        assert PASSWORD not in confirmed.text and "redis://" not in confirmed.text
        ref = re.search(r"\(ref ([0-9a-f]{8})\)", error)
        assert ref and "unavailable" in error, error

        status = server.request("GET", f"/api/v1/status/{job_id}", token=server.tokens[W1])
        assert status.json()["state"] == "failed" and PASSWORD not in status.text and "redis://" not in status.text
        page = server.request("GET", "/jobs", token=server.tokens[W1])
        assert page.status == 200 and job_id in page.text
        assert PASSWORD not in page.text and "redis://" not in page.text

        log = server.log.read_text()
        assert PASSWORD not in log, log[-3000:]
        assert f"ref {ref[1]}" in log and "redis://***@127.0.0.1" in log  # the details, for whoever runs it
    finally:
        stop_server(server)


def test_reasons_people_get_and_what_the_log_gets(caplog):
    log = logging.getLogger("test.public")
    with caplog.at_level(logging.WARNING, logger="test.public"):
        down = public_reason(
            TransientError(f"cannot reach the queue (redis://u:{PASSWORD}@q:6379/0)"), log=log, context="queueing"
        )
        bug = public_reason(KeyError("jobs_table_v2"), log=log, context="job 1")
    assert PASSWORD not in down and "redis" not in down and re.search(r"unavailable .*\(ref [0-9a-f]{8}\)", down)
    assert "KeyError" not in bug and "jobs_table_v2" not in bug and "(ref " in bug
    logged = "\n".join(RedactingFormatter("%(message)s").format(r) for r in caplog.records)
    assert PASSWORD not in logged and "redis://***@q:6379/0" in logged and "KeyError" in logged
    # A message meant for the person stays as it is (minus credentials and signatures in its URLs).
    mine = public_reason(
        MediaError("that link needs a sign-in: https://a:b@x.example/f.mp4?sig=abc"), log=log, context="fetch"
    )
    assert mine == "that link needs a sign-in: https://***@x.example/f.mp4?…"
    assert redact_urls("sqs://AKIA:secret@queue and s3://bucket/key") == "sqs://***@queue and s3://bucket/key"


@pytest.mark.parametrize(
    ("host", "port", "base"),
    [
        ("127.0.0.1", 18090, "http://127.0.0.1:18090"),
        ("0.0.0.0", 18090, "http://localhost:18090"),  # a wildcard bind: this machine
        ("::1", 8443, "http://[::1]:8443"),
        ("10.1.2.3", 8080, "http://10.1.2.3:8080"),
    ],
)
def test_links_default_to_the_bound_address(tmp_path, host, port, base):
    settings = Settings(data_dir=tmp_path, host=host, port=port, link_secret=LINK_SECRET)
    assert meeting_link(settings, "0123456789abcdef").startswith(f"{base}/meetings/0123456789abcdef?")
    assert auth.jobs_url(settings, W1).startswith(f"{base}/jobs?")
    assert spec(settings)["servers"] == [{"url": f"{base}/api/v1"}]
    public = Settings(
        data_dir=tmp_path, host=host, port=port, link_secret=LINK_SECRET, public_url="https://minutes.example.com/"
    )
    assert meeting_link(public, "0123456789abcdef").startswith("https://minutes.example.com/meetings/")


def test_serve_without_a_public_url_links_to_its_own_port_and_warns_when_a_bot_is_configured(tmp_path, sample_wav):
    server = start_server(
        tmp_path,
        [W1],
        LIFESTREAM_PUBLIC_URL="",
        LIFESTREAM_TEAMS_APP_ID="app-id",
        LIFESTREAM_TEAMS_APP_PASSWORD="app-password",
    )
    try:
        spec_reply = server.request("GET", "/api/v1/openapi.json")
        assert spec_reply.json()["servers"] == [{"url": f"{server.url}/api/v1"}]
        ticket = server.request(
            "POST",
            "/api/v1/upload/presigned-url",
            token=server.tokens[W1],
            json_body={"filename": "a.wav", "size": 10, "content_type": "audio/wav"},
        )
        assert ticket.json()["upload_url"].startswith(f"{server.url}/api/v1/upload/direct?token=")
        listing = server.request("GET", "/api/v1/meetings", token=server.tokens[W1]).json()
        assert listing["jobs_page_url"].startswith(f"{server.url}/jobs?")
        assert "LIFESTREAM_PUBLIC_URL is not set" in server.log.read_text()
    finally:
        stop_server(server)
