"""The one interface every index backend offers, and the filters it must honour.

Access control lives in ``Scope``: a search always names the workspace and the
conversations the asking person may see, and an empty list of conversations
matches nothing. Backends apply the scope inside the query itself (SQL
``WHERE`` / Pinecone metadata filter), never by post-filtering a top-k, so a
record outside the scope can neither be returned nor push an allowed one out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Protocol

import numpy as np

from lifestream.search.records import RecordKind, SearchRecord


@dataclass(frozen=True)
class Scope:
    workspace: str
    conversations: tuple[str, ...]

    def __init__(self, workspace: str, conversations: Sequence[str]) -> None:
        if isinstance(conversations, str):
            raise TypeError("conversations must be a list of conversation ids, not one string")
        object.__setattr__(self, "workspace", workspace)
        object.__setattr__(self, "conversations", tuple(dict.fromkeys(conversations)))

    @property
    def empty(self) -> bool:
        return not self.conversations


@dataclass(frozen=True)
class SearchFilter:
    scope: Scope
    meeting_ids: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()  # any of these speaks in the record (case-insensitive)
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    kinds: tuple[RecordKind, ...] = ()

    @property
    def timestamp_range(self) -> tuple[float | None, float | None]:
        lo = datetime.combine(self.date_from, time.min, timezone.utc).timestamp() if self.date_from else None
        hi = datetime.combine(self.date_to, time.max, timezone.utc).timestamp() if self.date_to else None
        return lo, hi

    @property
    def speaker_keys(self) -> tuple[str, ...]:
        return tuple(s.casefold() for s in self.speakers)


@dataclass
class Hit:
    record: SearchRecord
    similarity: float  # cosine similarity between the question and the record
    keyword_score: float | None = None  # backend's keyword score (higher is better) when it matched words
    fused: float = 0.0  # reciprocal-rank-fusion score, set by retrieval
    coverage: float = 0.0  # share of the question's keywords found in the record, set by retrieval when needed


class SearchIndex(Protocol):
    #: whether keyword_search ranks the whole scope (True) or retrieval must re-rank vector candidates itself
    supports_keyword_search: bool

    def replace_meeting(self, meeting_id: str, records: Sequence[SearchRecord], vectors: np.ndarray) -> None:
        """Drop every record of ``meeting_id`` (wherever it was indexed) and store these instead."""

    def delete_meeting(self, meeting_id: str) -> None:
        """Remove every record of ``meeting_id`` from every workspace."""

    def vector_search(self, vector: np.ndarray, flt: SearchFilter, top_k: int) -> list[Hit]:
        """The ``top_k`` records nearest ``vector`` among those ``flt`` allows, best first."""

    def keyword_search(self, text: str, vector: np.ndarray, flt: SearchFilter, top_k: int) -> list[Hit]:
        """The ``top_k`` best keyword (BM25) matches among those ``flt`` allows, best first."""

    def count(self, meeting_id: str | None = None) -> int:
        """Records stored, for one meeting or in all."""
