"""The embedded index for real: real embeddings, the real sample meeting, one SQLite file."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lifestream.errors import ConfigError
from lifestream.models import Segment
from lifestream.search import Indexer, Scope, SearchFilter
from lifestream.search.embeddings import get_embedder
from lifestream.search.local_index import LocalIndex
from lifestream.search.records import passage_windows, records_for_meeting
from lifestream.search.retrieval import Retriever
from tests.support.search import constructed_meetings, copy_of


@pytest.fixture(scope="module")
def embedder():
    return get_embedder()


def _segments(n: int, every: float = 5.0, length: float = 4.5) -> list[Segment]:
    return [Segment(id=i, start=i * every, end=i * every + length, text=f"sentence {i}") for i in range(n)]


def test_windows_cut_on_segment_boundaries_overlap_and_cover_everything():
    segments = _segments(60)  # five minutes
    windows = passage_windows(segments)
    assert len(windows) > 5
    covered = set()
    for a, b in zip(windows, windows[1:]):
        assert b[0].start < a[-1].end, "consecutive windows overlap"
        assert b[0].id > a[0].id, "windows move forward"
    for w in windows:
        span = w[-1].end - w[0].start
        assert span <= 60.0
        assert [s.id for s in w] == list(range(w[0].id, w[-1].id + 1)), "whole consecutive segments"
        covered.update(s.id for s in w)
    assert all(w[-1].end - w[0].start >= 30.0 for w in windows[:-1])
    assert covered == set(range(60))


def test_a_segment_longer_than_a_window_is_a_window_of_its_own():
    segments = [Segment(id=0, start=0, end=5, text="a"), Segment(id=1, start=5, end=95, text="b"),
                Segment(id=2, start=95, end=100, text="c")]
    assert [[s.id for s in w] for w in passage_windows(segments)] == [[0], [1], [2]]


def test_records_of_the_real_sample(processed_sample):
    meeting, _ = processed_sample
    records = records_for_meeting(meeting, workspace="local", conversation="cli")
    passages = [r for r in records if r.kind == "passage"]
    assert len(passages) == 1  # the sample is 30 s: one window
    p = passages[0]
    assert p.id == f"{meeting.meeting_id}:p0"
    assert p.title == meeting.minutes.title
    assert set(p.speakers) == {meeting.speaker_name(label) for label in meeting.speakers} == {"Diane", "Sheila"}
    assert [line.text for line in p.lines] == [s.text.strip() for s in meeting.transcript.segments]
    assert "Diane" in p.text and "Chicago" in p.text
    # the sample video has scene cuts: the keyframe nearest the window's middle is attached
    assert p.keyframe in {s.keyframe for s in meeting.scenes}


def test_index_search_reindex_and_delete_with_the_real_sample(tmp_path, processed_sample, embedder):
    meeting, _ = processed_sample
    index = LocalIndex(tmp_path / "search.sqlite3")
    indexer = Indexer(index, workspace="local", conversation="cli", embedder=embedder)
    n = indexer.index_meeting(meeting)
    assert n == index.count(meeting.meeting_id) == index.count() >= 1
    retriever = Retriever(index, embedder)
    flt = SearchFilter(scope=Scope("local", ["cli"]))
    hits = retriever.search("Where is Diane calling from?", flt)
    assert hits and hits[0].record.meeting_id == meeting.meeting_id

    indexer.index_meeting(meeting)
    indexer.index_meeting(meeting)
    assert index.count() == n, "re-indexing replaces, never duplicates"
    assert len({h.record.id for h in retriever.search("Where is Diane calling from?", flt)}) == len(
        retriever.search("Where is Diane calling from?", flt))

    other = copy_of(meeting, "another-meeting")
    indexer.index_meeting(other)
    assert index.count() == 2 * n
    index.delete_meeting(meeting.meeting_id)
    assert index.count(meeting.meeting_id) == 0
    assert {h.record.meeting_id for h in retriever.search("Where is Diane calling from?", flt)} == {"another-meeting"}
    fts_rows = index._conn.execute("SELECT count(*) FROM records_fts").fetchone()[0]
    speaker_rows = index._conn.execute("SELECT count(DISTINCT record_rowid) FROM record_speakers").fetchone()[0]
    assert fts_rows == speaker_rows == n, "deleting a meeting leaves nothing behind in the keyword tables"


def test_the_file_persists_and_other_handles_see_writes(tmp_path, embedder):
    meetings = constructed_meetings()
    path = tmp_path / "search.sqlite3"
    writer = LocalIndex(path)
    Indexer(writer, workspace="W", conversation="finance", embedder=embedder).index_meeting(meetings["budget"])
    reader = LocalIndex(path)  # another process's handle on the same file
    retriever = Retriever(reader, embedder)
    flt = SearchFilter(scope=Scope("W", ["finance", "product"]))
    assert retriever.search("How much did our AWS spend go up?", flt)
    Indexer(writer, workspace="W", conversation="product", embedder=embedder).index_meeting(meetings["launch"])
    assert {h.record.meeting_id for h in retriever.search("Why did Apple reject the build?", flt)} >= {"eval-app-launch"}
    writer.delete_meeting("eval-q3-budget")
    assert all(h.record.meeting_id != "eval-q3-budget" for h in retriever.search("How much did our AWS spend go up?", flt))
    writer.close()
    reader.close()
    reopened = LocalIndex(path)
    assert reopened.count("eval-app-launch") > 0 and reopened.count("eval-q3-budget") == 0


def test_a_model_with_another_dimension_is_refused(tmp_path, embedder):
    meeting = constructed_meetings()["budget"]
    index = LocalIndex(tmp_path / "search.sqlite3")
    Indexer(index, workspace="W", conversation="c", embedder=embedder).index_meeting(meeting)
    records = records_for_meeting(meeting, workspace="W", conversation="c")
    with pytest.raises(ConfigError, match="384"):
        index.replace_meeting(meeting.meeting_id, records, np.zeros((len(records), 8), dtype=np.float32))
    assert index.count(meeting.meeting_id) == len(records), "a refused write leaves the old records"


def test_cli_process_indexes_and_ask_answers_with_citations(tmp_path, sample_wav, capsys, monkeypatch):
    from lifestream.cli import main

    monkeypatch.delenv("LIFESTREAM_LLM_BASE_URL", raising=False)
    data = str(tmp_path / "data")
    assert main(["process", str(sample_wav), "--data-dir", data, "-q"]) == 0
    capsys.readouterr()
    assert main(["ask", "Where is Diane calling from?", "--data-dir", data]) == 0
    out = capsys.readouterr().out
    assert "Diane" in out
    assert re.search(r"\[[^\]]+, (Diane|Sheila), 00:1\d\]", out), out  # cited by the names they introduced
    assert main(["ask", "Where is Diane calling from?", "--data-dir", data, "--channel", "someone-elses"]) == 1
    assert "couldn't find" in capsys.readouterr().out
    assert main(["ask", "What is the plan for the Kubernetes migration?", "--data-dir", data]) == 1


def test_the_embedder_is_one_per_process_and_loads_only_local_folders(tmp_path):
    import threading

    from lifestream.errors import ModelError
    from lifestream.search.embeddings import default_model_path

    found = []
    threads = [threading.Thread(target=lambda: found.append(get_embedder())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(e) for e in found}) == 1
    # LIFESTREAM_EMBEDDING_MODEL may name a folder; the bundled one named by path is the same model, loaded once
    same = get_embedder(str(default_model_path()))
    assert same is found[0] and same.dimension == 384
    vectors = same.encode(["Diane is in New Jersey.", "Sheila lives in Texas.", "Diane is in New Jersey."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert float(vectors[0] @ vectors[2]) == pytest.approx(1.0, abs=1e-5)
    assert float(vectors[0] @ vectors[1]) < 0.9
    with pytest.raises(ModelError):
        get_embedder(str(tmp_path))  # an empty folder is not a model, and nothing is fetched instead


class _Kept:
    """Where the index stands: keeps what the indexer hands it (the indexer and its embeddings are real)."""

    def replace_meeting(self, meeting_id, records, vectors):
        self.records, self.vectors = list(records), vectors


class _Counted:
    """The real embedder, with a list of every text it was asked to embed."""

    def __init__(self, embedder):
        self.embedder, self.dimension, self.texts = embedder, embedder.dimension, []

    def encode(self, texts):
        self.texts.extend(texts)
        return self.embedder.encode(texts)


def test_passages_embedded_ahead_of_the_minutes_are_the_vectors_indexed(embedder):
    """The runner embeds a meeting's passages while its minutes are written; indexing after the minutes embeds
    only the minutes' items, and the vectors stored are exactly those a plain indexing makes."""
    finished = constructed_meetings()["budget"]
    assert finished.minutes.action_items and finished.minutes.decisions
    plain = _Kept()
    Indexer(plain, workspace="W", conversation="c", embedder=embedder).index_meeting(finished)

    before_minutes = finished.model_copy(update={"minutes": None}, deep=True)
    counted, kept = _Counted(embedder), _Kept()
    indexer = Indexer(kept, workspace="W", conversation="c", embedder=counted)
    indexer.embed_ahead(before_minutes)
    ahead = list(counted.texts)
    assert ahead and all(not t.startswith(finished.minutes.title) for t in ahead), "passages need no title"
    before_minutes.minutes = finished.minutes
    indexer.index_meeting(before_minutes)

    items = [r for r in plain.records if r.kind != "passage"]
    assert counted.texts[len(ahead):] == [r.embedding_text() for r in items], "only the items are left to embed"
    assert [r.id for r in kept.records] == [r.id for r in plain.records]
    assert [r.title for r in kept.records] == [finished.minutes.title] * len(plain.records)
    np.testing.assert_allclose(kept.vectors, plain.vectors, atol=1e-5)


def test_a_passage_that_changed_after_it_was_embedded_ahead_is_embedded_again(embedder):
    meeting = constructed_meetings()["launch"]
    counted, kept = _Counted(embedder), _Kept()
    indexer = Indexer(kept, workspace="W", conversation="c", embedder=counted)
    indexer.embed_ahead(meeting)
    first = meeting.transcript.segments[0]
    meeting.speaker_names = {**meeting.speaker_names, first.speaker: "Zelda Quinn"}  # named after the embedding
    indexer.index_meeting(meeting)

    renamed = [r for r in kept.records if r.kind == "passage" and "Zelda Quinn" in r.text]
    assert renamed and all(r.embedding_text() in counted.texts for r in renamed)
    np.testing.assert_allclose(kept.vectors[kept.records.index(renamed[0])],
                               embedder.encode([renamed[0].embedding_text()])[0], atol=1e-5)
    indexer.index_meeting(meeting)  # again: nothing embedded ahead is left over to reuse
    assert len(counted.texts) > len(set(counted.texts))
