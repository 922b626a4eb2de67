"""Stage 7: meetings get minutes; one person talking gets a diary-style summary."""

from __future__ import annotations

from lifestream.models import Segment
from lifestream.pipeline.classify import classify, conversation_cues
from lifestream.pipeline.runner import process_recording
from lifestream.settings import Settings
from tests.support.media import DIARY, speak


def test_a_conversation_is_a_meeting(spoken_meeting):
    c = spoken_meeting.classification
    assert c.is_meeting and c.speakers == 2 and c.turns_per_minute > 3
    assert spoken_meeting.minutes.kind == "minutes"


def test_a_monologue_is_a_diary(tmp_path):
    wav = speak(DIARY, tmp_path / "diary.wav")
    meeting = process_recording(wav, settings=Settings(data_dir=tmp_path / "data"))
    c = meeting.classification
    assert not c.is_meeting and c.speakers == 1 and c.dominant_speaker_share > 0.95
    assert meeting.minutes.kind == "diary"
    assert meeting.minutes.title.startswith("Diary")
    assert "SPEAKER_1:" not in meeting.minutes.summary  # told in the first person, not as a dialogue
    assert "piano" in meeting.minutes.summary.lower() or "river" in meeting.minutes.summary.lower()


def test_words_make_a_meeting_where_the_voices_blur(spoken_meeting):
    # as if diarization had heard one voice in a far-field room
    one_voice = [s.model_copy(update={"speaker": "SPEAKER_1"}) for s in spoken_meeting.transcript.segments]
    c = classify(one_voice, spoken_meeting.transcript.duration)
    assert c.is_meeting and c.speakers == 1
    assert "words show a conversation" in c.reason


def test_a_diary_has_no_conversation_in_its_words():
    lines = [Segment(id=i, start=5.0 * i, end=5.0 * i + 4, text=text) for i, (_, text) in enumerate(DIARY)]
    cues = conversation_cues(lines)
    assert cues.addressing == 0 and cues.exchanges == 0
    assert not classify(lines, 20.0).is_meeting


def test_a_four_person_meeting_room_is_a_meeting(tmp_path):
    """A real AMI-like clip of four people in which one does nearly all the talking."""
    from tests.support import real_clips

    real_clips.require()
    clip = next(c for c in real_clips.load_clips("train") if c.name == "trn05")
    assert clip.speakers == 4
    meeting = process_recording(clip.path, settings=Settings(data_dir=tmp_path / "data"))
    c = meeting.classification
    assert c.is_meeting, c.reason
    assert meeting.minutes.kind == "minutes"
