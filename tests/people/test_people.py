"""Names from the chat: rosters per workspace, heard and typed names linked to members, mentions, the
rename forms of both bots (prefilled with the best guesses, only changes applied). Pure and fast."""

from __future__ import annotations

import json

from lifestream.bot.renames import changed_names, prefilled, rename_fields
from lifestream.bot.slack.blocks import minutes_blocks, rename_modal, submitted_names
from lifestream.bot.slack.people import member_from_user
from lifestream.bot.teams import cards
from lifestream.models import ActionItem, Meeting, Minutes, NameCandidate, Segment, SourceInfo, Transcript
from lifestream.people import Member, Roster, forget_workspace, load_roster, mentionable, save_roster
from lifestream.pipeline import naming
from lifestream.settings import Settings
from lifestream.storage.local import LocalStorage

INTRO = [
    ("SPEAKER_1", "Hello, this is Diane in New Jersey."),
    ("SPEAKER_2", "And I'm Sheila in Texas."),
    ("SPEAKER_1", "Sheila, can you send me the deck by Friday?"),
    ("SPEAKER_2", "Yes, I'll send you the deck by Friday."),
    ("SPEAKER_3", "Sounds good to me."),
]
ROSTER = Roster(
    workspace="T1",
    conversation="C1",
    members=[
        Member(person_id="U_DIANE", display_name="Diane Miller", other_names=["diane.m", "Diane"]),
        Member(person_id="U_SHEILA", display_name="Sheila Park", other_names=["Sheila"]),
        Member(person_id="U_BOB", display_name="Bob Stone"),
    ],
)


def dumps(blocks: object) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def meeting_with(lines=INTRO) -> Meeting:
    segments = [
        Segment(id=i, start=4.0 * i, end=4.0 * i + 3.5, text=text, speaker=who) for i, (who, text) in enumerate(lines)
    ]
    return Meeting(
        meeting_id="0123456789abcdef",
        speakers=list(dict.fromkeys(w for w, _ in lines)),
        source=SourceInfo(
            name="call.wav", sha256="0" * 64, size_bytes=1, format="wav", duration=segments[-1].end, has_video=False
        ),
        transcript=Transcript(language="en", duration=segments[-1].end, segments=segments),
        minutes=Minutes(
            title="Deck",
            summary="SPEAKER_2 sends the deck.",
            action_items=[
                ActionItem(task="Send the deck", owner="SPEAKER_2", due="by Friday", timestamp=8.0),
                ActionItem(task="Review the deck", owner="SPEAKER_3", timestamp=12.0),
            ],
        ),
    )


def named(people: list[naming.Person] | None = None) -> Meeting:
    return naming.name_speakers(meeting_with(), Settings(), ROSTER.people() if people is None else people)


def test_a_roster_is_kept_per_workspace_and_conversation_and_forgotten_with_its_workspace(tmp_path):
    storage = LocalStorage(tmp_path)
    save_roster(storage, ROSTER)
    other = ROSTER.model_copy(update={"workspace": "T2"})
    save_roster(storage, other)
    assert load_roster(storage, "T1", "C1") == ROSTER
    assert load_roster(storage, "T1", "C2") is None and load_roster(storage, "T3", "C1") is None
    assert forget_workspace(storage, "T1") == 1
    assert load_roster(storage, "T1", "C1") is None and load_roster(storage, "T2", "C1") == other


def test_heard_names_link_to_members_and_their_owners_become_mentions():
    meeting = named()
    assert meeting.speaker_names == {"SPEAKER_1": "Diane Miller", "SPEAKER_2": "Sheila Park"}
    assert meeting.speaker_name_sources["SPEAKER_2"].person_id == "U_SHEILA"
    assert mentionable(meeting) == {"SPEAKER_1": "U_DIANE", "SPEAKER_2": "U_SHEILA"}
    # Without the chat's members the same recording gives the names as heard, and nobody to mention.
    alone = named(people=[])
    assert alone.speaker_names == {"SPEAKER_1": "Diane", "SPEAKER_2": "Sheila"} and mentionable(alone) == {}


def test_a_typed_name_links_to_the_one_member_it_fits():
    meeting = named()
    naming.confirm_names(meeting, {"SPEAKER_3": "bob"}, ROSTER.people())
    three = meeting.speaker_name_sources["SPEAKER_3"]
    assert (three.name, three.person_id, three.confirmed) == ("bob", "U_BOB", True)
    naming.confirm_names(meeting, {"SPEAKER_3": "Carol"}, ROSTER.people())  # nobody in the chat: a name only
    assert meeting.speaker_name_sources["SPEAKER_3"].person_id is None


