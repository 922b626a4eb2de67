"""The LLM path: what the prompt carries (names, the rules' draft) and what is done with the answer.

The endpoint is tests/llm_double.py, a real HTTP server the real openai client
talks to. Its answers are built from the transcript it is sent, so they prove
the wiring, not the quality: these tests check the request bodies and the
checks on the answer (grounding, names to labels), which are our code.
"""

from __future__ import annotations

import json
import re
from datetime import date

from lifestream.pipeline.chunking import make_chunks
from lifestream.pipeline.minutes import write_minutes
from lifestream.pipeline.minutes_llm import DRAFT_INTRO
from lifestream.settings import Settings
from tests.doubles.llm import LlmDouble
from tests.pipeline.test_minutes_offline import meeting

WEDNESDAY = date(2026, 11, 25)
NAMES = {"SPEAKER_1": "Dana", "SPEAKER_2": "Marcus"}
LINES = (
    "A: Good morning. This is our release check for the billing update that goes out on Monday.",
    "A: Marcus, can you fix the rounding bug before the release?",
    "B: Yes, I'll fix it by Friday.",
    "A: We also decided to keep the old invoice template available for one more month.",
    "A: Do we know whether the German tax rules change in January?",
    "C: I'm not sure. We'd have to ask Helen in finance.",
)


def _run(llm: LlmDouble, chunk_seconds: float = 300.0, names: dict[str, str] | None = NAMES):
    segments = meeting(*LINES)
    chunks = make_chunks(segments, [], segments[-1].end, chunk_seconds)
    settings = Settings(llm_base_url=llm.base_url, llm_model="test-model", llm_max_retries=0)
    return write_minutes(segments, chunks, diary=False, reference_date=WEDNESDAY, settings=settings,
                         speaker_names=names)


def _draft(request: dict) -> dict:
    user = next(m["content"] for m in request["messages"] if m["role"] == "user")
    assert user.startswith(DRAFT_INTRO)
    return json.loads(user[len(DRAFT_INTRO):user.index("\n\nTranscript:\n")])


def test_the_prompt_carries_the_speakers_names_and_what_the_rules_found():
    with LlmDouble() as llm:
        _, whole = _run(llm)
    request = llm.requests[0]
    system = request["messages"][0]["content"]
    assert "Speakers: SPEAKER_1 is Dana; SPEAKER_2 is Marcus; SPEAKER_3 (name not known)." in system
    assert "The meeting date is 2026-11-25." in system
    draft = _draft(request)
    assert [(a["task"], a["owner"], a["due_date"]) for a in draft["action_items"]] == [
        ("Fix the rounding bug before the release", "SPEAKER_2", "2026-11-27")]
    assert [d["text"] for d in draft["decisions"]] == ["Keep the old invoice template available for one more month"]
    assert [q["text"] for q in draft["open_questions"]] == ["Do we know whether the German tax rules change in January?"]
    user = request["messages"][1]["content"]
    assert "[00:07] SPEAKER_1: Marcus, can you fix the rounding bug before the release?" in user
    assert request["response_format"]["type"] == "json_schema"
    assert whole.generator == "llm:test-model"


def test_every_part_and_the_reduce_call_know_the_names():
    with LlmDouble() as llm:
        parts, _ = _run(llm, chunk_seconds=10)
    assert len(parts) >= 2 and len(llm.requests) == len(parts) + 1
    for request in llm.requests:
        assert "SPEAKER_2 is Marcus" in request["messages"][0]["content"]
    reduce_user = llm.requests[-1]["messages"][1]["content"]
    assert reduce_user.startswith("These are minutes of consecutive parts")


def _answer(**action) -> dict:
    item = {"task": "Fix the rounding bug", "owner": "SPEAKER_2", "due": "by Friday", "due_date": "2026-11-27",
            "timestamp": 3.0, "speaker": "SPEAKER_1"} | action
    return {"title": "Release Check", "summary": "Marcus will fix the rounding bug by Friday.",
            "key_points": [], "decisions": [], "action_items": [item], "open_questions": []}


