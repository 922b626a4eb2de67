"""Sentences from Whisper's segments where Whisper left the punctuation out, and key points cut to a point.

The words are Whisper's own, from ten minutes of pyannote's trn room clips (tuning data) through the pipeline.
"""

from __future__ import annotations

from lifestream.models import Segment, Word
from lifestream.pipeline.minutes_offline.ranking import POINT_WORDS, shortened
from lifestream.pipeline.sentences import split_sentences

UNPUNCTUATED = ("I'm not 100 % sure but I'm not having crashes at the moment so what I'm having is So we had a we had "
                "a long problem about not finding out why The time thinking up between the relative time in a sort "
                "of in a You know summarized section and the absolute time didn't correspond and stuff and we found "
                "it was some stupid Well at the moment our best guesses that it was some stupid Java thing about if "
                "you if actually if you have two objects and you say object")


def _segment(text: str) -> Segment:
    words = [Word(start=n * 0.4, end=n * 0.4 + 0.3, text=t) for n, t in enumerate(text.split())]
    return Segment(id=0, start=0.0, end=words[-1].end, text=text, speaker="SPEAKER_1", words=words)


def test_a_long_unpunctuated_stretch_is_split_where_whisper_capitalised_a_sentence_opener():
    sentences = [s.text for s in split_sentences([_segment(UNPUNCTUATED)], "en")]
    assert [s.split()[0] for s in sentences] == ["I'm", "The", "Well"]
    assert " ".join(sentences) == UNPUNCTUATED  # nothing lost, nothing moved
    assert max(len(s.split()) for s in sentences) <= 33


def test_a_capital_is_no_sentence_opener_early_in_a_sentence_or_in_a_name_or_in_german():
    short = "I'm not sure So we had a long problem with the invoices last week"  # too short to be a run-on
    assert [s.text for s in split_sentences([_segment(short)], "en")] == [short]
    named = ("and let's see myself and Marika is not here and occasionally Melissa will all be doing the checking "
             "of the transcriptions and the notes this week")  # Marika and Melissa open nothing
    assert [s.text for s in split_sentences([_segment(named)], "en")] == [named]
    german = ("wir haben die Rechnungen für den Kunden und die Folien für das Treffen noch nicht fertig und Die "
              "Zahlen für das Quartal fehlen auch noch")  # German capitalises nouns: no rule
    assert [s.text for s in split_sentences([_segment(german)], "de")] == [german]


def test_a_run_on_key_point_is_cut_at_a_comma_with_an_ellipsis():
    assert shortened("We ship on Monday.") == "We ship on Monday."
    run_on = ("So what I'm having is, so we had a long problem about not finding out why the time between the relative "
              "time in a summarized section and the absolute time didn't correspond, and we found it was some stupid, "
              "well at the moment our best guess is that it was some stupid Java thing about two objects.")
    cut = shortened(run_on)
    assert cut == ("So what I'm having is, so we had a long problem about not finding out why the time between the "
                   "relative time in a summarized section and the absolute time didn't correspond, and we found it "
                   "was some stupid…")  # after the last comma within the first 40 words
    assert len(cut.split()) <= POINT_WORDS and run_on.startswith(cut[:-1])
    no_commas = " ".join(["word"] * 60)
    assert shortened(no_commas) == " ".join(["word"] * POINT_WORDS) + "…"
