"""The offline minutes' reading of an exchange, one behaviour at a time, on typed dialogue.

These are the rules' contract in small; tests/test_minutes_eval.py measures them
on whole scripted meetings spoken through the real pipeline.
"""

from __future__ import annotations

import re
from datetime import date

from lifestream.models import Segment
from lifestream.pipeline.minutes_offline import summarize
from lifestream.pipeline.minutes_offline.cues import ENGLISH
from lifestream.pipeline.minutes_offline.languages import cues_for
from lifestream.pipeline.minutes_offline.text import title_case
from tests.support.minutes_eval import typed_segments

WEDNESDAY = date(2026, 11, 25)


def meeting(*lines: str) -> list[Segment]:
    """ "A: text" lines as segments (tests/minutes_eval.py's typed transcript)."""
    return typed_segments([tuple(line.split(": ", 1)) for line in lines])


def minutes(*lines: str, names: dict[str, str] | None = None):
    return summarize(meeting(*lines), reference_date=WEDNESDAY, speaker_names=names)


# --- action items ----------------------------------------------------------------------------------------------------

def test_an_accepted_request_is_one_item_owned_by_who_accepted_it():
    m = minutes("A: Marcus, can you fix the rounding bug before the release?",
                "B: Yes, I'll fix it by Friday.")
    assert [(a.task, a.owner, a.due_date) for a in m.action_items] == [
        ("Fix the rounding bug before the release", "SPEAKER_2", "2026-11-27")]
    assert not m.open_questions  # a request is not a question


def _later(segments: list[Segment], seconds: float, first_id: int) -> list[Segment]:
    """The segments as said ``seconds`` later in the meeting, numbered from ``first_id``."""
    return [s.model_copy(update={"id": first_id + n, "start": s.start + seconds, "end": s.end + seconds,
                                 "words": [w.model_copy(update={"start": w.start + seconds, "end": w.end + seconds})
                                           for w in s.words]})
            for n, s in enumerate(segments)]


def test_a_task_said_again_at_the_end_of_a_long_meeting_is_one_item():
    start = meeting("A: Marcus, can you fix the rounding bug before the release?", "B: Yes, I'll fix it by Friday.",
                    "C: And I'll update the help article about invoice totals.")

    def items(*recap: str) -> list[tuple[str | None, str, str | None, float]]:
        m = summarize(start + _later(meeting(*recap), 1500, len(start)), reference_date=WEDNESDAY)
        return [(a.owner, a.task, a.due_date, a.timestamp) for a in m.action_items]

    said_once = [("SPEAKER_2", "Fix the rounding bug before the release", "2026-11-27", 0.0),
                 ("SPEAKER_3", "Update the help article about invoice totals", None, 7.8)]
    # 25 minutes later, the recap: the same items, first said where they stand
    assert items("B: Just to confirm, I'll fix the rounding bug by Friday.",
                 "C: I'll update the help article about invoice totals.") == said_once
    # a recap that gives the deadline gives it to the item
    assert items("C: I'll update the help article about invoice totals by Monday.")[1] == (
        "SPEAKER_3", "Update the help article about invoice totals", "2026-11-30", 7.8)
    # another task of the same person, or the same words from someone else, is another item
    assert items("B: I'll fix the login page.") == [*said_once, ("SPEAKER_2", "Fix the login page", None, 1500.0)]
    assert items("B: I'll update the help article about invoice totals.")[2][:2] == (
        "SPEAKER_2", "Update the help article about invoice totals")


def test_a_declined_request_is_not_a_task_but_a_new_date_is_accepted():
    declined = minutes("A: Could you present the results at the board meeting?", "B: No, sorry, I can't.")
    assert declined.action_items == []
    moved = minutes("A: Raj, could you write the two job descriptions by Friday?",
                    "C: I can't do Friday, I'm at the summit all week. Monday would work.")
    assert [(a.owner, a.due_date) for a in moved.action_items] == [("SPEAKER_3", "2026-11-30")]


