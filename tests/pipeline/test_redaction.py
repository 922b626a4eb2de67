"""Personal-data redaction: what it masks, what it must leave alone, and that nothing of the original survives.

The fast tests feed the detectors the forms people type and the forms speech
recognition writes (seen in faster-whisper's output on read-out numbers); the
slow one speaks a meeting with espeak-ng, runs it through the real pipeline,
and looks for the data everywhere a meeting goes: meeting.json, the search
records, the Word and PDF exports.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from lifestream.models import (
    ActionItem,
    Chunk,
    Meeting,
    Minutes,
    Point,
    Segment,
    SourceInfo,
    SpeakerPoints,
    Transcript,
    Word,
)
from lifestream.pipeline.redaction import Redactor, find, redact_meeting

MASKED = [
    # typed
    ("Mail me at anna.schmidt@example.com, thanks.", "email"),
    ("Reach j_doe+meetings@mail.example.co.uk today", "email"),
    ("Call (415) 555-2671 after lunch", "phone"),
    ("My number is +49 170 1234567.", "phone"),
    ("Ring 020 7946 0958 tomorrow", "phone"),
    ("in Paris: 01 42 68 53 00", "phone"),
    ("Visa 4111 1111 1111 1111 expires soon", "card"),
    ("Mastercard 5555-5555-5555-4444", "card"),
    ("Amex 378282246310005 on file", "card"),
    ("Pay to DE89 3704 0044 0532 0130 00 OK thanks", "iban"),
    ("IBAN GB82WEST12345698765432", "iban"),
    ("FR14 2004 1010 0505 0001 3M02 606 is the account", "iban"),
    ("SSN 123-45-6789 on the form", "ssn"),
    # as speech recognition writes them
    ("you can also call me on plus 1, 415, 555, 2671", "phone"),
    ("call me on plus one four one five five five five two six seven one", "phone"),
    ("Call oh one seven oh, one two three four five six seven tomorrow", "phone"),
    ("My card number is 4111, 1111, 1111, 1111", "card"),
    ("My card number is 411, 1111, 1111, 1111", "card"),  # a digit lost by the recogniser
    ("card four one one one one one one one one one one one one one one one thanks", "card"),
    ("My email is john .smith and example .com", "email"),
    ("Or write to mary at gmail .com, the other", "email"),
    ("send it to anna dot schmidt at example dot com", "email"),
]

KEPT = [
    "In 2024 we sold 15,000 units for $1,250,000 at 10:30 on 12/05/2024, version 3.2.1.",
    "The meeting is on 2025-07-08 and the budget is 120000 dollars.",
    "in 2019, 2020, 2021 and 2022 we grew",
    "the number of users in 2019, 2020, 2021 grew",
    "we got 100, 200, 300, 400 units",
    "steps 1, 2, 3, 4, 5, 6, 7 and 8",
    "sizes 10, 12, 14, 16, 18 and 20",
    "at 10 30 11 45 and 14 00",
    "We have one two three four options and five six seven eight nine ten.",
    "Order 4111 1111 1111 1112 failed",  # card-shaped, Luhn fails, no cue
    "DE89 3704 0044 0532 0130 01 is not an IBAN",  # checksum fails
    "we met at acme dot com last year",
    "I work at example.com.",
    "sales and marketing.com",
    "the card had 12 13 14 15 people",
    "Room 4111 and ticket 1234 5678 9012 3456.",
    "ISO 27001, RFC 9110 and Python 3.11.7",
    "call the 555-0100 line",  # a reserved fictional number
]


@pytest.mark.parametrize(("text", "kind"), MASKED)
def test_masks_personal_data(text, kind):
    r = Redactor()
    masked = r.text(text)
    assert f"[{kind}]" in masked, masked
    assert r.counts == {kind: 1}
    assert not re.search(r"\d{4}", masked.replace("[", " ")), masked
    assert "@" not in masked and "smith" not in masked.lower()


@pytest.mark.parametrize("text", KEPT)
def test_leaves_ordinary_speech_alone(text):
    assert find(text) == [], text


def _words(text: str, start: float, speaker: str) -> list[Word]:
    return [Word(start=start + n * 0.4, end=start + n * 0.4 + 0.3, text=w, speaker=speaker)
            for n, w in enumerate(text.split())]


def _segment(i: int, text: str, start: float, speaker: str) -> Segment:
    words = _words(text, start, speaker)
    return Segment(id=i, start=words[0].start, end=words[-1].end, text=" ".join(w.text for w in words),
                   speaker=speaker, words=words)


def _meeting(segments: list[Segment], minutes: Minutes | None = None) -> Meeting:
    return Meeting(meeting_id="m1", source=SourceInfo(name="call with bob@example.org.mp4", sha256="0", size_bytes=1,
                                                      format="mp4", duration=30.0, has_video=False),
                   speakers=sorted({s.speaker for s in segments}),
                   transcript=Transcript(language="en", duration=30.0, segments=segments),
                   chunks=[Chunk(index=0, start=0, end=30, segment_ids=[s.id for s in segments],
                                 speakers=["A", "B"], text=" ".join(s.text for s in segments))],
                   minutes=minutes)


def test_a_number_read_across_a_speaker_change_is_masked_in_both_segments():
    segments = [_segment(0, "Call me on +49 170", 0.0, "A"), _segment(1, "1234567 thanks. Email: bob@example.org.", 4.0, "B")]
    red = redact_meeting(_meeting(segments))
    a, b = red.transcript.segments
    assert a.text == "Call me on [phone]" and b.text == "[phone] thanks. Email: [email]."
    # The masked words keep the time they covered, punctuation around the match stays.
    last = a.words[-1]
    assert last.text == "[phone]" and (last.start, last.end) == pytest.approx((1.2, 1.9))  # "+49" to "170"
    assert [w.text for w in b.words] == ["[phone]", "thanks.", "Email:", "[email]."]
    assert red.chunks[0].text == "Call me on [phone] [phone] thanks. Email: [email]."
    assert red.source.name == "call with [email].mp4"
    assert red.redactions == {"email": 1, "phone": 1}  # what was said, counted once


def test_minutes_and_insights_are_masked_and_the_original_is_gone():
    from lifestream.pipeline import insights

    segments = [_segment(0, "Can you mail anna@example.com the contract?", 0.0, "A"),
                _segment(1, "Yes, and I will call +1 415 555 2671 too.", 5.0, "B")]
    minutes = Minutes(title="Contract for anna@example.com", summary="Send it to anna@example.com.",
                      key_points=[SpeakerPoints(speaker="B", points=[Point(text="call +1 415 555 2671")])],
                      decisions=[Point(text="Pay to DE89 3704 0044 0532 0130 00")],
                      action_items=[ActionItem(task="Call +1 415 555 2671", owner="anna@example.com")],
                      open_questions=[Point(text="Is 4111 1111 1111 1111 still valid?")])
    meeting = _meeting(segments, minutes)
    meeting.insights = insights.compute(meeting)
    red = redact_meeting(meeting)
    dumped = red.model_dump_json()
    for original in ("anna@example.com", "2671", "DE89", "4111"):
        assert original not in dumped
    assert red.minutes.action_items[0].owner == "[email]"
    assert red.insights.questions[0].text == "Can you mail [email] the contract?"
    assert red.redactions == {"email": 1, "phone": 1}
    # Idempotent: a second pass finds nothing new and keeps the count.
    assert redact_meeting(red).model_dump_json() == dumped


def test_nothing_is_masked_in_the_real_sample_meeting(processed_sample):
    meeting, _ = processed_sample
    red = redact_meeting(meeting)
    assert red.redactions == {}
    assert red.transcript == meeting.transcript and red.minutes == meeting.minutes and red.chunks == meeting.chunks


def test_nothing_is_masked_in_the_number_heavy_search_corpus():
    """Hand-written business dialogue full of budgets, dates and counts (tests/data/search_meetings.json)."""
    corpus = json.loads((Path(__file__).parents[1] / "data" / "search_meetings.json").read_text())
    texts = [s["text"] for m in corpus["meetings"] for s in m["segments"]]
    assert len(texts) > 40
    found = {t: find(t) for t in texts}
    assert {t: spans for t, spans in found.items() if spans} == {}


PII_MEETING = [
    ("A", "Thanks for joining. Let's sort out the booking details."),
    ("B", "Sure. You can also call me on plus one, four one five, five five five, two six seven one."),
    ("A", "My card number is four one one one. One one one one. One one one one. One one one one."),
    ("B", "Great. We agreed to ship version two in March."),
]


@pytest.mark.slow
def test_spoken_personal_data_is_gone_from_everything_a_meeting_produces(tmp_path):
    """A meeting read aloud (espeak-ng) through the real pipeline with LIFESTREAM_REDACT on: nothing of the
    numbers reaches the files written, the search records, the minutes or the exports."""
    from lifestream.exports import export
    from lifestream.pipeline.runner import process_recording
    from lifestream.search.records import records_for_meeting
    from lifestream.settings import Settings
    from tests.support.media import speak

    class Records:
        """Stands where the search index stands: takes the finished meeting before anything is written."""

        def embed_ahead(self, meeting):
            pass

        def index_meeting(self, meeting):
            self.records = records_for_meeting(meeting, workspace="W", conversation="C")

    wav = speak(PII_MEETING, tmp_path / "booking.wav")
    plain = process_recording(wav, settings=Settings(data_dir=tmp_path / "plain"))
    said = " ".join(s.text for s in plain.transcript.segments)
    assert re.search(r"415.*2671", said) or "two six seven one" in said, said  # what there is to redact

    index = Records()
    red = process_recording(wav, settings=Settings(data_dir=tmp_path / "data", redact=True), indexers=[index])
    assert red.redactions.get("phone") == 1 and red.redactions.get("card") == 1, red.redactions
    assert red.insights is not None and red.insights.speakers
    result_dir = tmp_path / "data" / "results" / red.meeting_id
    # The files' words, without the subtitle cues' times and numbers.
    files = {name: "\n".join(line for line in (result_dir / name).read_text().splitlines()
                             if "-->" not in line and not line.isdigit())
             for name in ("minutes.md", "transcript.vtt", "transcript.srt")}
    stored = Meeting.model_validate_json((result_dir / "meeting.json").read_text())
    said_fields = _strings([stored.transcript.model_dump(), [c.text for c in stored.chunks], stored.minutes.model_dump(),
                            [cm.minutes.model_dump() for cm in stored.chunk_minutes]])
    record_texts = " ".join([r.text for r in index.records] + [line.text for r in index.records for line in r.lines])
    docx_text = _docx_text(export(stored, "docx").data)
    pdf_text = _pdf_text(export(stored, "pdf").data, tmp_path)
    for where, text in (("meeting.json", said_fields), ("search records", record_texts), ("docx", docx_text),
                        ("pdf", pdf_text), *files.items()):
        digits = re.sub(r"[\s,.\-]", "", text)
        assert "2671" not in digits and "1111" not in digits, where
    for where, text in (("meeting.json", said_fields), ("search records", record_texts), ("docx", docx_text),
                        ("pdf", pdf_text), ("transcript.vtt", files["transcript.vtt"])):
        assert "[phone]" in text and "[card]" in text, where
    assert "version 2" in " ".join(s.text for s in stored.transcript.segments)  # the rest is untouched


def _strings(value) -> str:
    """Every string inside dumped models (the numbers beside them are times, not what was said)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return " ".join(_strings(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_strings(v) for v in value)
    return ""


def _docx_text(data: bytes) -> str:
    import docx

    d = docx.Document(io.BytesIO(data))
    return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for row in t.rows for c in row.cells])


def _pdf_text(data: bytes, tmp: Path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext missing (apt-get install poppler-utils; scripts/setup --test installs it)")
    path = tmp / "m.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