def test_slack_owners_are_mentions_and_the_speakers_line_says_how_names_were_found():
    meeting = named()
    (blocks,) = minutes_blocks(meeting, mentions=mentionable(meeting))
    rendered = dumps(blocks)
    assert "Send the deck — <@U_SHEILA>" in rendered
    assert "Review the deck — *SPEAKER_3*" in rendered  # nobody to mention: the label, as before
    contexts = [e["text"] for b in blocks if b["type"] == "context" for e in b["elements"]]
    assert "Speakers: Diane Miller (SPEAKER_1): introduced · Sheila Park (SPEAKER_2): introduced" in contexts
    (elsewhere,) = minutes_blocks(meeting)  # posted in another workspace: names, never foreign ids
    assert "<@" not in dumps(elsewhere) and "*Sheila Park*" in dumps(elsewhere)


def test_teams_owners_are_mention_entities():
    meeting = named()
    card = cards.minutes_card(meeting, job_id="0123456789abcdef", mentions=mentionable(meeting))
    text = dumps(card)
    assert "Send the deck — <at>Sheila Park</at>" in text
    assert card["msteams"]["entities"] == [
        {"type": "mention", "text": "<at>Sheila Park</at>", "mentioned": {"id": "U_SHEILA", "name": "Sheila Park"}}
    ]
    bare = cards.minutes_card(meeting, job_id="0123456789abcdef")
    assert "entities" not in bare["msteams"] and "<at>" not in dumps(bare)


def test_the_rename_forms_are_prefilled_with_the_best_guesses():
    meeting = meeting_with()
    meeting.name_candidates = [NameCandidate(speaker="SPEAKER_3", name="Bob", source="addressed", confidence=0.3)]
    naming.apply(
        meeting,
        naming.resolve(
            meeting.speakers,
            [
                *meeting.name_candidates,
                NameCandidate(
                    speaker="SPEAKER_1",
                    name="Diane",
                    source="introduction",
                    confidence=0.8,
                    evidence="Hello, this is Diane in New Jersey.",
                ),
            ],
        ),
    )
    fields = {f.label: f for f in rename_fields(meeting)}
    assert fields["SPEAKER_1"].value == "Diane" and "introduced" in fields["SPEAKER_1"].hint
    assert fields["SPEAKER_3"].value == "" and fields["SPEAKER_3"].placeholder == "Bob?"  # a hint, not a name
    assert prefilled(meeting) == {"SPEAKER_1": "Diane", "SPEAKER_2": "", "SPEAKER_3": ""}

    modal = rename_modal("job1", meeting)
    boxes = {b["block_id"]: b for b in modal["blocks"]}
    assert (
        boxes["SPEAKER_1"]["element"]["initial_value"] == "Diane" and "introduced" in boxes["SPEAKER_1"]["hint"]["text"]
    )
    assert "initial_value" not in boxes["SPEAKER_3"]["element"]
    form = next(a for a in cards.minutes_card(meeting, job_id="job1")["actions"] if a.get("title") == "Rename speakers")
    inputs = {i["id"]: i for i in form["card"]["body"]}
    assert inputs["name:SPEAKER_1"]["value"] == "Diane" and "introduced" in inputs["name:SPEAKER_1"]["label"]


def test_a_submission_changes_only_what_was_changed_and_an_emptied_box_clears_the_name():
    before = {"SPEAKER_1": "Diane", "SPEAKER_2": "Sheila", "SPEAKER_3": ""}
    assert changed_names({"SPEAKER_1": "Diane", "SPEAKER_2": None, "SPEAKER_3": "  Bob  "}, before) == {
        "SPEAKER_2": "",
        "SPEAKER_3": "Bob",
    }
    # Slack sends an emptied optional box as value None; it used to be dropped, so clearing did nothing.
    view = {
        "private_metadata": json.dumps({"job_id": "j", "before": before}),
        "state": {
            "values": {
                "SPEAKER_1": {"name": {"type": "plain_text_input", "value": None}},
                "SPEAKER_2": {"name": {"type": "plain_text_input", "value": "Sheila"}},
                "SPEAKER_3": {"name": {"type": "plain_text_input", "value": None}},
            }
        },
    }
    assert submitted_names(view) == {"SPEAKER_1": ""}
    value = {
        "action": "rename",
        "job_id": "j",
        "before": before,
        "name:SPEAKER_1": "Diane",
        "name:SPEAKER_2": "Sam",
        "name:SPEAKER_3": "",
    }
    assert cards.submitted_names(value) == {"SPEAKER_2": "Sam"}


def test_slack_members_are_people_not_bots():
    diane = member_from_user(
        {
            "id": "U1",
            "name": "dmiller",
            "real_name": "Diane Miller",
            "profile": {"real_name": "Diane Miller", "display_name": "Di", "first_name": "Diane"},
        }
    )
    assert diane == Member(person_id="U1", display_name="Diane Miller", other_names=["Di", "Diane", "dmiller"])
    for not_people in (
        {"id": "B1", "is_bot": True, "real_name": "Deploy bot"},
        {"id": "USLACKBOT", "real_name": "Slackbot"},
        {"id": "U9", "deleted": True, "real_name": "Gone Person"},
    ):
        assert member_from_user(not_people) is None
