"""The Pinecone adapter through the real ``pinecone`` SDK against a local DOUBLE of Pinecone's HTTP API.

The double (tests/doubles/pinecone.py) is not Pinecone; it follows the
request/response contract the SDK speaks. What these tests prove is that the
adapter sends the right requests (namespaces, filters, deletes) and reads
the answers back correctly, not that Pinecone itself behaves like the double.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from lifestream.errors import ConfigError, TransientError
from lifestream.search import Indexer, Scope, SearchFilter
from lifestream.search.embeddings import get_embedder
from lifestream.search.pinecone_index import PineconeIndex, metadata_filter, record_metadata
from lifestream.search.records import records_for_meeting
from lifestream.search.retrieval import Retriever
from tests.doubles.pinecone import API_KEY, BadRequest, PineconeDouble, matches_filter
from tests.support.search import constructed_meetings


@pytest.fixture(scope="module")
def double():
    server = PineconeDouble(dimension=384).start()
    yield server
    server.stop()


@pytest.fixture
def index(double, monkeypatch):
    import pinecone._internal.http_client as http_client

    monkeypatch.setattr(http_client, "_retry_sleep", lambda seconds: None)  # the SDK's documented test seam
    double.namespaces.clear()
    double.requests.clear()
    double.failures = []
    return PineconeIndex(api_key=API_KEY, index_name="lifestream", host=double.host)


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


@pytest.fixture(scope="module")
def meetings():
    return constructed_meetings()


# --- the double's filter language, so a permissive double cannot make the adapter tests pass

def test_double_filter_language():
    meta = {"conversation": "C1", "timestamp": 100.0, "speaker_keys": ["alice", "bob"], "kind": "passage"}
    assert matches_filter(meta, {"conversation": {"$eq": "C1"}})
    assert not matches_filter(meta, {"conversation": {"$eq": "C2"}})
    assert matches_filter(meta, {"conversation": "C1"})
    assert matches_filter(meta, {"conversation": {"$in": ["C2", "C1"]}})
    assert not matches_filter(meta, {"conversation": {"$in": ["C2", "C3"]}})
    assert matches_filter(meta, {"speaker_keys": {"$in": ["carol", "bob"]}})  # any element of a list field
    assert not matches_filter(meta, {"speaker_keys": {"$in": ["carol"]}})
    assert matches_filter(meta, {"timestamp": {"$gte": 100.0, "$lte": 100.0}})
    assert not matches_filter(meta, {"timestamp": {"$gte": 100.5}})
    assert not matches_filter(meta, {"timestamp": {"$lte": 99.5}})
    assert matches_filter(meta, {"$and": [{"conversation": {"$in": ["C1"]}}, {"kind": {"$eq": "passage"}}]})
    assert not matches_filter(meta, {"$and": [{"conversation": {"$in": ["C1"]}}, {"kind": {"$eq": "decision"}}]})
    assert matches_filter(meta, {"$or": [{"conversation": "C9"}, {"kind": "passage"}]})
    assert not matches_filter(meta, {"missing": {"$eq": "x"}})
    with pytest.raises(BadRequest):
        matches_filter(meta, {"conversation": {"$regex": "C.*"}})
    with pytest.raises(BadRequest):
        matches_filter(meta, {"timestamp": {"$gte": "yesterday"}})


def test_metadata_is_what_pinecone_accepts(meetings):
    records = records_for_meeting(meetings["budget"], workspace="T1", conversation="C1")
    for record in records:
        meta = record_metadata(record)
        assert None not in meta.values()
        assert all(isinstance(v, (str, int, float, bool, list)) for v in meta.values())


def test_the_double_rejects_what_pinecone_rejects(index, double):
    from pinecone.errors import PineconeError

    for bad in ({"keyframe": None}, {"lines": [{"start": 1.0}]}, {"text": "x" * 50_000}):
        with pytest.raises(PineconeError):
            index._index.upsert(vectors=[{"id": "m:p0", "values": [0.1] * 384, "metadata": bad}], namespace="T1")
    with pytest.raises(PineconeError):
        index._index.upsert(vectors=[{"id": "m:p0", "values": [0.1] * 3}], namespace="T1")
    # The SDK refuses nested metadata itself; null, oversize metadata and a wrong dimension reach the
    # double and are refused there with HTTP 400, as Pinecone does.
    assert len([path for path, _ in double.requests if path == "POST /vectors/upsert"]) == 3
    assert double.namespaces.get("T1", {}) == {}


def test_filter_translation():
    flt = SearchFilter(scope=Scope("T1", ["C1", "C2"]), meeting_ids=("m1",), speakers=("Alice",),
                       date_from=date(2025, 1, 1), date_to=date(2025, 1, 31), kinds=("action_item",))
    f = metadata_filter(flt)
    assert f["$and"][0] == {"conversation": {"$in": ["C1", "C2"]}}
    assert {"meeting_id": {"$in": ["m1"]}} in f["$and"]
    assert {"speaker_keys": {"$in": ["alice"]}} in f["$and"]
    assert {"kind": {"$in": ["action_item"]}} in f["$and"]
    lo = [c["timestamp"]["$gte"] for c in f["$and"] if "$gte" in c.get("timestamp", {})][0]
    hi = [c["timestamp"]["$lte"] for c in f["$and"] if "$lte" in c.get("timestamp", {})][0]
    assert hi - lo == pytest.approx(31 * 86400, abs=1)


# --- the adapter, through the real SDK

def test_index_and_search_through_the_sdk(index, double, embedder, meetings):
    count = Indexer(index, workspace="T1", conversation="finance", embedder=embedder).index_meeting(meetings["budget"])
    assert count == len(double.namespaces["T1"]) > 5
    upserts = [body for path, body in double.requests if path == "POST /vectors/upsert"]
    assert upserts and all(body["namespace"] == "T1" for body in upserts)

    retriever = Retriever(index, embedder)
    hits = retriever.search("What did Alice promise to send the board?", SearchFilter(scope=Scope("T1", ["finance"])))
    assert hits[0].record.kind == "action_item" and hits[0].record.speaker == "Alice"
    assert "forecast" in hits[0].record.text
    query = [body for path, body in double.requests if path == "POST /query"][-1]
    assert query["namespace"] == "T1"
    assert query["filter"]["$and"][0] == {"conversation": {"$in": ["finance"]}}
    assert query["includeMetadata"] is True
    # the lines (citations) survive the trip through metadata
    passage = next(h for h in retriever.search("How much did our AWS spend go up?",
                                               SearchFilter(scope=Scope("T1", ["finance"]))) if h.record.kind == "passage")
    assert passage.record.lines and passage.record.lines[0].speaker in {"Alice", "Bob", "Carol"}


def test_search_outside_the_namespace_or_conversation_finds_nothing(index, embedder, meetings):
    Indexer(index, workspace="T1", conversation="finance", embedder=embedder).index_meeting(meetings["budget"])
    retriever = Retriever(index, embedder)
    question = "What did Alice promise to send the board?"
    assert retriever.search(question, SearchFilter(scope=Scope("T2", ["finance"]))) == []
    assert retriever.search(question, SearchFilter(scope=Scope("T1", ["product"]))) == []
    assert retriever.search(question, SearchFilter(scope=Scope("T1", []))) == []


def test_reindex_replaces_and_delete_removes_everywhere(index, double, embedder, meetings):
    budget, launch = meetings["budget"], meetings["launch"]
    Indexer(index, workspace="T1", conversation="finance", embedder=embedder).index_meeting(budget)
    Indexer(index, workspace="T1", conversation="product", embedder=embedder).index_meeting(launch)
    first = set(double.namespaces["T1"])
    Indexer(index, workspace="T1", conversation="finance", embedder=embedder).index_meeting(budget)
    assert set(double.namespaces["T1"]) == first  # same ids, no duplicates
    assert index.count(budget.meeting_id) == sum(1 for i in first if i.startswith(budget.meeting_id + ":"))

    shorter = budget.model_copy(deep=True)
    shorter.transcript.segments = shorter.transcript.segments[:6]
    shorter.minutes.action_items = []
    Indexer(index, workspace="T1", conversation="finance", embedder=embedder).index_meeting(shorter)
    left = sorted(i for i in double.namespaces["T1"] if i.startswith(budget.meeting_id + ":"))
    assert left == sorted(r.id for r in records_for_meeting(shorter, workspace="T1", conversation="finance"))
    assert len(left) < len([i for i in first if i.startswith(budget.meeting_id + ":")])

    # the same meeting re-indexed for another workspace moves there: nothing stays behind in T1
    Indexer(index, workspace="T2", conversation="finance", embedder=embedder).index_meeting(budget)
    assert not [i for i in double.namespaces["T1"] if i.startswith(budget.meeting_id + ":")]
    assert [i for i in double.namespaces["T2"] if i.startswith(budget.meeting_id + ":")]

    index.delete_meeting(budget.meeting_id)
    assert not [i for i in double.all_records() if i.startswith(budget.meeting_id + ":")]
    assert index.count(budget.meeting_id) == 0
    assert index.count(launch.meeting_id) > 0  # the other meeting is untouched
    deletes = [body for path, body in double.requests if path == "POST /vectors/delete"]
    assert deletes[-1]["filter"] == {"meeting_id": {"$eq": budget.meeting_id}}


def test_filters_by_date_speaker_and_meeting(index, embedder, meetings):
    for key, conversation in (("budget", "finance"), ("launch", "product")):
        Indexer(index, workspace="T1", conversation=conversation, embedder=embedder).index_meeting(meetings[key])
    retriever = Retriever(index, embedder, min_similarity=0.0)
    scope = Scope("T1", ["finance", "product"])
    question = "What is the plan?"
    # budget is 2025-07-08, launch is 2025-04-29
    july = retriever.search(question, SearchFilter(scope=scope, date_from=date(2025, 7, 1), date_to=date(2025, 7, 31)))
    assert july and {h.record.meeting_id for h in july} == {"eval-q3-budget"}
    april = retriever.search(question, SearchFilter(scope=scope, date_to=date(2025, 4, 30)))
    assert april and {h.record.meeting_id for h in april} == {"eval-app-launch"}
    erin = retriever.search(question, SearchFilter(scope=scope, speakers=("ERIN",)))
    assert erin and all("Erin" in h.record.speakers for h in erin)
    one = retriever.search(question, SearchFilter(scope=scope, meeting_ids=("eval-app-launch",)))
    assert one and {h.record.meeting_id for h in one} == {"eval-app-launch"}


def test_errors_become_lifestream_errors(index, double, embedder, meetings):
    vector = np.zeros(384, dtype=np.float32)
    flt = SearchFilter(scope=Scope("T1", ["finance"]))
    double.failures = [503]  # one failure: the SDK retries it by itself
    assert index.vector_search(vector, flt, 5) == []
    double.failures = [503] * 10
    with pytest.raises(TransientError):
        index.vector_search(vector, flt, 5)
    double.failures = []
    wrong_key = PineconeIndex(api_key="not-the-key", index_name="lifestream", host=double.host)
    with pytest.raises(ConfigError):
        wrong_key.vector_search(vector, flt, 5)
    with pytest.raises(ConfigError, match="384"):
        index.replace_meeting("eval-q3-budget", records_for_meeting(meetings["budget"], workspace="T1", conversation="finance")[:1],
                              np.zeros((1, 8), dtype=np.float32))
    with pytest.raises(ConfigError):
        PineconeIndex(api_key="", index_name="lifestream", host=double.host)
