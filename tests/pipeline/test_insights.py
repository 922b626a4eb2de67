"""Meeting insights: the numbers on hand-made turns (where the right answer is known) and on a real
recognised meeting. The chart: tests/web/test_insights_chart.py."""

from __future__ import annotations

import pytest

from lifestream.models import Meeting, Segment, SourceInfo, SpeakerTurn, Transcript, Word
from lifestream.pipeline import insights
from lifestream.pipeline.outputs import minutes_markdown
from lifestream.web import timeline


def _segment(i: int, speaker: str, start: float, text: str, pace: float = 0.4) -> Segment:
    words = [Word(start=round(start + n * pace, 2), end=round(start + n * pace + pace * 0.8, 2), text=w, speaker=speaker)
             for n, w in enumerate(text.split())]
    return Segment(id=i, start=words[0].start, end=words[-1].end, text=text, speaker=speaker, words=words)


def _meeting(turns: list[tuple[str, float, float]], segments: list[Segment], duration: float = 100.0) -> Meeting:
    return Meeting(
        meeting_id="m", source=SourceInfo(name="t.wav", sha256="0", size_bytes=1, format="wav", duration=duration,
                                          has_video=False),
        speakers=list(dict.fromkeys(t[0] for t in turns)),
        transcript=Transcript(language="en", duration=duration, segments=segments),
        turns=[SpeakerTurn(speaker=s, start=a, end=b) for s, a, b in turns])


def test_talk_time_turns_backchannels_pauses_and_silence():
    turns = [("A", 0, 20), ("B", 5, 6),  # B's "mm-hm" inside A's turn: a backchannel
             ("A", 22, 30),  # A goes on after a 2 s pause: the same turn, 30 s long
             ("B", 31, 41), ("A", 41.5, 45),
             ("A", 60, 70)]  # after a 15 s silence: a new turn
    ins = insights.compute(_meeting(turns, [_segment(0, "A", 0, "hello there")]))
    a, b = ins.speakers
    assert (a.speaker, a.talk_seconds, a.turns, a.longest_turn_seconds) == ("A", 41.5, 3, 30.0)
    assert (b.speaker, b.talk_seconds, b.turns) == ("B", 11.0, 1)
    assert a.share == pytest.approx(41.5 / 52.5, abs=1e-3)
    assert (a.words, a.words_per_minute) == (2, round(2 / 41.5 * 60, 1))
    assert ins.turns == 4
    assert ins.longest_monologue.speaker == "A" and ins.longest_monologue.seconds == 30
    assert ins.speech_seconds == 51.5  # B's backchannel overlaps A: counted once
    assert ins.silence_ratio == pytest.approx(1 - 51.5 / 100, abs=1e-3)


def test_questions_answered_and_left_open():
    segments = [
        _segment(0, "A", 0, "Can you fix the login crash by Friday?"),
        _segment(1, "B", 4, "Yes, I will fix it."),
        _segment(2, "A", 10, "Right?"),  # a tag, not a question
        _segment(3, "A", 12, "What is our budget for the campaign?"),
        _segment(4, "B", 16, "Who knows that?"),  # a question back is not an answer
        _segment(5, "A", 60, "Moving on to the next topic now."),
        _segment(6, "B", 100, "Did anyone book the room for next week?"),  # nobody replies
    ]
    turns = [(s.speaker, s.start, s.end) for s in segments]
    ins = insights.compute(_meeting(turns, segments, duration=120.0))
    asked = [(q.speaker, q.text, q.answered) for q in ins.questions]
    assert asked == [("A", "Can you fix the login crash by Friday?", True),
                     ("A", "What is our budget for the campaign?", False),
                     ("B", "Who knows that?", False),
                     ("B", "Did anyone book the room for next week?", False)]
    assert (ins.questions_asked, ins.questions_open) == (4, 3)
    a = next(s for s in ins.speakers if s.speaker == "A")
    words_a = sum(len(s.words) for s in segments if s.speaker == "A")
    assert a.words == words_a and a.questions == 2