def test_an_owner_given_by_name_is_stored_as_the_speaker_label():
    with LlmDouble() as llm:
        llm.fail_next_with = [_answer(owner="Marcus")]
        _, whole = _run(llm)
    assert len(llm.requests) == 1  # a name the meeting knows is not a mistake
    assert whole.action_items[0].owner == "SPEAKER_2"


def test_an_answer_not_grounded_in_the_meeting_is_sent_back_and_what_stays_wrong_is_dropped():
    invented = _answer(owner="Bob", timestamp=9999.0, due_date="next Friday", speaker="SPEAKER_9")
    with LlmDouble() as llm:
        llm.fail_next_with = [invented, invented]
        _, whole = _run(llm)
    assert len(llm.requests) == 2
    complaint = llm.requests[1]["messages"][-1]["content"]
    assert complaint.startswith("That JSON is not grounded in the transcript")
    for problem in ("owner 'Bob' is neither a speaker", "timestamp 9999.0, outside this transcript",
                    "due_date 'next Friday' is not YYYY-MM-DD", "names speaker 'SPEAKER_9'"):
        assert problem in complaint
    item = whole.action_items[0]
    assert (item.task, item.owner, item.timestamp, item.due_date, item.speaker) == (
        "Fix the rounding bug", None, None, None, None)


def test_a_person_named_in_the_meeting_who_does_not_speak_may_own_a_task():
    with LlmDouble() as llm:
        llm.fail_next_with = [_answer(owner="Helen")]
        _, whole = _run(llm)
    assert whole.action_items[0].owner == "Helen" and len(llm.requests) == 1


def test_without_names_the_prompt_says_so():
    with LlmDouble() as llm:
        _run(llm, names=None)
    system = llm.requests[0]["messages"][0]["content"]
    assert re.search(r"Speakers: SPEAKER_1 \(name not known\); SPEAKER_2 \(name not known\)", system)


def _run_kept(llm: LlmDouble, folder, names: dict[str, str] | None = NAMES):
    from lifestream.pipeline.llm_answers import AnswerStore

    segments = meeting(*LINES)
    chunks = make_chunks(segments, [], segments[-1].end, 10)
    settings = Settings(llm_base_url=llm.base_url, llm_model="test-model", llm_max_retries=0)
    saved: list[int] = []
    answers = AnswerStore(folder, on_saved=lambda: saved.append(1))
    result = write_minutes(segments, chunks, diary=False, reference_date=WEDNESDAY, settings=settings,
                           speaker_names=names, answers=answers)
    return result, answers, len(saved)


def test_kept_answers_stand_for_the_same_prompt_only(tmp_path):
    with LlmDouble() as llm:
        (parts, whole), answers, saved = _run_kept(llm, tmp_path)
        asked = len(llm.requests)
        assert answers.hits == 0 and answers.saved == saved == asked == len(parts) + 1
        assert json.loads((tmp_path / "minutes.json").read_text()) == {"answers": asked}
        # the same prompts again: nothing is asked, and the minutes are the same
        (again, whole_again), answers, _ = _run_kept(llm, tmp_path)
        assert len(llm.requests) == asked and answers.hits == asked
        assert (again, whole_again) == (parts, whole)
        # other names make other prompts: asked anew
        _run_kept(llm, tmp_path, names={"SPEAKER_1": "Dana"})
        assert len(llm.requests) == 2 * asked


def test_a_kept_answer_that_does_not_read_is_asked_again(tmp_path):
    with LlmDouble() as llm:
        (parts, _), _, _ = _run_kept(llm, tmp_path)
        asked = len(llm.requests)
        first = sorted((tmp_path / "minutes").glob("*.json"))[0]
        first.write_text('{"title": "cut short', encoding="utf-8")
        (again, _), answers, _ = _run_kept(llm, tmp_path)
    assert len(llm.requests) == asked + 1 and answers.hits == asked - 1 and answers.saved == 1
    assert again == parts
    assert json.loads(first.read_text())["title"]
