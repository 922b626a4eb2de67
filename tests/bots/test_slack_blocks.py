"""Long minutes stay within Slack's Block Kit limits instead of being cut or rejected."""

from __future__ import annotations

from lifestream.bot.slack.blocks import MAX_BLOCKS, MAX_SECTION, minutes_blocks
from lifestream.models import ActionItem, Meeting, Minutes, Point, SourceInfo, SpeakerPoints


def big_meeting(speakers: int = 60, items: int = 300) -> Meeting:
    labels = [f"SPEAKER_{i + 1}" for i in range(speakers)]
    minutes = Minutes(
        title="A very long all-hands " * 20,
        summary="We talked about <everything> & more. " * 200,
        key_points=[SpeakerPoints(speaker=s, points=[Point(text=f"{s} said point {n} " * 8, timestamp=n)
                                                     for n in range(6)]) for s in labels],
        action_items=[ActionItem(task=f"Task number {n} " * 5, owner=labels[n % speakers], due_date="2026-12-01",
                                 timestamp=n * 3.0) for n in range(items)],
        decisions=[Point(text=f"Decision {n}", speaker="SPEAKER_1", timestamp=n) for n in range(40)],
    )
    return Meeting(meeting_id="0123456789abcdef", speakers=labels, speaker_names={"SPEAKER_1": "Alice"},
                   source=SourceInfo(name="allhands.mp4", sha256="0" * 64, size_bytes=1, format="mp4",
                                     duration=3600, has_video=True), minutes=minutes)


def test_limits_hold_and_nothing_is_dropped():
    messages = minutes_blocks(big_meeting(), link="https://x/meetings/1?sig=a", job_id="job1")
    assert len(messages) > 1
    assert all(len(m) <= MAX_BLOCKS for m in messages)
    blocks = [b for m in messages for b in m]
    texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(t) <= MAX_SECTION for t in texts)
    assert len(blocks[0]["text"]["text"]) <= 150  # header
    everything = "\n".join(texts)
    assert all(f"Task number {n} " in everything for n in range(300))  # every action item made it
    assert "&lt;everything&gt; &amp; more" in everything  # escaped for mrkdwn
    assert "Alice (SPEAKER_1)" in everything
    # the buttons come once, at the very end
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == 1 and messages[-1][-1] is actions[0]


def test_short_minutes_are_one_message():
    messages = minutes_blocks(big_meeting(speakers=2, items=3))
    assert len(messages) == 1


def _with_speech(meeting: Meeting) -> Meeting:
    from lifestream.models import Segment, SpeakerTurn, Transcript

    segments = [Segment(id=0, start=0.0, end=20.0, text="Shall we start with the budget?", speaker="SPEAKER_1"),
                Segment(id=1, start=21.0, end=30.0, text="Yes, the budget is ready.", speaker="SPEAKER_2")]
    return meeting.model_copy(update={
        "transcript": Transcript(language="en", duration=30.0, segments=segments),
        "turns": [SpeakerTurn(speaker=s.speaker, start=s.start, end=s.end) for s in segments]})


def test_minutes_carry_the_insights_line_and_download_buttons():
    meeting = _with_speech(big_meeting(speakers=2, items=1))
    link = "https://ls.example/meetings/0123456789abcdef?exp=1900000000&sig=ab12"
    (blocks,) = minutes_blocks(meeting, link=link, job_id="job1")
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert any(t.startswith("Talk time Alice 69%, SPEAKER_2 31% · 2 turns") and "1 question (0 left open)" in t
               for t in contexts), contexts
    buttons = {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}
    base = "https://ls.example/meetings/0123456789abcdef/download"
    assert buttons["download_pdf"]["url"] == f"{base}/pdf?exp=1900000000&sig=ab12"
    assert buttons["download_docx"]["url"] == f"{base}/docx?exp=1900000000&sig=ab12"
    # Without a link (nothing to sign with) there is nothing to download, and no insights without speech.
    (bare,) = minutes_blocks(big_meeting(speakers=2, items=1))
    assert not any(e["action_id"].startswith("download_") for b in bare if b["type"] == "actions"
                   for e in b["elements"])
    assert not any("Talk time" in e["text"] for b in bare if b["type"] == "context" for e in b["elements"])
