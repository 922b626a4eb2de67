"""Stage 6: minutes that people can use, offline from recognised speech, or from an LLM endpoint."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lifestream.errors import TransientError
from lifestream.models import Segment, Word
from lifestream.pipeline.due_dates import find_due
from lifestream.pipeline.minutes import write_minutes
from lifestream.pipeline.minutes_offline import summarize
from lifestream.settings import Settings
from tests.doubles.llm import LlmDouble

WEDNESDAY = date(2026, 11, 25)


def words_of(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9']+", text.lower()))


def test_action_items_have_owner_due_date_and_timestamp(spoken_meeting):
    m = spoken_meeting.minutes
    transcript = spoken_meeting.transcript
    by_task = {a.task.lower(): a for a in m.action_items}
    fix = next(a for t, a in by_task.items() if "login crash" in t)
    email = next(a for t, a in by_task.items() if "marketing" in t)
    budget = next(a for t, a in by_task.items() if "budget" in t)
    assert fix.due_date == "2026-11-27" and "friday" in fix.due.lower()
    assert email.due_date == "2026-11-26"
    assert budget.owner == "team" and budget.due_date == "2026-11-30"
    # the person who promised the fix is the one who was asked, not the one asking
    asker = next(s.speaker for s in transcript.segments if "can you fix" in s.text.lower())
    assert fix.owner != asker and fix.owner in spoken_meeting.speakers
    # the request and the promise are one task
    assert sum("login crash" in t for t in by_task) == 1
    for a in m.action_items:
        assert a.timestamp is not None and 0 <= a.timestamp <= transcript.duration


def test_decisions_and_summary_are_grounded_in_what_was_said(spoken_meeting):
    m = spoken_meeting.minutes
    said = words_of(spoken_meeting.transcript.text)
    assert any("delay the public launch" in d.text.lower() for d in m.decisions)
    # Every word of the summary is the transcript's, the summary's own connecting phrases, or a speaker label.
    assert m.summary and not re.search(r"SPEAKER_\d+:", m.summary)
    assert words_of(re.sub(r"SPEAKER_\d+", "", m.summary)) - said <= phrasing_words()
    for group in m.key_points:
        for point in group.points:
            assert words_of(point.text) <= said
    assert "launch" in m.title.lower()
    assert any("budget" in q.text.lower() for q in m.open_questions)


def phrasing_words() -> set[str]:
    from dataclasses import astuple

    from lifestream.pipeline.minutes_offline.cues import ENGLISH

    return words_of(" ".join(v for v in astuple(ENGLISH.phrasing) if isinstance(v, str)))


def test_chunk_minutes_cover_the_meeting(spoken_meeting):
    assert len(spoken_meeting.chunk_minutes) == len(spoken_meeting.chunks) >= 1
    assert spoken_meeting.chunk_minutes[0].minutes.summary


def _segment(i, start, speaker, text):
    words = [Word(start=start + n * 0.3, end=start + n * 0.3 + 0.25, text=w) for n, w in enumerate(text.split())]
    return Segment(id=i, start=start, end=words[-1].end, text=text, speaker=speaker, words=words)


def test_speech_habits_are_not_action_items():
    segs = [_segment(0, 0, "SPEAKER_1", "I'll be honest, I think it went well."),
            _segment(1, 5, "SPEAKER_2", "I'll tell you what happened."),
            _segment(2, 10, "SPEAKER_1", "I will write the report for the board on Monday.")]
    items = summarize(segs, reference_date=WEDNESDAY).action_items
    assert [(a.task, a.due, a.due_date) for a in items] == [("Write the report for the board", "on Monday", "2026-11-30")]


@pytest.mark.parametrize("said,due", [
    ("send it by Friday", "2026-11-27"), ("finish by end of the month", "2026-11-30"),
    ("call them tomorrow", "2026-11-26"), ("by next Monday", "2026-11-30"), ("before March 3rd", "2027-03-03"),
    ("by the 5th of December", "2026-12-05"), ("send the deck", None),
])
def test_due_dates_resolve_against_the_meeting_date(said, due):
    assert find_due(said, WEDNESDAY)[1] == due


def test_minutes_through_an_openai_compatible_endpoint(spoken_meeting):
    segments = spoken_meeting.transcript.segments
    with LlmDouble() as llm:
        settings = Settings(llm_base_url=llm.base_url, llm_model="test-model", llm_max_retries=2)
        llm.fail_next_with = [503, "invalid-json"]  # a retry, then a re-ask with the validation error
        chunk_minutes, whole = write_minutes(segments, spoken_meeting.chunks, diary=False,
                                             reference_date=WEDNESDAY, settings=settings)
    assert whole.generator == "llm:test-model"
    assert whole.title.startswith("Double minutes")
    assert any("i will fix" in a.task.lower() for a in whole.action_items)
    prompts = [r["messages"][-1]["content"] for r in llm.requests]
    assert any("Can you fix the login crash" in p for p in prompts)
    assert llm.requests[0]["response_format"]["type"] == "json_schema"
    assert any("does not match the schema" in (r["messages"][-1]["content"]) for r in llm.requests)
    assert len(chunk_minutes) == len(spoken_meeting.chunks)


def test_reduce_call_merges_several_chunks(spoken_meeting):
    from lifestream.pipeline.chunking import make_chunks

    segments = spoken_meeting.transcript.segments
    chunks = make_chunks(segments, [], spoken_meeting.transcript.duration, chunk_seconds=15)
    assert len(chunks) >= 2
    with LlmDouble() as llm:
        settings = Settings(llm_base_url=llm.base_url, llm_model="m")
        parts, whole = write_minutes(segments, chunks, diary=False, reference_date=WEDNESDAY, settings=settings)
    assert len(llm.requests) == len(chunks) + 1  # one per chunk, then one reduce
    assert len(whole.action_items) == sum(len(p.minutes.action_items) for p in parts)


def test_an_endpoint_that_keeps_failing_is_a_retryable_error(spoken_meeting):
    with LlmDouble() as llm:
        llm.fail_next_with = [500] * 10
        settings = Settings(llm_base_url=llm.base_url, llm_max_retries=1)
        with pytest.raises(TransientError, match="minutes model"):
            write_minutes(spoken_meeting.transcript.segments, spoken_meeting.chunks, diary=False,
                          reference_date=WEDNESDAY, settings=settings)
