"""Offline minutes of meetings in German, Spanish and French read with each language's own rules, and a
language without rules gets a summary only, never English cues read over its words. Typed transcripts;
tests/pipeline/test_languages_spoken.py runs the same meetings spoken through the whole pipeline."""

from __future__ import annotations

import re
from datetime import date

import pytest

from lifestream.models import Minutes, Segment, Word
from lifestream.pipeline.due_dates import find_due
from lifestream.pipeline.minutes_offline import summarize
from lifestream.pipeline.sentences import split_sentences
from tests.support.languages import ENGLISH_PHRASING, ITALIAN, MEETINGS, REFERENCE, SECOND, LanguageMeeting
from tests.support.minutes_eval import typed_segments


def said(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def check_minutes(m: Minutes, meeting: LanguageMeeting, owner_of: dict[str, str]) -> None:
    """The meeting's outcomes, each once, in its language; ``owner_of`` maps a voice to its speaker label."""
    got = [(a.owner, said(a.task + " " + (a.due or "")), a.due_date) for a in m.action_items]
    assert len(got) == len(meeting.actions), m.action_items
    for (owner, words, due), (got_owner, got_words, got_due) in zip(meeting.actions, got):
        assert got_owner == owner_of.get(owner, owner) and words <= got_words and got_due == due, m.action_items
    # Substrings, not words: recognition may write a German compound ("Bürofeiern" for "Büro feiern").
    assert len(m.decisions) == 1 and all(w in m.decisions[0].text.lower() for w in meeting.decision), m.decisions
    assert len(m.open_questions) == 1 and meeting.open_question <= said(m.open_questions[0].text), m.open_questions
    summary = m.summary.lower()
    assert all(p in summary for p in meeting.phrasing), m.summary
    assert not any(re.search(rf"\b{p}\b", summary) for p in ENGLISH_PHRASING), m.summary
    assert m.generator == "offline-extractive"


@pytest.mark.parametrize("language", ["de", "es", "fr"])
def test_a_meeting_is_minuted_in_its_own_language(language):
    meeting = MEETINGS[language]
    m = summarize(typed_segments(meeting.lines), reference_date=REFERENCE, language=language)
    check_minutes(m, meeting, {"A": "SPEAKER_1", "B": "SPEAKER_2"})
    # The summary names the task's owner and retells the task in the language ("SPEAKER_2 wird … verschicken").
    assert "SPEAKER_2" in m.summary and "SPEAKER_1" in m.summary


@pytest.mark.parametrize("language", ["de", "es", "fr"])
def test_a_second_meeting_with_three_people_is_minuted_in_its_language(language):
    meeting = SECOND[language]
    m = summarize(typed_segments(meeting.lines), reference_date=REFERENCE, language=language)
    check_minutes(m, meeting, {"A": "SPEAKER_1", "B": "SPEAKER_2", "C": "SPEAKER_3"})


def test_the_same_meeting_read_with_english_rules_would_find_nothing_right():
    """What the languages fix: English cues over German words find no tasks or decisions at all."""
    m = summarize(typed_segments(MEETINGS["de"].lines), reference_date=REFERENCE, language="en")
    assert not m.decisions and all(a.due_date not in ("2026-12-04", "2026-12-14") for a in m.action_items)


def test_a_language_without_rules_gets_a_summary_only_that_says_so():
    m = summarize(typed_segments(ITALIAN), reference_date=REFERENCE, language="it")
    assert m.generator == "offline-summary-only"
    assert not m.action_items and not m.decisions and not m.open_questions
    assert m.summary.startswith("Summary only: the offline minutes have no rules for Italian (it)")
    # The rest is the meeting's own sentences, as said.
    assert "festa in ufficio" in m.summary and m.key_points


def _segment(text: str) -> Segment:
    words = [Word(start=n * 0.4, end=n * 0.4 + 0.3, text=t) for n, t in enumerate(text.split())]
    return Segment(id=0, start=0.0, end=words[-1].end, text=text, speaker="SPEAKER_1", words=words)


@pytest.mark.parametrize(
    "language, text, expected",
    [
        (
            "de",
            "Dr. Weber schickt die Zahlen bis zum 14. Dezember. Ich buche z. B. den Raum.",
            ["Dr. Weber schickt die Zahlen bis zum 14. Dezember.", "Ich buche z. B. den Raum."],
        ),
        ("de", "Wir treffen uns am 3. Das passt.", ["Wir treffen uns am 3.", "Das passt."]),
        (
            "es",
            "La Sra. López envía el informe. Yo reservo la sala.",
            ["La Sra. López envía el informe.", "Yo reservo la sala."],
        ),
        (
            "fr",
            "M. Dupont envoie le programme. Je réserve la salle.",
            ["M. Dupont envoie le programme.", "Je réserve la salle."],
        ),
    ],
)
def test_sentences_are_split_by_the_languages_abbreviations(language, text, expected):
    assert [s.text for s in split_sentences([_segment(text)], language)] == expected


@pytest.mark.parametrize(
    "language, text, due",
    [
        ("de", "die Folien bis Freitag schicken", "2026-12-04"),
        ("de", "das bis Ende des Monats erledigen", "2026-12-31"),
        ("de", "morgen früh anrufen", "2026-12-02"),
        ("de", "am 14. Dezember liefern", "2026-12-14"),
        ("es", "enviar el informe para el viernes", "2026-12-04"),
        ("es", "terminarlo a finales de mes", "2026-12-31"),
        ("es", "llamar pasado mañana", "2026-12-03"),
        ("fr", "envoyer le programme d'ici vendredi", "2026-12-04"),
        ("fr", "commander le repas avant de 14 décembre", "2026-12-14"),  # "le" misheard as "de"
        ("fr", "finir avant la fin du mois", "2026-12-31"),
        ("fr", "appeler la semaine prochaine", "2026-12-07"),
    ],
)
def test_deadlines_are_read_in_each_language(language, text, due):
    assert find_due(text, REFERENCE, language)[1] == due


def test_a_refused_deadline_is_none():
    assert find_due("Freitag schaffe ich nicht", REFERENCE, "de") == (None, None)
    assert find_due("no puedo el viernes", REFERENCE, "es") == (None, None)
    assert find_due("je ne peux pas vendredi", REFERENCE, "fr") == (None, None)


def test_a_language_without_rules_finds_no_deadline():
    assert find_due("entro venerdì", date(2026, 12, 1), "it") == (None, None)


# --- the LLM path ----------------------------------------------------------------------------------------------------


def _llm_minutes(llm, language: str | None, minutes_language: str | None = None, chunk_seconds: float = 300.0):
    from lifestream.pipeline.chunking import make_chunks
    from lifestream.pipeline.minutes import write_minutes
    from lifestream.settings import Settings

    segments = typed_segments(MEETINGS["de"].lines)
    chunks = make_chunks(segments, [], segments[-1].end, chunk_seconds)
    settings = Settings(
        llm_base_url=llm.base_url, llm_model="test-model", llm_max_retries=0, minutes_language=minutes_language
    )
    return write_minutes(segments, chunks, diary=False, reference_date=REFERENCE, settings=settings, language=language)


def _system(request: dict) -> str:
    return request["messages"][0]["content"]


def test_the_llm_writes_the_minutes_in_the_meetings_language_from_a_draft_in_it():
    from lifestream.pipeline.minutes_llm import DRAFT_INTRO
    from tests.doubles.llm import LlmDouble

    with LlmDouble() as llm:
        _llm_minutes(llm, "de", chunk_seconds=10.0)
    assert len(llm.requests) >= 3  # the parts and the reduce call, each told the language
    for request in llm.requests:
        assert (
            "The meeting was held in German (de). Write the title, summary and every text field of the minutes "
            "in German (de) too"
        ) in _system(request)
    with LlmDouble() as llm:
        _llm_minutes(llm, "de")
    user = llm.requests[0]["messages"][1]["content"]
    # The rules' draft read the German, not English cues.
    assert user.startswith(DRAFT_INTRO)
    assert '"task": "Die Einladungen verschicken", "owner": "SPEAKER_2", "due": "bis Montag"' in user


def test_minutes_language_asks_for_a_translation():
    from tests.doubles.llm import LlmDouble

    with LlmDouble() as llm:
        _llm_minutes(llm, "de", minutes_language="en")
    assert (
        "The meeting was held in German (de). Write the title, summary and every text field of the minutes in "
        "English (en), translating what was said"
    ) in _system(llm.requests[0])


def test_without_a_detected_language_the_llm_keeps_the_meetings_own():
    from tests.doubles.llm import LlmDouble

    with LlmDouble() as llm:
        _llm_minutes(llm, None)
    assert "Write the minutes in the language the meeting was held in." in _system(llm.requests[0])


def test_a_german_ordinal_at_a_segments_end_goes_on_in_the_next():
    first, second = _segment("Ich bestelle das Essen bis zum 14."), _segment("Dezember. Das passt.")
    second = second.model_copy(
        update={
            "id": 1,
            "words": [w.model_copy(update={"start": w.start + 3.0, "end": w.end + 3.0}) for w in second.words],
        }
    )
    assert [s.text for s in split_sentences([first, second], "de")] == [
        "Ich bestelle das Essen bis zum 14. Dezember.",
        "Das passt.",
    ]


def test_words_whisper_gives_in_pieces_are_one_word():
    from lifestream.pipeline.asr import glue_split_words

    pieces = [
        Word(start=n, end=n + 0.5, text=t, probability=0.9 - n / 10)
        for n, t in enumerate(["aujourd", "'hui", "Est", "-ce", "qu", "'on", "-", "fin"])
    ]
    glued = glue_split_words(pieces)
    assert [w.text for w in glued] == ["aujourd'hui", "Est-ce", "qu'on", "-", "fin"]
    assert (glued[0].start, glued[0].end, glued[0].probability) == (0, 1.5, 0.8)


def test_a_spanish_question_is_one_without_its_closing_mark():
    (sentence,) = split_sentences([_segment("¿Quién se ocupa de la música")], "es")
    assert sentence.is_question


def test_a_german_statement_in_the_present_is_a_promise_only_when_not_refused():
    def tasks(*lines: str) -> list[str]:
        segments = typed_segments([tuple(line.split(": ", 1)) for line in lines])
        return [a.task for a in summarize(segments, reference_date=REFERENCE, language="de").action_items]

    assert tasks("A: Kannst du die Folien bis Freitag schicken?", "B: Ja, das mache ich.") == ["Die Folien schicken"]
    assert tasks("A: Kannst du die Folien bis Freitag schicken?", "B: Nein, das mache ich nicht.") == []
    assert tasks("A: Wer bestellt das Essen?", "B: Das weiß ich noch nicht, ich bestelle es nicht.") == []


def test_tasks_are_said_as_infinitive_phrases():
    from lifestream.pipeline.grammar import de_infinitive_phrase, es_infinitive_phrase, fr_infinitive_phrase

    assert es_infinitive_phrase("te mando las notas") == "mandarte las notas"
    assert es_infinitive_phrase("nos centremos en las redes") == "centrarse en las redes"
    assert fr_infinitive_phrase("réserverai la salle") == "réserver la salle"
    assert de_infinitive_phrase("feiern wir im Büro") == "im Büro feiern"
