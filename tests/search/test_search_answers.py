"""Cited answers: extractive offline, and one grounded call to an OpenAI-compatible endpoint (a local double)."""

from __future__ import annotations

import json
import re
import time

import pytest
from aiohttp import web

from lifestream.search import Indexer, Scope, SearchFilter, answer_writer, ask
from lifestream.search.answers import NOT_FOUND_TEXT, LlmAnswerWriter, answer_question
from lifestream.search.embeddings import get_embedder
from lifestream.search.local_index import LocalIndex
from lifestream.search.retrieval import Retriever
from lifestream.settings import Settings
from tests.doubles.llm import LlmDouble
from tests.support.search import constructed_meetings, copy_of

LABELLED_LINE = re.compile(r"^(\[[^\]]+, [^\]]+, \d{2}:\d{2}\]) (.*)$", re.MULTILINE)
SECRET = "Project Nightingale acquisition closes at forty million dollars on Friday"


class AnswerLlmDouble(LlmDouble):
    """The minutes double's server, answering questions instead: it quotes the first line it was given.

    A stand-in for a hosted model, grounded by construction: everything it says comes from the prompt.
    """

    def __init__(self) -> None:
        super().__init__()
        self.not_found = False

    async def _completions(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if self.fail_next_with:
            return web.json_response({"error": {"message": "overloaded"}}, status=int(self.fail_next_with.pop(0)))
        prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
        first = LABELLED_LINE.search(prompt)
        content = "NOT_FOUND" if self.not_found or not first else f"{first.group(2)} {first.group(1)}"
        return web.json_response({
            "id": "chatcmpl-1", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        })


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory, processed_sample, embedder):
    """The real sample in #general, the constructed meetings in #finance / #product, a secret in #board."""
    index = LocalIndex(tmp_path_factory.mktemp("answers") / "search.sqlite3")
    sample, _ = processed_sample
    Indexer(index, workspace="W", conversation="general", embedder=embedder).index_meeting(sample)
    meetings = constructed_meetings()
    Indexer(index, workspace="W", conversation="finance", embedder=embedder).index_meeting(meetings["budget"])
    Indexer(index, workspace="W", conversation="product", embedder=embedder).index_meeting(meetings["launch"])
    secret = copy_of(meetings["budget"], "board-secret")
    secret.minutes.title = "Board: acquisitions"
    for segment in secret.transcript.segments:
        segment.text = f"{SECRET}. {segment.text}"
    Indexer(index, workspace="W", conversation="board", embedder=embedder).index_meeting(secret)
    return index, sample


ALL_BUT_BOARD = Scope("W", ["general", "finance", "product"])


def test_offline_answer_quotes_the_real_sample_with_speaker_and_time(indexed, embedder):
    index, sample = indexed
    answer = answer_question("Where is Diane calling from?", SearchFilter(scope=ALL_BUT_BOARD),
                             retriever=Retriever(index, embedder))
    assert answer.found and answer.generator == "extractive"
    top = answer.citations[0]
    diane = next(s for s in sample.transcript.segments if "Diane" in s.text)
    assert top.meeting_id == sample.meeting_id and top.channel == "general"
    assert top.speaker == sample.speaker_name(diane.speaker) == "Diane" and top.start == diane.start
    assert re.search(r"Diane \w+ New Jersey", top.quote)  # "in" or "and": as the CPU's kernels hear it
    assert f"[{sample.minutes.title}, Diane, 00:{int(diane.start):02d}]" in answer.text


def test_not_found_says_so_without_citations(indexed, embedder):
    index, _ = indexed
    for question in ("What is the plan for the Kubernetes migration?", "Who is the new head of sales in Japan?"):
        answer = answer_question(question, SearchFilter(scope=ALL_BUT_BOARD), retriever=Retriever(index, embedder))
        assert not answer.found and answer.text == NOT_FOUND_TEXT and answer.citations == []


def test_action_item_questions_answer_from_the_minutes_items(indexed, embedder):
    index, _ = indexed
    answer = answer_question("What did Alice promise?", SearchFilter(scope=ALL_BUT_BOARD),
                             retriever=Retriever(index, embedder))
    assert answer.found
    assert answer.citations[0].kind == "action_item" and answer.citations[0].speaker == "Alice"
    assert "forecast" in answer.citations[0].quote
    assert "Action item for Alice" in answer.text and "02:29" in answer.text
    # the same item is reachable by who owns it, not only by who said it
    answer = answer_question("What is Bob going to do about the BrightWave contract?",
                             SearchFilter(scope=ALL_BUT_BOARD), retriever=Retriever(index, embedder))
    assert any(c.kind == "action_item" and c.speaker == "Bob" for c in answer.citations)


