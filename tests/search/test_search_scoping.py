"""Access control: a person never receives a passage from a conversation outside their allowed set.

Run on both backends (the local index, and Pinecone through the real SDK
against tests/doubles/pinecone.py) over one corpus: the real sample meeting
indexed three times (two conversations of workspace T1, and the same
conversation id "general" in workspace T2) plus the two constructed meetings.
"""

from __future__ import annotations

import json

import pytest

from lifestream.search import Indexer, Scope, SearchFilter, ask
from lifestream.search.embeddings import get_embedder
from lifestream.search.local_index import LocalIndex
from lifestream.search.pinecone_index import PineconeIndex
from lifestream.search.retrieval import Retriever
from lifestream.settings import Settings
from tests.doubles.pinecone import API_KEY, PineconeDouble
from tests.support.search import DATA, constructed_meetings, copy_of

# (meeting id, workspace, conversation)
CORPUS = [("sample-general", "T1", "general"), ("sample-hr", "T1", "hr-private"), ("sample-t2", "T2", "general"),
          ("eval-q3-budget", "T1", "finance"), ("eval-app-launch", "T1", "product")]
SCOPES = [Scope("T1", ["general"]), Scope("T1", ["general", "product"]), Scope("T1", ["finance"]),
          Scope("T1", ["hr-private"]), Scope("T2", ["general"]), Scope("T2", ["finance"]), Scope("T1", ["nope"])]


@pytest.fixture(scope="module")
def double():
    server = PineconeDouble().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["local", "pinecone"])
def corpus(request, processed_sample, tmp_path_factory, double):
    embedder = get_embedder()
    if request.param == "local":
        index = LocalIndex(tmp_path_factory.mktemp("scoping") / "search.sqlite3")
    else:
        double.namespaces.clear()
        index = PineconeIndex(api_key=API_KEY, index_name="lifestream", host=double.host)
    sample, _ = processed_sample
    built = {m.meeting_id: m for m in constructed_meetings().values()}
    for meeting_id, workspace, conversation in CORPUS:
        meeting = built.get(meeting_id) or copy_of(sample, meeting_id)
        Indexer(index, workspace=workspace, conversation=conversation, embedder=embedder).index_meeting(meeting)
    return request.param, index, Retriever(index, embedder)


def _questions() -> list[str]:
    spec = json.loads((DATA / "search_questions.json").read_text())
    return [q["q"] for q in spec["questions"]] + spec["not_found"]


def test_no_hit_ever_comes_from_outside_the_scope(corpus):
    _, _, retriever = corpus
    seen_in_scope = 0
    for scope in SCOPES:
        for question in _questions():
            for hit in retriever.search(question, SearchFilter(scope=scope), top_k=10):
                assert hit.record.workspace == scope.workspace, (question, scope, hit.record.id)
                assert hit.record.conversation in scope.conversations, (question, scope, hit.record.id)
                seen_in_scope += 1
    assert seen_in_scope > 50, "the scopes must let some answers through, or this test proves nothing"


def test_each_copy_is_found_only_through_its_own_conversation(corpus):
    _, _, retriever = corpus
    question = "Where is Diane calling from?"
    expected = {("T1", "general"): {"sample-general"}, ("T1", "hr-private"): {"sample-hr"},
                ("T2", "general"): {"sample-t2"}, ("T1", "finance"): set()}
    for (workspace, conversation), meetings in expected.items():
        hits = retriever.search(question, SearchFilter(scope=Scope(workspace, [conversation])))
        assert {h.record.meeting_id for h in hits} == meetings, (workspace, conversation)
    both = retriever.search(question, SearchFilter(scope=Scope("T1", ["general", "hr-private"])))
    assert {h.record.meeting_id for h in both} == {"sample-general", "sample-hr"}


def test_an_empty_scope_returns_nothing_and_asks_no_backend(corpus, double):
    backend, _, retriever = corpus
    before = len(double.requests)
    for question in _questions()[:5]:
        assert retriever.search(question, SearchFilter(scope=Scope("T1", []))) == []
    if backend == "pinecone":
        assert len(double.requests) == before


def test_a_better_answer_elsewhere_does_not_leak_or_crowd_out(corpus):
    _, _, retriever = corpus
    # The best answer is in #finance; someone who only sees #product gets nothing from #finance.
    hits = retriever.search("What did Alice promise to send the board?", SearchFilter(scope=Scope("T1", ["product"])))
    assert all(h.record.conversation == "product" for h in hits)
    # and the scope is applied before ranking: an allowed answer is not pushed out by better forbidden ones
    hits = retriever.search("Why did Apple reject the build?", SearchFilter(scope=Scope("T1", ["product", "finance"])))
    assert hits and hits[0].record.meeting_id == "eval-app-launch"


def test_answers_cite_only_allowed_conversations(corpus, tmp_path):
    backend, index, _ = corpus
    settings = Settings(data_dir=tmp_path, llm_base_url=None)
    for scope in SCOPES:
        for question in ("Where is Diane calling from?", "What did Alice promise to send the board?",
                         "Is dark mode shipping at launch?"):
            answer = ask(question, scope, settings=settings, index=index)
            assert all(c.channel in scope.conversations for c in answer.citations), (backend, scope, question)
            if not answer.found:
                assert answer.citations == []
