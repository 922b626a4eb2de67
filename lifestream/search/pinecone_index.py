"""Pinecone as the index: one namespace per workspace, scope and filters as metadata filters.

Uses the ``pinecone`` SDK's vector API (an index created with
``dimension=384, metric="cosine"``). ``LIFESTREAM_PINECONE_HOST`` points the
data plane at a host directly (skipping the describe call, and how the tests
aim the real SDK at a local double); otherwise the host is looked up by
``LIFESTREAM_PINECONE_INDEX`` name.

Pinecone has no BM25; retrieval re-ranks its vector candidates by keywords
(see ``keywords.bm25_rank``), so ``supports_keyword_search`` is False.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from lifestream.errors import ConfigError, TransientError
from lifestream.search.index_base import Hit, SearchFilter
from lifestream.search.records import Line, SearchRecord

# Pinecone caps one upsert request at 2 MB and 1,000 vectors; a record with its text is a few kB.
UPSERT_BATCH = 100


def record_metadata(record: SearchRecord) -> dict[str, Any]:
    """Pinecone metadata holds strings, numbers, booleans and lists of strings only: no nulls, no nesting."""
    meta: dict[str, Any] = {
        "kind": record.kind,
        "meeting_id": record.meeting_id,
        "workspace": record.workspace,
        "conversation": record.conversation,
        "title": record.title,
        "date": record.date,
        "timestamp": record.timestamp,
        "start": record.start,
        "end": record.end,
        "speaker": record.speaker,
        "speakers": list(record.speakers),
        "speaker_keys": record.speaker_keys,
        "text": record.text,
        "lines": json.dumps([line.model_dump() for line in record.lines], separators=(",", ":")),
    }
    if record.keyframe:
        meta["keyframe"] = record.keyframe
    return meta


def record_from_metadata(record_id: str, meta: dict[str, Any]) -> SearchRecord:
    return SearchRecord(
        id=record_id, kind=meta["kind"], meeting_id=meta["meeting_id"], workspace=meta["workspace"],
        conversation=meta["conversation"], title=meta["title"], date=meta["date"], timestamp=meta["timestamp"],
        start=meta["start"], end=meta["end"], speaker=meta["speaker"], speakers=list(meta.get("speakers", [])),
        keyframe=meta.get("keyframe"), text=meta["text"],
        lines=[Line(**line) for line in json.loads(meta.get("lines") or "[]")],
    )


def metadata_filter(flt: SearchFilter) -> dict[str, Any]:
    """The scope and filters as one Pinecone filter; the workspace is the namespace, not a clause."""
    clauses: list[dict[str, Any]] = [{"conversation": {"$in": list(flt.scope.conversations)}}]
    if flt.meeting_ids:
        clauses.append({"meeting_id": {"$in": list(flt.meeting_ids)}})
    if flt.kinds:
        clauses.append({"kind": {"$in": list(flt.kinds)}})
    if flt.speakers:
        # On a list field, $in matches when any element is among the values.
        clauses.append({"speaker_keys": {"$in": list(flt.speaker_keys)}})
    lo, hi = flt.timestamp_range
    if lo is not None:
        clauses.append({"timestamp": {"$gte": lo}})
    if hi is not None:
        clauses.append({"timestamp": {"$lte": hi}})
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _pinecone_call(what: str, fn, *args, **kwargs):
    from pinecone.errors import (
        ApiError,
        ForbiddenError,
        NotFoundError,
        PineconeError,
        PineconeValueError,
        UnauthorizedError,
    )

    try:
        return fn(*args, **kwargs)
    except (UnauthorizedError, ForbiddenError, NotFoundError, PineconeValueError) as exc:
        raise ConfigError(f"Pinecone refused to {what}: {exc}") from exc
    except ApiError as exc:
        if getattr(exc, "status_code", None) == 400:  # a malformed request: retrying cannot help
            raise ConfigError(f"Pinecone rejected the request to {what}: {exc}") from exc
        raise TransientError(f"Pinecone failed to {what}: {exc}") from exc
    except PineconeError as exc:
        raise TransientError(f"Pinecone failed to {what}: {exc}") from exc


class PineconeIndex:
    supports_keyword_search = False

    def __init__(self, *, api_key: str, index_name: str, host: str | None = None, timeout: float = 30.0) -> None:
        from pinecone import Pinecone

        if not api_key:
            raise ConfigError("LIFESTREAM_PINECONE_API_KEY is not set; it is needed when LIFESTREAM_INDEX_BACKEND=pinecone.")
        self._client = Pinecone(api_key=api_key, timeout=timeout)
        self._index = _pinecone_call("open the index", self._client.index, name="" if host else index_name,
                                     host=host or "")
        self._dimension: int | None = None

    def _namespaces(self) -> list[str]:
        stats = _pinecone_call("describe the index", self._index.describe_index_stats)
        if self._dimension is None and stats.dimension:
            self._dimension = int(stats.dimension)
        return list(stats.namespaces or {})

    def _check_dimension(self, dimension: int) -> None:
        if self._dimension is None:
            self._namespaces()
        if self._dimension is not None and self._dimension != dimension:
            raise ConfigError(f"The Pinecone index holds {self._dimension}-dimensional vectors but the embedding "
                              f"model makes {dimension}; create the index with dimension={dimension}.")

    def _delete_everywhere(self, meeting_id: str) -> None:
        for namespace in self._namespaces():
            _pinecone_call("delete a meeting's records", self._index.delete,
                           filter={"meeting_id": {"$eq": meeting_id}}, namespace=namespace)

    def replace_meeting(self, meeting_id: str, records: Sequence[SearchRecord], vectors: np.ndarray) -> None:
        if any(r.meeting_id != meeting_id for r in records):
            raise ValueError("every record must belong to the meeting being replaced")
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(records) != len(vectors):
            raise ValueError("one vector per record")
        if records:
            self._check_dimension(vectors.shape[1])
        # Pinecone has no transactions: delete first, so a failed upsert leaves the meeting missing
        # (and a retry of the job fixes it) rather than duplicated.
        self._delete_everywhere(meeting_id)
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for record, vector in zip(records, vectors):
            by_namespace.setdefault(record.workspace, []).append(
                {"id": record.id, "values": vector.tolist(), "metadata": record_metadata(record)})
        for namespace, items in by_namespace.items():
            for start in range(0, len(items), UPSERT_BATCH):
                _pinecone_call("store a meeting's records", self._index.upsert,
                               vectors=items[start:start + UPSERT_BATCH], namespace=namespace)

    def delete_meeting(self, meeting_id: str) -> None:
        self._delete_everywhere(meeting_id)

    def vector_search(self, vector: np.ndarray, flt: SearchFilter, top_k: int) -> list[Hit]:
        if flt.scope.empty:
            return []
        response = _pinecone_call("search", self._index.query, top_k=top_k,
                                  vector=np.asarray(vector, dtype=np.float32).tolist(),
                                  namespace=flt.scope.workspace, filter=metadata_filter(flt), include_metadata=True)
        hits = []
        for match in response.matches:
            record = record_from_metadata(match.id, match.metadata or {})
            # Belt and braces: never hand out a record from outside the scope, whatever the server did.
            if record.conversation in flt.scope.conversations and record.workspace == flt.scope.workspace:
                hits.append(Hit(record=record, similarity=float(match.score)))
        return hits

    def keyword_search(self, text: str, vector: np.ndarray, flt: SearchFilter, top_k: int) -> list[Hit]:
        return []

    def count(self, meeting_id: str | None = None) -> int:
        if meeting_id is None:
            stats = _pinecone_call("describe the index", self._index.describe_index_stats)
            return int(stats.total_vector_count)
        # describe_index_stats takes no filter on serverless, so count by listing ids with the meeting's
        # prefix (record ids are "<meeting_id>:<kind><n>").
        total = 0
        for namespace in self._namespaces():
            total += _pinecone_call("list a meeting's records", self._count_listed, f"{meeting_id}:", namespace)
        return total

    def _count_listed(self, prefix: str, namespace: str) -> int:
        return sum(len(page.vectors) for page in self._index.list(prefix=prefix, namespace=namespace))