def test_two_promises_in_one_sentence_are_two_items_sharing_its_deadline():
    m = minutes("B: I'll be on call on Monday, and I'll keep an eye on the error dashboard.")
    assert [(a.task, a.due_date) for a in m.action_items] == [
        ("Be on call", "2026-11-30"), ("Keep an eye on the error dashboard", "2026-11-30")]


def test_do_that_takes_its_task_from_what_it_answers():
    m = minutes("A: Who writes the related work section?",
                "C: I'll take it. I'll have a draft by December fifteenth.")
    assert [(a.task, a.owner, a.due) for a in m.action_items] == [
        ("Write the related work section", "SPEAKER_3", "by December fifteenth")]


def test_a_pronoun_is_replaced_by_the_person_it_stands_for():
    m = minutes("C: We could ask Professor Lin, she was on the committee last year.",
                "A: Good idea, I'll write to her this week.")
    assert [(a.task, a.owner) for a in m.action_items] == [("Write to Professor Lin", "SPEAKER_1")]
    assert m.decisions == []  # taken on at once: a task, not a decision


def test_a_team_task_taken_on_by_someone_is_theirs():
    m = minutes("A: Then we should prepare the help articles before that. I'll write them in December.",
                "B: Great.")
    assert [(a.task, a.owner) for a in m.action_items] == [("Prepare the help articles before that", "SPEAKER_1")]
    assert m.decisions == []


def test_a_named_person_who_assents_owns_the_task():
    m = minutes("C: I'll do the first round of interviews, and Tom can do the second round.",
                "B: Sure, I'm happy to do that.")
    assert [(a.task, a.owner) for a in m.action_items] == [
        ("Do the first round of interviews", "SPEAKER_3"), ("Do the second round", "SPEAKER_2")]


def test_asking_to_be_told_is_a_question_not_a_task():
    """ "Can you just remind me, I don't have to tick the note...?" (a trn room clip) was someone's action item."""
    for asked in ("A: Can you just remind me, I don't have to tick the note until I finish writing?",
                  "A: Can you tell me what the budget is for next year?",
                  "A: Could you explain how the billing works?",
                  "A: Could you walk us through the new dashboard?"):
        answered = minutes(asked, "B: Sure, it's every Monday, and it goes through the queue.")
        assert (answered.action_items, answered.open_questions) == ([], []), asked
        put_off = minutes(asked, "B: Good question, I'm not sure.")
        assert put_off.action_items == [] and len(put_off.open_questions) == 1, asked
    # asked for work, the same verbs are tasks
    for asked, task in (("A: Can you remind me to call the client tomorrow?", "Remind me to call the client"),
                        ("A: Could you show the team the new dashboard on Friday?", "Show the team the new dashboard"),
                        ("A: Can you tell the client that we ship on Monday?", "Tell the client that we ship")):
        assert [a.task for a in minutes(asked, "B: Sure.").action_items] == [task]


def test_speech_habits_and_states_are_not_tasks():
    m = minutes("A: I'll be honest, I think it went well.", "B: I'll tell you what happened.",
                "A: I have to know where every desk goes before I order the cabling.")
    assert m.action_items == []


def test_known_names_give_the_owner_even_without_an_answer():
    m = minutes("A: Lucy, could you make a rota for the helpers by Monday?", "A: And then the tables.",
                names={"SPEAKER_1": "Margaret", "SPEAKER_2": "Lucy"})
    assert [(a.owner, a.due_date) for a in m.action_items] == [("SPEAKER_2", "2026-11-30")]


# --- decisions -------------------------------------------------------------------------------------------------------

def test_a_proposal_the_others_agree_to_is_a_decision():
    m = minutes("A: So what if we ship dark mode first, as a quick win, and then start offline mode?",
                "B: That works for engineering.", "D: Customers would like that.")
    assert [d.text for d in m.decisions] == ["Ship dark mode first, as a quick win, and then start offline mode"]


def test_a_proposal_someone_objects_to_is_not():
    m = minutes("A: I'd push the onboarding flow to the second half of the year.",
                "C: I'm not happy about that. New users drop off on the second screen.")
    assert m.decisions == []


def test_an_assent_that_names_the_choice_gives_the_decision_its_name():
    m = minutes("B: People could bring their own food instead.", "C: Fine, a picnic then, everyone brings their own.")
    assert [d.text for d in m.decisions] == ["A picnic (bring their own food instead)"]
    assert "decided on a picnic" in m.summary


