"""Stage 7: meetings get minutes; one person talking gets a diary-style summary."""

from __future__ import annotations

from lifestream.settings import Settings
from tests.media import DIARY, speak


def test_a_conversation_is_a_meeting(spoken_meeting):
    c = spoken_meeting.classification
    assert c.is_meeting and c.speakers == 2 and c.turns_per_minute > 3
    assert spoken_meeting.minutes.kind == "minutes"


def test_a_monologue_is_a_diary(tmp_path, pipeline):
    wav = speak(DIARY, tmp_path / "diary.wav")
    meeting = pipeline(wav, Settings(data_dir=tmp_path / "data"))
    c = meeting.classification
    assert not c.is_meeting and c.speakers == 1 and c.dominant_speaker_share > 0.95
    assert meeting.minutes.kind == "diary"
    assert meeting.minutes.title.startswith("Diary")
    assert "SPEAKER_1:" not in meeting.minutes.summary  # told in the first person, not as a dialogue
    assert "piano" in meeting.minutes.summary.lower() or "river" in meeting.minutes.summary.lower()
