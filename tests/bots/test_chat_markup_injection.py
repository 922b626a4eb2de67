"""Nothing a recording, a file name or an error says becomes markup in Slack or Teams (pure, fast).

A file named ``<!channel> <https://evil/login|Open minutes>.mp3`` must not notify a
whole Slack channel or show a link that hides where it goes; in Teams, markdown and
HTML links must stay text. Every text the bots build is checked with what reads it:
Slack's ``<…>`` control sequences, and a CommonMark parser for Teams' markdown.
"""

from __future__ import annotations

import re
import time

from markdown_it import MarkdownIt

from lifestream.bot.slack import blocks as slack_blocks
from lifestream.bot.slack.mrkdwn import escape, link, mention
from lifestream.bot.teams import cards as teams_cards
from lifestream.models import ActionItem, Meeting, Minutes, Point, Segment, SourceInfo, SpeakerPoints, Transcript
from lifestream.workers.jobstore import Job, JobState

EVIL = "<!channel> <https://evil.example/login|Open minutes> & <@U0BOSS>"
TEAMS_EVIL = (
    "[Open minutes](https://evil.example/login) [Open minutes][1] <https://evil.example/x> "
    '<a href="https://evil.example/a">Open minutes</a>\n\n[1]: https://evil.example/ref'
)
LINK = "https://ls.example/meetings/0123456789abcdef?exp=1900000000&sig=ab12"


def hostile_meeting(text: str) -> Meeting:
    segments = [
        Segment(id=0, start=0.0, end=20.0, text=text, speaker="SPEAKER_1"),
        Segment(id=1, start=21.0, end=30.0, text="Yes.", speaker="SPEAKER_2"),
    ]
    minutes = Minutes(
        title=text,
        summary=text,
        key_points=[SpeakerPoints(speaker="SPEAKER_1", points=[Point(text=text, timestamp=1.0)])],
        decisions=[Point(text=text, speaker="SPEAKER_1", timestamp=2.0)],
        action_items=[ActionItem(task=text, owner="SPEAKER_2", due=text, timestamp=3.0)],
        open_questions=[Point(text=text, speaker="SPEAKER_2", timestamp=4.0)],
    )
    return Meeting(
        meeting_id="0123456789abcdef",
        speakers=["SPEAKER_1", "SPEAKER_2"],
        speaker_names={"SPEAKER_1": text},
        minutes=minutes,
        transcript=Transcript(language="en", duration=30.0, segments=segments),
        source=SourceInfo(
            name=f"{text}.mp3", sha256="0" * 64, size_bytes=1, format="mp3", duration=30.0, has_video=False
        ),
    )


def failed_job(text: str) -> Job:
    return Job(
        id="0123456789abcdef",
        state=JobState.FAILED,
        reason=text,
        retryable=True,
        storage_key="k",
        idempotency_key="i",
        source_name=f"{text}.mp3",
        stage=text,
        duration=60.0,
    )


def mrkdwn_texts(node) -> list[str]:
    """Every string Slack reads as mrkdwn in a message: mrkdwn text objects (plain_text ones are literal)."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found


def control_sequences(text: str) -> list[str]:
    """What Slack turns into mentions, channel notifications and links."""
    return re.findall(r"<([^<>]*)>", text)


def test_slack_text_built_from_a_recording_holds_no_mention_or_disguised_link():
    meeting, job = hostile_meeting(EVIL), failed_job(EVIL)
    texts = [
        t for message in slack_blocks.minutes_blocks(meeting, link=LINK, job_id=job.id) for t in mrkdwn_texts(message)
    ]
    texts += mrkdwn_texts(slack_blocks.failure_blocks(job))
    texts += mrkdwn_texts(
        slack_blocks.answer_blocks(EVIL, escape(EVIL), share={"question": EVIL, "cited": []}, shared_by="U1")
    )
    # the message texts (notifications, status lines) are mrkdwn too
    running = job.model_copy(update={"state": JobState.PROCESSING, "stage": EVIL, "eta_at": time.time() + 90})
    texts += [slack_blocks.fallback_text(meeting), slack_blocks.status_text(job), slack_blocks.status_text(job, EVIL),
              slack_blocks.status_text(running)]
    assert len(texts) > 10
    for text in texts:
        for sequence in control_sequences(text):
            # the only ones: the bot's own signed link, and the mention of who shared an answer
            assert sequence == f"{LINK}|Full minutes and transcript" or sequence == "@U1", (sequence, text)
    everything = "\n".join(texts)
    assert "&lt;!channel&gt;" in everything and "Open minutes&gt;" in everything  # shown, as text


def test_slack_links_and_mentions_cannot_be_broken_out_of():
    assert (
        link("https://ls.example/a?x=1|<!channel>", "a > b <!here>")
        == "<https://ls.example/a?x=1%7C%3C!channel%3E|a &gt; b &lt;!here&gt;>"
    )
    assert mention("U123ABC") == "<@U123ABC>"
    assert mention("U1> <!channel") == "U1&gt; &lt;!channel"


def links_in_markdown(text: str) -> list[str]:
    """The links a CommonMark reader (with HTML and autolinks on) makes of ``text``."""
    hrefs = []
    for token in MarkdownIt("commonmark").parse(text):
        for child in token.children or []:
            if child.type == "link_open":
                hrefs.append(child.attrs.get("href"))
            if child.type == "html_inline" and "href" in child.content:
                hrefs.append(child.content)
    return hrefs


def teams_texts(node) -> list[str]:
    found = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append(node["text"])
        for value in node.values():
            found += teams_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += teams_texts(value)
    return found


def test_teams_cards_and_messages_built_from_a_recording_hold_no_link():
    meeting, job = hostile_meeting(TEAMS_EVIL), failed_job(TEAMS_EVIL)
    texts = teams_texts(teams_cards.minutes_card(meeting, link=LINK, job_id=job.id))
    texts += teams_texts(teams_cards.failure_card(job))
    running = job.model_copy(update={"state": JobState.PROCESSING, "stage": TEAMS_EVIL, "eta_at": time.time() + 90})
    texts += [teams_cards.status_text(job), teams_cards.summary_text(meeting), teams_cards.status_text(running)]
    assert len(texts) > 8
    assert links_in_markdown(TEAMS_EVIL)  # the parser does find them in the raw text
    for text in texts:
        assert not [h for h in links_in_markdown(text) if "evil" in h], text
    assert "Open minutes" in "\n".join(texts)  # still there to read