def test_a_terse_conclusion_says_what_it_settles_in_the_question_s_words():
    m = minutes("B: About the contact form. Right now it just sends an email.",
                "B: Should it create a ticket in the support system instead?", "A: What would that take?",
                "B: About two days of work.", "C: The support team would love that.", "A: Okay, then we do the tickets.",
                "C: Fine by me.")
    assert [d.text for d in m.decisions] == ["The contact form should create a ticket in the support system instead"]
    # Without the agenda line there is nothing for "it" to stand for: the conclusion keeps its own words.
    m = minutes("B: Should it create a ticket in the support system instead?", "C: The support team would love that.",
                "A: Okay, then we do the tickets.", "C: Fine by me.")
    assert [d.text for d in m.decisions] == ["Do the tickets"]


def test_a_choice_closed_by_naming_one_alternative_is_a_decision():
    m = minutes("C: Where do we meet, the car park or the lifeguard station?", "B: I'd save a lifeguard station.",
                "A: Okay, lifeguard station at nine o'clock.", "C: Should we do a barbecue afterwards?",
                "B: People could bring their own food instead.", "C: Fine, a picnic and everyone brings their own.")
    assert [d.text for d in m.decisions] == ["Lifeguard station at nine o'clock", "A picnic (bring their own food instead)"]
    # "Okay, thanks." names no alternative: nothing was chosen.
    assert minutes("C: The car park or the lifeguard station?", "A: Okay, thanks.").decisions == []


def test_a_conclusion_after_assent_may_start_with_and():
    m = minutes("C: Marketing could pause the paid social ads.", "A: What happens to the newsletter then?",
                "C: Nothing, it stays.", "A: Good, and we pause the paid social ads for the first quarter.",
                "C: Okay. I'll tell the agency on Monday.")
    assert [d.text for d in m.decisions] == ["Pause the paid social ads for the first quarter"]


# What a recogniser and a diarizer do to a spoken meeting: the same rules must still read the exchange.

def test_an_assent_the_diarizer_gave_to_the_proposer_is_still_an_assent():
    # "Fine by me." is nobody's answer to their own proposal: another voice, merged into the proposer's turn.
    m = minutes("C: Do we want to hire through the agency again?", "B: The agency candidates were expensive.",
                "A: No agency this time, we'll recruit directly.", "A: Fine by me.")
    assert [d.text for d in m.decisions] == ["Recruit directly"]
    # After a reply the recogniser garbled ("Agreed." heard as "Breed."), the proposer's label again.
    m = minutes("A: Let's book the island booth.", "C: Breed.", "A: Works for me.")
    assert [d.text for d in m.decisions] == ["Book the island booth"]
    # A plain "Yes." may be the speaker going on, and a proposal nobody answers is not agreed.
    assert minutes("A: No agency this time, we'll recruit directly.", "A: Yes.").decisions == []
    assert minutes("A: Let's book the island booth.", "C: The corner booth is cheaper.",
                   "A: I still like the island.").decisions == []


def test_a_proposal_the_next_speaker_takes_up_in_a_conclusion_is_agreed():
    m = minutes("B: And the", "B: The alert threshold should be at two minutes, not ten.",
                "A: A read, let's set it to two minutes.", "B: I'll change the alert rule today.")
    assert [d.text for d in m.decisions] == ["The alert threshold should be at two minutes, not ten"]
    assert "decided that the alert threshold" in m.summary  # the restart "and the / the" is said once
    # A conclusion about something else agrees to nothing.
    m = minutes("B: The alert threshold should be at two minutes.", "A: Let's order the new laptops.")
    assert "The alert threshold should be at two minutes" not in [d.text for d in m.decisions]