def test_action_items_found_by_the_real_pipeline_are_answerable(tmp_path, spoken_meeting, embedder):
    """espeak-ng speech through ASR, diarization and offline minutes; then asked about its action items."""
    items = spoken_meeting.minutes.action_items
    assert items, "the offline minutes found no action items in the spoken meeting"
    index = LocalIndex(tmp_path / "search.sqlite3")
    Indexer(index, workspace="W", conversation="launch", embedder=embedder).index_meeting(spoken_meeting)
    answer = answer_question("Who promised to fix the login crash?", SearchFilter(scope=Scope("W", ["launch"])),
                             retriever=Retriever(index, embedder))
    assert answer.found
    assert answer.citations[0].kind == "action_item"
    assert "login" in answer.citations[0].quote.lower()


def test_llm_answer_is_grounded_only_in_the_retrieved_passages(indexed, embedder):
    index, _ = indexed
    retriever = Retriever(index, embedder)
    question = "Why did Apple reject the build?"
    flt = SearchFilter(scope=ALL_BUT_BOARD)
    with AnswerLlmDouble() as llm:
        writer = LlmAnswerWriter(llm.base_url, "k", "test-model", max_retries=0)
        answer = answer_question(question, flt, retriever=retriever, writer=writer)
        hits = retriever.search(question, flt)
    assert len(llm.requests) == 1
    prompt = next(m["content"] for m in llm.requests[0]["messages"] if m["role"] == "user")
    system = next(m["content"] for m in llm.requests[0]["messages"] if m["role"] == "system")
    assert "only" in system and "NOT_FOUND" in system
    # every transcript line in the prompt is a line of a retrieved hit, and every hit's lines are there
    sent = set(LABELLED_LINE.findall(prompt))
    retrieved = {(h.record.citation_label(line), line.text) for h in hits for line in h.record.lines}
    assert sent == retrieved and sent
    assert prompt.count("Passage ") == len(hits)
    assert "Nightingale" not in prompt and "board" not in {h.record.conversation for h in hits}
    # the answer carries the model's citation, resolved to a meeting, speaker and time
    assert answer.found and answer.generator == "llm:test-model"
    label, said = LABELLED_LINE.search(prompt).groups()
    assert answer.text == f"{said} {label}"
    assert len(answer.citations) >= 1 and answer.citations[0].label == label
    assert answer.citations[0].quote == said


def test_llm_not_found_and_nothing_retrieved(indexed, embedder):
    index, _ = indexed
    retriever = Retriever(index, embedder)
    with AnswerLlmDouble() as llm:
        writer = LlmAnswerWriter(llm.base_url, "k", "test-model", max_retries=0)
        llm.not_found = True
        answer = answer_question("Why did Apple reject the build?", SearchFilter(scope=ALL_BUT_BOARD),
                                 retriever=retriever, writer=writer)
        assert not answer.found and answer.text == NOT_FOUND_TEXT and answer.citations == []
        assert len(llm.requests) == 1
        # nothing retrieved: the model is not asked at all
        for flt in (SearchFilter(scope=Scope("W", [])),
                    SearchFilter(scope=ALL_BUT_BOARD, meeting_ids=("no-such-meeting",))):
            answer = answer_question("Why did Apple reject the build?", flt, retriever=retriever, writer=writer)
            assert not answer.found
        assert len(llm.requests) == 1


def test_a_failing_endpoint_falls_back_to_quotes(indexed, embedder):
    index, _ = indexed
    with AnswerLlmDouble() as llm:
        llm.fail_next_with = [500]
        writer = LlmAnswerWriter(llm.base_url, "k", "test-model", max_retries=0)
        answer = answer_question("Why did Apple reject the build?", SearchFilter(scope=ALL_BUT_BOARD),
                                 retriever=Retriever(index, embedder), writer=writer)
    assert answer.found and answer.generator == "extractive" and answer.citations


def test_ask_uses_the_configured_endpoint(indexed, tmp_path):
    index, _ = indexed
    with AnswerLlmDouble() as llm:
        settings = Settings(data_dir=tmp_path, llm_base_url=llm.base_url, llm_model="m1")
        assert isinstance(answer_writer(settings), LlmAnswerWriter)
        answer = ask("Is dark mode shipping at launch?", ALL_BUT_BOARD, settings=settings, index=index)
        assert answer.generator == "llm:m1" and answer.found and llm.requests
    assert answer_writer(Settings(data_dir=tmp_path, llm_base_url=None)) is None
    assert json.loads(answer.model_dump_json())["citations"][0]["channel"] in ALL_BUT_BOARD.conversations
