"""German, Spanish and French meetings spoken by espeak-ng's voices of each language and run through the whole
offline pipeline: Whisper detects the language, and the minutes are read and written with that language's rules
(recognition and diarization errors included). An Italian one, which has no rules, gets a summary only.
About 20-40 s a meeting on 2 cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifestream.pipeline.runner import process_recording
from lifestream.settings import Settings
from tests.pipeline.test_minutes_languages import check_minutes
from tests.support.languages import ITALIAN, ITALIAN_VOICES, MEETINGS, REFERENCE, SECOND
from tests.support.media import speak_timed
from tests.support.minutes_eval import voices_of_labels


def _through_the_pipeline(tmp_path: Path, lines, voices):
    wav, spans = speak_timed(lines, tmp_path / "meeting.wav", voices=voices)
    meeting = process_recording(wav, settings=Settings(data_dir=tmp_path / "data"), reference_date=REFERENCE)
    assert meeting.transcript is not None and meeting.minutes is not None
    # Shown when a test fails: what recognition and diarization made of it on that machine.
    print(*(f"{s.start:6.2f} {s.speaker} {s.text}" for s in meeting.transcript.segments), sep="\n")
    return meeting, spans


@pytest.mark.parametrize("language", ["de", "es", "fr"])
def test_a_spoken_meeting_is_minuted_in_its_language(tmp_path, language):
    spec = MEETINGS[language]
    meeting, spans = _through_the_pipeline(tmp_path, spec.lines, spec.voices)
    assert meeting.language == language and meeting.transcript.language_probability > 0.8
    voice_of = voices_of_labels(meeting.transcript.segments, spans, [v for v, _ in spec.lines])
    owner_of = {voice: label for label, voice in voice_of.items()}
    assert sorted(owner_of) == ["A", "B"], voice_of  # two voices, two speakers
    check_minutes(meeting.minutes, spec, owner_of)


def test_a_spoken_meeting_in_a_language_without_rules_gets_a_summary_only(tmp_path):
    meeting, _ = _through_the_pipeline(tmp_path, ITALIAN, ITALIAN_VOICES)
    assert meeting.language == "it"
    m = meeting.minutes
    assert m.generator == "offline-summary-only" and not (m.action_items or m.decisions or m.open_questions)
    assert m.summary.startswith("Summary only: the offline minutes have no rules for Italian (it)")
    assert "festa" in m.summary.lower()


def test_a_language_in_doubt_over_the_first_half_minute_is_decided_by_the_next(tmp_path):
    """Whisper base hears the start of this German meeting as English (0.34; German 0.27) and then transcribes
    all of it as an English translation; looking at the next 30 s settles it as German (0.94)."""
    spec = SECOND["de"]
    meeting, _ = _through_the_pipeline(tmp_path, spec.lines, spec.voices)
    assert meeting.language == "de" and meeting.transcript.language_probability > 0.8
    assert meeting.minutes.summary.startswith("In der Besprechung ging es um das Release")
