"""The web layer's parts on their own: tokens, tickets, the CLI, the spec against the routes, the timeline."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest

from lifestream.cli import main
from lifestream.errors import ConfigError
from lifestream.models import Meeting, Scene, Segment, SourceInfo, SpeakerTurn, Transcript
from lifestream.settings import Settings
from lifestream.web import auth, timeline


def test_api_token_create_prints_the_token_and_its_hashed_entry(capsys):
    assert main(["api-token", "create", "--workspace", "T123"]) == 0
    token, entry = capsys.readouterr().out.splitlines()
    assert token.startswith("lsk_") and len(token) > 40
    assert entry == f"T123:{hashlib.sha256(token.encode()).hexdigest()}"
    assert token not in entry
    assert auth.token_table(Settings(api_tokens=[entry])) == {hashlib.sha256(token.encode()).hexdigest(): "T123"}
    assert main(["api-token", "create", "--workspace", "no:colons"]) == 2


@pytest.mark.parametrize("entry", ["T1", "T1:abc", ":" + "a" * 64, "T 1:" + "a" * 64, "T1:" + "A" * 64])
def test_malformed_token_entries_stop_the_server(entry, tmp_path):
    from lifestream.server import build_app
    from lifestream.services import Services

    with pytest.raises(ConfigError, match="LIFESTREAM_API_TOKENS"):
        build_app(Services(Settings(data_dir=tmp_path, api_tokens=[entry])))


def test_tokens_setting_is_a_json_list(monkeypatch):
    token, entry = auth.new_token("W")
    monkeypatch.setenv("LIFESTREAM_API_TOKENS", json.dumps([entry]))
    assert Settings().api_tokens == [entry]


def test_upload_tickets_are_signed(tmp_path):
    settings = Settings(data_dir=tmp_path, link_secret="s1" * 32)
    claim = auth.UploadClaim(nonce="n1", workspace="W", conversation="api", key="uploads/api/x/r.mp4",
                             filename="réunion ☕.mp4", size=5, expires=2_000_000_000)
    ticket = auth.make_ticket(settings, claim)
    assert auth.read_ticket(settings, ticket) == claim
    assert claim.job_id == auth.job_id_for("api-upload:n1")
    # Byte for byte what the untyped tickets were, so tickets issued before a deploy stay valid after it.
    wire = {"v": 1, "n": "n1", "w": "W", "c": "api", "k": "uploads/api/x/r.mp4", "f": "réunion ☕.mp4", "s": 5,
            "e": 2_000_000_000}
    raw = base64.urlsafe_b64encode(json.dumps(wire, separators=(",", ":"), ensure_ascii=False).encode())
    assert ticket.split(".")[0] == raw.rstrip(b"=").decode()
    body, mac = ticket.split(".")
    forged = auth.make_ticket(settings, claim.model_copy(update={"workspace": "OTHER"})).split(".")[0] + "." + mac
    for bad in (forged, body + ".", ticket + "x", "é." + mac, "", "a.b.c", None):
        assert auth.read_ticket(settings, bad) is None
    assert auth.read_ticket(Settings(data_dir=tmp_path, link_secret="s2" * 32), ticket) is None


def test_the_spec_describes_exactly_the_routes(tmp_path):
    from lifestream.server import build_app
    from lifestream.services import Services
    from lifestream.web.openapi import spec

    app = build_app(Services(Settings(data_dir=tmp_path)))
    routes = {(r.method, r.resource.canonical.removeprefix("/api/v1")) for r in app.router.routes()
              if r.resource is not None and r.resource.canonical.startswith("/api/v1/") and r.method != "HEAD"}
    doc = spec(Settings(data_dir=tmp_path, max_upload_mb=7))
    described = {(method.upper(), path) for path, ops in doc["paths"].items()
                 for method in ops}
    assert routes == described
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["schemas"]["UploadRequest"]["properties"]["size"]["maximum"] == 7 << 20
    text = json.dumps(doc)
    for ref in set(re.findall(r'"#/components/schemas/([^"]+)"', text)):
        assert ref in doc["components"]["schemas"], ref  # every reference resolves
    assert '"ge"' not in text and '"le"' not in text  # constraints are JSON Schema's, not pydantic's names


def _meeting(scenes: bool = True) -> Meeting:
    segments = [Segment(id=i, start=s, end=e, text=t, speaker=sp) for i, (s, e, t, sp) in enumerate(
        [(0.5, 9.0, "Hello", "SPEAKER_1"), (9.5, 20.0, "Hi", "SPEAKER_2"), (21.0, 59.0, "Bye", "SPEAKER_1")])]
    return Meeting(
        meeting_id="0123456789abcdef",
        source=SourceInfo(name="m.mp4", sha256="0" * 64, size_bytes=1, format="mp4", duration=60.0, has_video=scenes),
        speakers=["SPEAKER_1", "SPEAKER_2"], speaker_names={"SPEAKER_2": "Bob"},
        transcript=Transcript(language="en", duration=60.0, segments=segments),
        turns=[SpeakerTurn(speaker=s.speaker, start=s.start, end=s.end) for s in segments],
        scenes=[Scene(index=0, start=0, end=30, keyframe="keyframes/scene-0000.jpg", keyframe_time=15),
                Scene(index=1, start=30, end=60, keyframe="keyframes/scene-0001.jpg", keyframe_time=45)]
        if scenes else [])


def test_timeline_puts_turns_and_keyframes_on_one_axis():
    tl = timeline.build(_meeting(), lambda path: f"/k/{path}")
    assert [r.name for r in tl.rows] == ["SPEAKER_1", "Bob"]
    assert len(tl.rows[0].bars) == 2 and len(tl.rows[1].bars) == 1
    span = tl.x1 - tl.x0
    first = tl.rows[0].bars[0]
    assert first.x == pytest.approx(tl.x0 + span * 0.5 / 60, abs=0.01)
    assert first.w == pytest.approx(span * 8.5 / 60, abs=0.01)
    assert tl.rows[1].bars[0].href == "#seg-1" and tl.rows[0].bars[1].href == "#seg-2"
    assert all(tl.x0 <= b.x and b.x + b.w <= tl.x1 + 0.01 for r in tl.rows for b in r.bars)
    assert [s.kx for s in tl.scenes] == pytest.approx([tl.x0 + span / 4, tl.x0 + span * 3 / 4], abs=0.01)
    assert [s.image for s in tl.scenes] == ["/k/keyframes/scene-0000.jpg", "/k/keyframes/scene-0001.jpg"]
    assert all(tl.x0 <= s.thumb_x and s.thumb_x + s.thumb_w <= tl.x1 for s in tl.scenes)
    assert tl.rows[0].share == pytest.approx((8.5 + 38) / (8.5 + 10.5 + 38))
    assert [t.label for t in tl.ticks] == ["00:00", "00:10", "00:20", "00:30", "00:40", "00:50", "01:00"]
    audio_only = timeline.build(_meeting(scenes=False), lambda path: path)
    assert audio_only.scenes == [] and audio_only.axis_y < tl.axis_y