def test_a_turn_opening_with_and_we_concludes_like_then_we():
    # Recognisers often hear a sentence-initial "Then" as "And".
    m = minutes("C: Are we keeping the old blog, or moving the articles over?",
                "B: Moving them is easy, there are only forty articles.", "A: And we move them.",
                "B: Yes, I'll migrate the blog next week.")
    assert [d.text for d in m.decisions] == ["Move the articles over"]
    # A report of what happened is no conclusion, nor is "and we…" inside a turn.
    assert minutes("C: What about the old blog?", "A: And we moved them last year.", "B: Yes.").decisions == []
    assert minutes("C: What about the old blog?", "A: It is small. And we host it ourselves.", "B: Yes.").decisions == []


def test_a_choice_closed_with_a_word_heard_differently_is_the_alternative_as_asked():
    # The recogniser heard "hall" right in the question and as "haul" later: the pick is the hall.
    m = minutes("A: Where should we hold it, the hall or the playground?", "B: The haul. It was freezing outside.",
                "C: The haul is better for the tables too.", "B: Do we have enough tables?",
                "A: The school has twenty folding tables.", "A: Fine, the haul is this.")
    assert [d.text for d in m.decisions] == ["The hall"]
    assert "decided on the hall" in m.summary
    # Near neither alternative, or near both ("the hull" for "the hall or the hill?"): nothing was chosen.
    assert minutes("A: Where should we hold it, the hall or the playground?", "A: Fine, the garden then.").decisions == []
    assert minutes("A: The hall or the hill?", "B: Fine, the hull.").decisions == []


def test_an_agreement_only_a_proposal_gets_makes_a_we_statement_a_decision():
    # "Then we go ahead with…" as the recogniser heard it: the words that mark a conclusion are gone.
    m = minutes("A: And we got head with two hires, and one of them is a weekend role.", "C: Yes, that makes sense.",
                "B: Fine with me.")
    assert [d.text for d in m.decisions] == ["We got head with two hires, and one of them is a weekend role"]
    assert "decided that we got head with two hires" in m.summary
    # "Makes sense" also acknowledges an explanation; an objection or a question back agrees to nothing.
    assert minutes("A: We lost two customers in March.", "C: Makes sense.").decisions == []
    assert minutes("A: We hire two people.", "B: Fine by me.", "C: No, we can't afford two.").decisions == []
    assert minutes("A: We hire two people?", "B: Fine by me.").decisions == []


def test_a_reply_that_names_a_thing_briefly_takes_the_name_it_was_just_given():
    # The request around it was mis-heard ("would you" as "what you", no question mark): the reply still says
    # what the list is.
    m = minutes("A: Omar, what you put together a guest list of ten customers.", "C: Sure, I'll have a list by Friday.")
    assert [(a.task, a.owner, a.due_date) for a in m.action_items] == [
        ("Have a guest list", "SPEAKER_3", "2026-11-27")]
    # Only the same thing takes the fuller name: a "list" is not "the guest room".
    m = minutes("A: Omar, the guest room is booked for the speakers.", "C: Sure, I'll have a list by Friday.")
    assert not any("guest list" in a.task for a in m.action_items)


def test_a_yes_no_question_about_what_we_do_answered_yes_is_a_decision():
    m = minutes("C: Do we invite the interns?", "A: I'd say yes, they're part of the team.", "B: Fine by me.")
    assert [d.text for d in m.decisions] == ["Invite the interns"]
    # Asking what we have or know proposes nothing; a question put off stays open.
    assert minutes("B: Do we have enough tables?", "A: Yes, twenty.").decisions == []
    m = minutes("C: Do we invite the interns?", "A: I'm not sure.")
    assert m.decisions == [] and [q.text for q in m.open_questions] == ["Do we invite the interns?"]


def test_what_should_stay_so_taken_up_in_a_conclusion_is_a_decision():
    m = minutes("A: The budget should stay under five thousand pounds.",
                "C: Let's cap it at five thousand then, including food.", "D: I'll put together a budget sheet.")
    assert [d.text for d in m.decisions] == ["The budget should stay under five thousand pounds"]
    assert "decided that the budget should stay" in m.summary


def test_a_proposal_taken_up_after_a_garbled_reply_is_agreed():
    # "Agreed." heard as "Three.", then the conclusion, as the recogniser heard "Then we…".
    m = minutes("C: I'd keep it to two days.", "D: Three.", "A: And we do two days, Thursday and Friday.")
    assert [d.text for d in m.decisions] == ["Keep it to two days"]
    assert minutes("C: I'd keep it to two days.", "D: Three.", "A: We need more time.").decisions == []


