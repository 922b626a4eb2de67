"""Speaker names from the recording: the cues, the resolver, renames, the LLM's suggestions, and the
outputs that use them — on the real sample (checked against its reference speakers and words) and on a
scripted call spoken by two espeak-ng voices."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date

import pytest

from lifestream.models import (
    SCHEMA_VERSION,
    ActionItem,
    Meeting,
    Minutes,
    NameCandidate,
    Segment,
    SourceInfo,
    SpeakerName,
    Transcript,
    Word,
)
from lifestream.pipeline import name_cues, naming
from lifestream.pipeline.name_cues import candidates_from_transcript, introductions
from lifestream.pipeline.naming import resolve
from lifestream.pipeline.outputs import minutes_markdown, to_srt, to_vtt
from lifestream.pipeline.phrasing import action_sentence
from lifestream.pipeline.sentences import Sentence
from lifestream.samples import reference_named_turns
from lifestream.settings import Settings
from tests.doubles.llm import LlmDouble

# --- the cues


@pytest.mark.parametrize("said,name", [
    ("This is Diane in New Jersey.", "Diane"),
    ("heard a beep This is Diane in New Jersey.", "Diane"),  # an unpunctuated sentence end (an AVX2 CPU's ASR)
    ("And I'm Sheila and Texas originally from Chicago.", "Sheila"),
    ("Right my name's Adam juggard.", "Adam"),  # a real AMI meeting's opening, as Whisper heard it
    ("Hi everyone, my name is Priya Sharma.", "Priya Sharma"),  # not in the census list, but a strong frame
    ("Good morning, this is Diane Miller from finance.", "Diane Miller"),
    ("Sheila speaking.", "Sheila"),
    ("Diane here.", "Diane"),
    ("Hi, it's Tom.", "Tom"),
    ("This is Will speaking.", "Will"),
])
def test_self_introductions_name_the_speaker(said, name):
    found = introductions([Sentence(said, "SPEAKER_1", 0.0, 2.0, 0)])
    assert [(c.name, c.speaker) for c in found] == [(name, "SPEAKER_1")]
    assert resolve(["SPEAKER_1"], found)["SPEAKER_1"].name == name


@pytest.mark.parametrize("said", [
    "I'm sure we can do it.",
    "This is Diane's deck.",
    "This is Diane Smith's deck.",
    "I'm not Diane.",
    "They all call me a Yankee down here.",
    "I think there should be a break for Anne.",  # AMI trn08: a name said about someone
    "Okay, does anyone want to see Steve's feedback from the specification?",
    "I'm in New Jersey now though.",
    "We have in the group Ebenezer at Demisoy",
    "I am Will.",  # "Will" alone is too often the verb
])
def test_other_sentences_name_nobody(said):
    assert resolve(["SPEAKER_1"], introductions([Sentence(said, "SPEAKER_1", 0.0, 2.0, 0)])) == {}


def test_presenting_someone_else_names_who_speaks_next():
    said = [Sentence("Let me introduce our new hire.", "SPEAKER_1", 0, 1, 0),
            Sentence("This is Ben, he joins us from Berlin.", "SPEAKER_1", 1, 3, 0),
            Sentence("Hi everyone, happy to be here.", "SPEAKER_2", 3.5, 5, 1)]
    names = resolve(["SPEAKER_1", "SPEAKER_2"], introductions(said))
    assert {k: v.name for k, v in names.items()} == {"SPEAKER_2": "Ben"}


def test_weak_frames_need_a_second_cue():
    # "I'm Canadian" / "this is Chicago" are not names, and an unlisted word alone does not make one...
    weak = introductions([Sentence("I'm Canadian.", "SPEAKER_1", 0, 1, 0), Sentence("This is Chicago calling.", "SPEAKER_2", 2, 3, 1)])
    assert weak and all(c.confidence < naming.MIN_CONFIDENCE for c in weak)
    assert resolve(["SPEAKER_1", "SPEAKER_2"], weak) == {}
    # ...but an unlisted name introduced and then used by someone else is.
    said = [Sentence("Hello, I'm Oluwaseun.", "SPEAKER_1", 0, 2, 0), Sentence("Thanks, Oluwaseun.", "SPEAKER_2", 3, 4, 1),
            Sentence("Sure.", "SPEAKER_1", 5, 6, 2)]
    cands = name_cues.introductions(said)
    cands += name_cues.addresses(said, [c.name for c in cands])
    assert resolve(["SPEAKER_1", "SPEAKER_2"], cands) == {"SPEAKER_1": resolve(["SPEAKER_1"], cands)["SPEAKER_1"]}
    assert resolve(["SPEAKER_1", "SPEAKER_2"], cands)["SPEAKER_1"].name == "Oluwaseun"


def _segments(lines: list[tuple[str, str]], gap: float = 0.5) -> list[Segment]:
    out, t = [], 0.0
    for i, (speaker, text) in enumerate(lines):
        words = []
        for w in text.split():
            words.append(Word(start=t, end=t + 0.3, text=w, speaker=speaker))
            t += 0.35
        out.append(Segment(id=i, start=words[0].start, end=words[-1].end, text=text, speaker=speaker, words=words))
        t += gap
    return out


def test_address_by_name_names_who_answers_and_not_who_asks():
    segments = _segments([
        ("SPEAKER_1", "Okay, let's start with the budget."),
        ("SPEAKER_2", "The numbers are in the sheet."),
        ("SPEAKER_1", "Thanks, Sheila. Marcus, can you check the vendor quotes by Friday?"),
        ("SPEAKER_3", "Yes, I will check them."),
        ("SPEAKER_1", "Great. What do you think, Marcus?"),
        ("SPEAKER_3", "It looks fine to me."),
    ])
    cands = candidates_from_transcript(segments)
    against = {(c.speaker, c.name) for c in cands if not c.supports}
    assert ("SPEAKER_1", "Marcus") in against and ("SPEAKER_1", "Sheila") in against
    names = resolve(["SPEAKER_1", "SPEAKER_2", "SPEAKER_3"], cands)
    assert {label: n.name for label, n in names.items()} == {"SPEAKER_3": "Marcus"}  # Sheila: one cue is not enough
    assert names["SPEAKER_3"].source == "addressed" and "can you check" in names["SPEAKER_3"].evidence[0].evidence \
        or names["SPEAKER_3"].evidence


# --- settling conflicts


def _c(speaker: str, name: str, confidence: float, source: str = "introduction", **kw) -> NameCandidate:
    return NameCandidate(speaker=speaker, name=name, source=source, confidence=confidence, **kw)


def test_two_speakers_never_get_one_name():
    names = resolve(["S1", "S2"], [_c("S1", "Diane", 0.9), _c("S2", "Diane", 0.6)])
    assert {k: v.name for k, v in names.items()} == {"S1": "Diane"}
    # a tie is not settled by a coin toss
    assert resolve(["S1", "S2"], [_c("S1", "Diane", 0.75), _c("S2", "Diane", 0.75)]) == {}


def test_a_speaker_with_two_names_gets_the_clearly_stronger_one():
    assert resolve(["S1"], [_c("S1", "Diane", 0.9), _c("S1", "Sheila", 0.6)])["S1"].name == "Diane"
    assert resolve(["S1"], [_c("S1", "Diane", 0.8), _c("S1", "Sheila", 0.75)]) == {}
    # once the other name is settled elsewhere, the choice is clear
    names = resolve(["S1", "S2"], [_c("S1", "Diane", 0.8), _c("S1", "Sheila", 0.75), _c("S2", "Sheila", 0.95)])
    assert {k: v.name for k, v in names.items()} == {"S1": "Diane", "S2": "Sheila"}


def test_evidence_adds_up_and_evidence_against_counts():
    two_weak = resolve(["S1"], [_c("S1", "Diane", 0.45, "addressed"), _c("S1", "Diane", 0.45, "addressed")])
    assert two_weak["S1"].confidence == pytest.approx(1 - 0.55 ** 2, abs=1e-3)
    assert resolve(["S1"], [_c("S1", "Diane", 0.75), _c("S1", "Diane", 0.6, "addressed", supports=False)]) == {}


def test_a_first_name_joins_the_full_name_it_belongs_to():
    names = resolve(["S1"], [_c("S1", "Diane Miller", 0.4), _c("S1", "Diane", 0.45, "addressed")])
    assert names["S1"].name == "Diane Miller" and names["S1"].confidence == pytest.approx(0.67, abs=0.01)


def test_confirmed_names_stand_and_are_never_given_twice():
    confirmed = {"S1": SpeakerName(name="Diane", source="rename", confidence=1.0, confirmed=True)}
    names = resolve(["S1", "S2"], [_c("S1", "Sheila", 0.9), _c("S2", "Diane", 0.9)], confirmed)
    assert names == confirmed  # S2's "Diane" is taken, S1's guess does not override a person's word


def test_chat_members_and_voices_feed_the_same_resolver():
    # What the chat and voiceprint features will add: candidates with a person id, resolved the same way.
    cands = [_c("S1", "Diane", 0.75),
             _c("S1", "Diane Miller", 0.5, "chat-member", person_id="U123"),
             _c("S2", "Sheila Park", 0.8, "voiceprint", person_id="U456"),
             _c("S3", "Sheila Park", 0.5, "chat-member", person_id="U456")]
    names = resolve(["S1", "S2", "S3"], cands)
    assert names["S2"].name == "Sheila Park" and names["S2"].source == "voiceprint" and names["S2"].person_id == "U456"
    assert "S3" not in names  # the person is already S2
    assert names["S1"].name in ("Diane", "Diane Miller")


def test_a_heard_name_links_to_the_one_chat_member_it_fits():
    people = [naming.Person("U1", "Diane Miller"), naming.Person("U2", "Sheila Park", ("sheila.p",)),
              naming.Person("U3", "Dan Brown"), naming.Person("U4", "Dan Green")]
    heard = [_c("S1", "Diane", 0.75), _c("S2", "Sheila", 0.8), _c("S3", "Dan", 0.8),
             _c("S1", "Diane", 0.45, "addressed")]
    linked = naming.link_people(heard, people)
    assert [(c.name, c.person_id) for c in linked] == [
        ("Diane Miller", "U1"), ("Sheila Park", "U2"), ("Dan", None), ("Diane Miller", "U1")]
    names = resolve(["S1", "S2", "S3"], linked)
    assert (names["S1"].name, names["S1"].person_id) == ("Diane Miller", "U1")
    assert names["S1"].confidence == pytest.approx(1 - 0.25 * 0.55, abs=1e-3)  # both cues, one person
    assert names["S3"].name == "Dan" and names["S3"].person_id is None  # two Dans in the chat: not linked


# --- the record


def _meeting(segments: list[Segment], **kw) -> Meeting:
    end = segments[-1].end if segments else 1.0
    return Meeting(meeting_id="0123456789abcdef",
                   source=SourceInfo(name="call.wav", sha256="0" * 64, size_bytes=1, format="wav", duration=end,
                                     has_video=False),
                   speakers=list(dict.fromkeys(s.speaker for s in segments if s.speaker)),
                   transcript=Transcript(language="en", duration=end, segments=segments), **kw)


INTRO = [("SPEAKER_1", "Hello, this is Diane in New Jersey."), ("SPEAKER_2", "And I'm Sheila in Texas."),
         ("SPEAKER_1", "Sheila, can you send me the deck by Friday?"), ("SPEAKER_2", "Yes, I'll send you the deck by Friday.")]


def test_a_schema_1_0_record_still_loads_and_its_names_count_as_confirmed():
    old = json.loads(_meeting(_segments(INTRO)).model_dump_json())
    for field in ("speaker_name_sources", "name_candidates"):
        old.pop(field)
    old.update(schema_version="1.0", speaker_names={"SPEAKER_2": "Bob"})
    meeting = Meeting.model_validate(old)
    assert meeting.name_source("SPEAKER_2").confirmed and meeting.name_source("SPEAKER_2").source == "rename"
    naming.name_speakers(meeting, Settings())
    # Bob was named by a person: the recording's "Sheila" does not replace him
    assert meeting.speaker_names == {"SPEAKER_1": "Diane", "SPEAKER_2": "Bob"}
    assert meeting.schema_version == SCHEMA_VERSION == "1.1"


def test_names_and_where_they_came_from_are_in_every_output():
    meeting = naming.name_speakers(_meeting(_segments(INTRO)), Settings())
    assert meeting.speaker_names == {"SPEAKER_1": "Diane", "SPEAKER_2": "Sheila"}
    source = meeting.speaker_name_sources["SPEAKER_1"]
    assert (source.source, source.confirmed, source.evidence[0].evidence) == (
        "introduction", False, "Hello, this is Diane in New Jersey.")
    assert meeting.models["naming"] == "rules"
    saved = json.loads(meeting.model_dump_json())
    assert saved["speaker_name_sources"]["SPEAKER_2"]["source"] == "introduction"
    assert {c["name"] for c in saved["name_candidates"]} >= {"Diane", "Sheila"}
    assert "Diane: Hello, this is Diane" in to_vtt(meeting) and "Sheila: And I'm Sheila" in to_srt(meeting)
    assert "SPEAKER_" not in to_vtt(meeting)
    assert name_cues.given_names() and "introduced" in source.described


def test_names_off_leaves_labels():
    meeting = naming.name_speakers(_meeting(_segments(INTRO)), Settings(guess_speaker_names=False))
    assert meeting.speaker_names == {} and "naming" not in meeting.models


def test_a_rename_overrides_a_guess_and_settles_the_others(tmp_path):
    from lifestream.meetings import load, rename_speakers
    from lifestream.pipeline.outputs import write_results
    from lifestream.storage.local import LocalStorage

    meeting = naming.name_speakers(_meeting(_segments(INTRO)), Settings())
    write_results(meeting, tmp_path / "results" / "m1")
    storage = LocalStorage(tmp_path)
    # The person knows better: SPEAKER_2 is Diane (the diarizer swapped them, say).
    renamed = rename_speakers(storage, "results/m1/", {"SPEAKER_2": "Diane"})
    assert renamed.speaker_names == {"SPEAKER_2": "Diane"}  # SPEAKER_1's guess "Diane" is gone, never twice
    assert renamed.speaker_name_sources["SPEAKER_2"].confirmed
    assert renamed.speaker_name_sources["SPEAKER_2"].source == "rename"
    stored = load(storage, "results/m1/")
    assert stored.speaker_names == renamed.speaker_names and "Diane: And I'm Sheila" in (
        tmp_path / "results/m1/transcript.vtt").read_text()
    # Clearing a confirmed name hands the speaker back to the guesses...
    back = rename_speakers(storage, "results/m1/", {"SPEAKER_2": ""})
    assert back.speaker_names == {"SPEAKER_1": "Diane", "SPEAKER_2": "Sheila"}
    # ...confirming a guess keeps what it was guessed from...
    confirmed = rename_speakers(storage, "results/m1/", {"SPEAKER_1": "Diane"})
    assert confirmed.speaker_name_sources["SPEAKER_1"].confirmed
    assert confirmed.speaker_name_sources["SPEAKER_1"].evidence[0].evidence.startswith("Hello, this is Diane")
    # ...and clearing a guess keeps it from coming back.
    refused = rename_speakers(storage, "results/m1/", {"SPEAKER_2": "SPEAKER_2"})
    assert refused.speaker_names == {"SPEAKER_1": "Diane"}
    assert load(storage, "results/m1/").speaker_names == {"SPEAKER_1": "Diane"}


def test_the_model_suggests_and_the_resolver_decides():
    segments = _segments([("SPEAKER_1", "Okay, Ebenezer and your role is"), ("SPEAKER_2", "I'm the marketing expert."),
                          ("SPEAKER_1", "Great, thanks Ebenezer. I'm Adam, by the way."), ("SPEAKER_3", "Hello.")])
    with LlmDouble() as llm:
        llm.speaker_names_answer = {"speakers": [
            {"speaker": "SPEAKER_2", "name": "Ebenezer", "evidence": "Ebenezer and your role is", "confidence": 0.9},
            {"speaker": "SPEAKER_1", "name": "Adam", "evidence": "I'm Adam, by the way.", "confidence": 0.9},
            {"speaker": "SPEAKER_3", "name": "Margaret", "evidence": "Hello.", "confidence": 0.9},  # never said
            {"speaker": "SPEAKER_9", "name": "Adam", "evidence": "I'm Adam", "confidence": 0.9},  # no such speaker
        ]}
        llm.fail_next_with = ["invalid-json"]  # re-asked once with the validation error
        meeting = naming.name_speakers(_meeting(segments), Settings(llm_base_url=llm.base_url, llm_model="m",
                                                                    llm_max_retries=0))
    assert {k: v.name for k, v in meeting.speaker_name_sources.items()} == {"SPEAKER_1": "Adam", "SPEAKER_2": "Ebenezer"}
    assert meeting.speaker_name_sources["SPEAKER_2"].source == "llm"
    # the rule and the model agree on Adam: the evidence adds up
    assert meeting.speaker_name_sources["SPEAKER_1"].confidence > 0.9
    assert meeting.models["naming"] == "rules+llm:m"
    request = llm.requests[-1]
    assert request["response_format"]["json_schema"]["name"] == "speaker_names"
    assert "[00:00] SPEAKER_1: Okay, Ebenezer and your role is" in request["messages"][1]["content"]
    assert any("does not match the schema" in m["content"] for m in request["messages"] if m["role"] == "user")


def test_a_failing_model_leaves_the_rules_names():
    with LlmDouble() as llm:
        llm.fail_next_with = [500] * 5
        meeting = naming.name_speakers(_meeting(_segments(INTRO)),
                                       Settings(llm_base_url=llm.base_url, llm_max_retries=1))
    assert meeting.speaker_names == {"SPEAKER_1": "Diane", "SPEAKER_2": "Sheila"}
    assert meeting.models["naming"] == "rules"


def test_a_long_transcript_sends_the_opening_and_the_lines_with_names():
    from lifestream.pipeline.naming_llm import transcript_for_naming

    filler = [("SPEAKER_1" if i % 2 else "SPEAKER_2", f"We talked about item number {i} of the long agenda again.")
              for i in range(2000)]
    segments = _segments(filler[:1000] + [("SPEAKER_1", "Thanks, Diane, that was clear.")] + filler[1000:], gap=1.0)
    text = transcript_for_naming(segments, budget=8000)
    assert len(text) <= 8000 and "Thanks, Diane" in text and "item number 0 " in text


# --- the minutes read with names


def test_action_items_read_as_sentences_about_people():
    names = {"S1": "Diane", "S2": "Sheila"}

    def name(label: str | None) -> str:
        return names.get(label or "", label or "Unknown")

    assert action_sentence(ActionItem(task="Send the deck by Friday", owner="S1", speaker="S1"), name) == \
        "Diane will send the deck by Friday."
    assert action_sentence(ActionItem(task="Send me your notes by Friday", owner="S2", speaker="S1"), name) == \
        "Sheila will send Diane their notes by Friday."
    assert action_sentence(ActionItem(task="Send you the list today", owner="S1", speaker="S1"), name, "S2") == \
        "Diane will send Sheila the list today."
    assert action_sentence(ActionItem(task="Confirm our budget with finance", owner="team", speaker="S1"), name) == \
        "The team will confirm their budget with finance."
    assert action_sentence(ActionItem(task="Care of the budget", owner="S1", speaker="S1"), name) == "Care of the budget."


def test_offline_minutes_name_owners_in_sentences():
    meeting = naming.name_speakers(_meeting(_segments(INTRO)), Settings())
    meeting.minutes = Minutes(title="Meeting: Deck", summary="SPEAKER_1: Sheila, can you send me the deck by Friday?",
                              action_items=[ActionItem(task="Send you the deck by Friday", owner="SPEAKER_2",
                                                       speaker="SPEAKER_2", due="by Friday", due_date="2026-11-27",
                                                       timestamp=6.0)],
                              generator="offline-extractive")
    md = minutes_markdown(meeting)
    assert "- [ ] **Sheila** will send Diane the deck by Friday. — due 2026-11-27 (by Friday) [00:06]" in md
    assert "Diane: Sheila, can you send me" in md


# --- real speech


def reference_name(meeting: Meeting, label: str) -> str:
    """Whose voice a label is: the reference name its words overlap most."""
    talk: dict[str, float] = defaultdict(float)
    reference = reference_named_turns()
    for word in meeting.transcript.words:
        if word.speaker == label:
            for start, end, name in reference:
                talk[name] += max(0.0, min(end, word.end) - max(start, word.start))
    return max(talk, key=talk.get)


def test_the_sample_speakers_are_named_on_the_right_voices(processed_sample):
    meeting, result_dir = processed_sample
    assert sorted({name for _, _, name in reference_named_turns()}) == ["Diane", "Sheila"]
    assert sorted(meeting.speaker_names.values()) == ["Diane", "Sheila"]
    for label, name in meeting.speaker_names.items():
        assert reference_name(meeting, label) == name, (label, name)
    for source in meeting.speaker_name_sources.values():
        assert source.source == "introduction" and not source.confirmed
        assert source.name in source.evidence[0].evidence  # "This is Diane in New Jersey."
    saved = Meeting.model_validate_json((result_dir / "meeting.json").read_text())
    assert saved.speaker_name_sources == meeting.speaker_name_sources
    for file in ("transcript.vtt", "transcript.srt", "minutes.md"):
        text = (result_dir / file).read_text()
        assert "Diane" in text and "Sheila" in text and "SPEAKER_" not in text, file


def test_search_records_of_the_sample_carry_the_names(processed_sample):
    from lifestream.search.records import records_for_meeting

    meeting, _ = processed_sample
    records = records_for_meeting(meeting, workspace="W", conversation="C")
    assert {s for r in records for s in r.speakers} <= {"Diane", "Sheila"}
    assert any(re.search(r"^Diane: .*Jersey", r.text, re.MULTILINE) for r in records)


INTRO_CALL = [
    ("A", "Good morning everyone, this is Diane. Let's review the launch plan for the mobile app."),
    ("B", "Morning. The beta build is ready, but the login screen still crashes on older phones."),
    ("A", "Marcus, can you fix the login crash by Friday?"),
    ("B", "Yes. I will fix the login crash and send a new build by Friday."),
    ("A", "Thanks, Marcus. I will send the slides to the client tomorrow."),
]


@pytest.fixture(scope="module")
def intro_call(tmp_path_factory):
    from lifestream.pipeline.runner import process_recording
    from tests.support.media import speak

    root = tmp_path_factory.mktemp("intro-call")
    wav = speak(INTRO_CALL, root / "call.wav")
    meeting = process_recording(wav, settings=Settings(data_dir=root / "data"), reference_date=date(2026, 11, 25))
    return meeting, root / "data" / "results" / meeting.meeting_id


def test_a_spoken_call_names_the_introduced_and_the_addressed_voice(intro_call):
    meeting, result_dir = intro_call
    # Which label is which voice, through the words: voice A alone says "launch plan", B "older phones".
    voice = {s.speaker: who for s in meeting.transcript.segments
             for who, marker in (("A", "launch plan"), ("B", "older phones")) if marker in s.text.lower()}
    assert set(voice.values()) == {"A", "B"}
    assert {voice[label]: name for label, name in meeting.speaker_names.items()} == {"A": "Diane", "B": "Marcus"}
    by_name = {n.name: n for n in meeting.speaker_name_sources.values()}
    assert by_name["Diane"].source == "introduction" and by_name["Marcus"].source == "addressed"
    md = (result_dir / "minutes.md").read_text()
    assert "**Marcus** will fix the login crash" in md
    assert "**Diane** will send the slides to the client." in md and "(tomorrow)" in md