def test_pace_needs_enough_speech_and_an_empty_meeting_has_no_numbers():
    ins = insights.compute(_meeting([("A", 0, 2)], [_segment(0, "A", 0, "hi there")]))
    assert ins.speakers[0].words_per_minute is None  # 2 s of speech say nothing about pace
    empty = insights.compute(_meeting([], [], duration=10.0))
    assert (empty.turns, empty.speakers, empty.longest_monologue, empty.silence_ratio) == (0, [], None, 1.0)


def test_without_diarization_the_segments_are_the_turns():
    segments = [_segment(0, "SPEAKER_1", 0, "one two three four five six"),
                _segment(1, "SPEAKER_2", 3, "seven eight nine")]
    meeting = _meeting([], segments, duration=10.0)
    meeting.speakers = ["SPEAKER_1", "SPEAKER_2"]
    ins = insights.compute(meeting)
    assert [(s.speaker, s.turns, s.words) for s in ins.speakers] == [("SPEAKER_1", 1, 6), ("SPEAKER_2", 1, 3)]


def test_a_voice_that_said_no_word_is_no_one_in_the_meeting():
    """The diarizer's "speaker" N hears a sound (a laugh, a door) in A's pause and again later; the
    transcript gives it no word, so the meeting's speakers are A and B (as the runner lists them)."""
    segments = [_segment(0, "A", 0, "so the plan for the launch is set"), _segment(1, "B", 25, "good let us ship")]
    turns = [("A", 0, 10), ("N", 10.5, 11.5), ("A", 12, 20), ("B", 25, 35), ("N", 50, 52)]
    meeting = _meeting(turns, segments)
    meeting.speakers = ["A", "B"]
    ins = insights.compute(meeting)
    assert [(s.speaker, s.talk_seconds, s.turns) for s in ins.speakers] == [("A", 18.0, 1), ("B", 10.0, 1)]
    assert sum(s.share for s in ins.speakers) == pytest.approx(1, abs=1e-3)
    assert ins.turns == 2 and ins.speech_seconds == 28.0  # A's pause is not two turns, N's sounds are not speech
    assert [row.label for row in timeline.build(meeting, lambda key: None).rows] == ["A", "B"]

    # the control: the same sound given a word is someone
    meeting.transcript.segments.append(_segment(2, "N", 50, "hey"))
    meeting.speakers = ["A", "B", "N"]
    ins = insights.compute(meeting)
    assert [s.speaker for s in ins.speakers] == ["A", "B", "N"] and ins.turns == 5
    assert [row.label for row in timeline.build(meeting, lambda key: None).rows] == ["A", "B", "N"]


def test_stored_insights_are_used_and_old_meetings_get_them_computed(spoken_meeting):
    assert spoken_meeting.insights is None or spoken_meeting.insights == insights.compute(spoken_meeting)
    old = Meeting.model_validate_json(spoken_meeting.model_copy(update={"insights": None}).model_dump_json(
        exclude={"insights", "redactions"}))  # a meeting.json written before these fields existed
    assert old.insights is None and old.redactions is None
    assert insights.of(old) == insights.compute(spoken_meeting)


def test_a_real_recognised_meeting(spoken_meeting):
    """The espeak-ng launch meeting through the whole pipeline: two voices taking turns, two questions."""
    ins = insights.compute(spoken_meeting)
    assert len(ins.speakers) == 2 and sum(s.share for s in ins.speakers) == pytest.approx(1, abs=0.01)
    assert ins.turns >= 6  # nine lines read in turn; diarization may merge a few
    assert 100 <= ins.words_per_minute <= 220  # espeak-ng reads at 150 words/min
    assert 0.05 < ins.silence_ratio < 0.6  # 0.7 s pauses between lines
    texts = [q.text for q in ins.questions]
    assert any("budget" in t.lower() for t in texts) and any("friday" in t.lower() for t in texts)
    line = insights.compact_line(ins, spoken_meeting.speaker_name)
    assert line.startswith("Talk time SPEAKER_") and "turns" in line and "words/min" in line and "silence" in line
    md = minutes_markdown(spoken_meeting)
    assert f"_{line}_" in md  # the compact line sits under the minutes' heading