def test_explicit_decisions_and_the_discussion_they_close_are_one():
    m = minutes("B: We could borrow the card reader from the football club.", "C: I think that's a great idea.",
                "A: Then let's borrow it. Paul, will you ask the club?", "B: Yes, I'll ask them this weekend.",
                "A: We also decided to keep the old invoice template for one more month.",
                "A: Fine, the hall it is.")
    assert [d.text for d in m.decisions] == ["Borrow the card reader from the football club",
                                             "Keep the old invoice template for one more month", "Go with the hall"]
    assert [(a.task, a.owner, a.due_date) for a in m.action_items] == [("Ask the club", "SPEAKER_2", "2026-11-28")]


def test_a_confirmed_earlier_decision_counts_and_an_unconfirmed_question_does_not():
    confirmed = minutes("A: We decided last week to drop the PDF preview, right?", "B: Yes, it's out of this release.")
    assert [d.text for d in confirmed.decisions] == ["Drop the PDF preview"]
    asked = minutes("A: Have we decided to drop the PDF preview?", "B: I don't know.")
    assert asked.decisions == []


# --- open questions --------------------------------------------------------------------------------------------------

def test_only_questions_left_unanswered_are_open():
    m = minutes("A: How often does that happen?", "B: Only on invoices with two tax rates.",
                "A: Do we know yet whether the German tax rules change in January?", "C: I'm not sure.",
                "B: Could we rent extra spaces in the garage next door?", "A: Maybe, but that's for another day.",
                "A: At least they call me a Yankee down here, so what can I say?", "B: Oh, I don't hear that.",
                "A: We decided to keep it, right?", "B: Yes.",
                "B: Who owns the test data?", "A: Good question. Nobody really, at the moment.",
                "C: What salary band do we advertise?", "A: Good question. It's about fifty thousand a year.")
    assert [q.text for q in m.open_questions] == [
        "Do we know yet whether the German tax rules change in January?",
        "Could we rent extra spaces in the garage next door?", "Who owns the test data?"]


def test_a_question_at_the_very_end_is_open():
    m = minutes("A: Thanks all, that's everything.", "B: Does the new building have backup power for the servers?")
    assert [q.text for q in m.open_questions] == ["Does the new building have backup power for the servers?"]


# --- summary and title -----------------------------------------------------------------------------------------------

def test_the_summary_states_purpose_outcomes_and_what_is_open_without_transcript_labels():
    m = minutes("A: Good morning. This is our release check for the billing update that goes out on Monday.",
                "A: Marcus, can you fix the rounding bug?", "B: Yes, I'll fix it by Friday.",
                "A: We also decided to keep the old invoice template available for one more month.",
                "A: Do we know whether the German tax rules change in January?", "C: I'm not sure.")
    assert m.title == "Release Check for the Billing Update"
    assert m.summary == (
        "The meeting was about the release check for the billing update that goes out on Monday. "
        "It was decided to keep the old invoice template available for one more month. "
        "SPEAKER_2 will fix the rounding bug by Friday. "
        "Still open: do we know whether the German tax rules change in January?")
    assert not re.search(r"SPEAKER_\d+:", m.summary)


def test_the_summary_retells_tasks_in_the_third_person():
    m = minutes("B: Mainly the desk layout.", "A: I'll send you the final desk layout by Monday.",
                "C: Please send me the quote so I can book it.", "B: Will do.")
    assert "SPEAKER_1 will send SPEAKER_2 the final desk layout by Monday" in m.summary
    assert "SPEAKER_2 will send SPEAKER_3 the quote" in m.summary


def test_the_askers_i_retold_takes_its_verb_along_and_a_cut_off_reason_leaves_no_so():
    said = {"A: Can you send me the report once I have signed the contract?": "once SPEAKER_1 has signed the contract",
            "A: Could you remind me to call the client when I'm back?": "when SPEAKER_1 is back",
            "A: Can you check the numbers before I am done with the slides?": "before SPEAKER_1 is done with the slides",
            "A: Can you ping me when I don't answer the phone?": "when SPEAKER_1 doesn't answer the phone",
            "A: Could you wait until I finish the budget?": "until SPEAKER_1 finishes the budget",
            "A: Can you call me after I landed?": "after SPEAKER_1 landed"}
    for asked, retold in said.items():
        assert retold in minutes(asked, "B: Sure.").summary, asked
    # what followed "so" was a reason, cut off: the item and the summary end with the task
    m = minutes("A: Can you send me the deck so I can review it?", "B: Sure.")
    assert [a.task for a in m.action_items] == ["Send me the deck"] and "SPEAKER_1 the deck." in m.summary


def test_without_a_stated_purpose_the_summary_names_the_topics_and_says_nothing_was_settled():
    m = minutes("A: This is Diane in New Jersey.", "B: And I'm Sheila in Texas, originally from Chicago.",
                "A: Oh, I'm originally from Chicago also. I'm in New Jersey now though.")
    assert m.title == "New Jersey and Chicago"
    assert m.summary == "The discussion was mainly about New Jersey and Chicago. Nothing was decided or assigned."


def test_later_parts_do_not_restate_the_purpose():
    lines = ("A: We're here to plan our booth for the retail tech fair in March.",
             "B: The island booth gives us room for demos, and the demos sell the booth.")
    first = summarize(meeting(*lines), reference_date=WEDNESDAY)
    later = summarize(meeting(*lines), reference_date=WEDNESDAY, later_part=True)
    assert first.summary.startswith("The meeting was called to plan the booth for the retail tech fair in March.")
    assert first.title == "Booth for the Retail Tech Fair"
    assert later.summary.startswith("This part covered")


def test_the_hedges_of_speech_are_not_what_a_meeting_is_about():
    """ "sort of", "I guess", "at the moment", "I'm thinking": every second sentence of a real room says one
    (ten minutes of pyannote's trn room clips got the title "Sort, Transcriptions and Thinking"), and none is a
    topic."""
    m = minutes("A: I was sort of thinking we could move the launch date.",
                "B: I guess the launch date is sort of fixed at the moment, the printers are sort of booked.",
                "A: At the moment I'm thinking the printers could wait, I guess.",
                "B: The printers are the sort of stuff we could move, I guess.")
    topics = m.title.lower()
    assert "launch date" in topics and "printers" in topics
    assert not {"sort", "guess", "moment", "thinking", "stuff"} & set(re.findall(r"\w+", topics + " " + m.summary.lower()))


def test_a_speaker_who_only_said_okay_has_no_key_points():
    """Ten minutes of the trn room clips listed "Okay." twice as a speaker's key points."""
    m = minutes("A: The printers for the launch are booked for the whole of next week.",
                "B: Okay.",
                "A: And the posters for the launch go to the print shop on Monday.",
                "B: Okay.",
                "C: Yes.")
    assert [(g.speaker, [p.text for p in g.points]) for g in m.key_points] == [
        ("SPEAKER_1", ["The printers for the launch are booked for the whole of next week.",
                       "And the posters for the launch go to the print shop on Monday."])]
    # a short point with something in it is still one
    short = minutes("A: The printers for the launch are booked for the whole of next week.", "B: Posters too?")
    assert [g.speaker for g in short.key_points] == ["SPEAKER_1", "SPEAKER_2"]


def test_titles_are_cased_like_titles():
    assert title_case("he's project documents and the marketing expert", ENGLISH) == \
        "He's Project Documents and the Marketing Expert"
    assert title_case("qr codes for the QR booth", ENGLISH) == "Qr Codes for the QR Booth"
    assert title_case("review of tuesday's outage", ENGLISH) == "Review of Tuesday's Outage"


def test_each_language_reads_its_own_table_and_one_without_rules_none():
    assert cues_for("en-GB") is ENGLISH and cues_for(None) is ENGLISH  # nothing detected: as it always was
    assert [cues_for(code).language for code in ("de", "es", "fr", "DE", "fr-CA")] == ["de", "es", "fr", "de", "fr"]
    assert cues_for("it") is None and cues_for("nl") is None
