"""Hybrid retrieval: vector similarity fused with BM25 by reciprocal-rank fusion, inside a scope.

Why RRF rather than mixing scores: cosine similarities and BM25 scores live
on unrelated scales (BM25 grows with the index's vocabulary statistics), and
rank fusion needs no per-corpus calibration. Names, numbers and product
terms that an embedding blurs ("Q3", "Kubernetes", "Sheila") still pull
their passage up through the keyword list.

"Not found" is decided on the cosine similarity, the one absolute signal:
a passage counts only when it is at least ``min_similarity`` close to the
question, or up to ``KEYWORD_CREDIT`` less when it contains at least half of
the question's keywords (short passages about a name or a place embed far
from the question that names it). Rank fusion alone would always return
*something*, and a wrong answer with a citation is worse than none. The
constants were chosen on tests/data/search_questions.json (30 questions, 5
unanswerable), which is small: revisit them on real traffic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from lifestream.search.embeddings import Embedder
from lifestream.search.index_base import Hit, SearchFilter, SearchIndex
from lifestream.search.keywords import bm25_rank, term_coverage
from lifestream.search.records import RecordKind

RRF_K = 60  # the constant from Cormack et al. (2009); damps the difference between ranks 1 and 2
CANDIDATES = 50  # per list, before fusion
KEYWORD_CREDIT = 0.2  # similarity credited to a passage holding all of the question's keywords
MIN_COVERAGE = 0.5  # below this share of keywords found, words are coincidence and earn no credit
MAX_ITEMS = 3  # structured minutes items placed ahead of passages for questions about them

_ACTION_QUESTION = re.compile(
    r"\b(promis\w*|action[- ]items?|to-?dos?|follow(?:ing|ed|s)?[- ]?ups?|assign\w*|commit\w*|owe[sd]?|"
    r"tasks?|deadlines?|due|who (?:will|is going to|has to|should)|responsible)\b", re.IGNORECASE)
_DECISION_QUESTION = re.compile(r"\b(decid\w*|decisions?|agreed?|agreement|settled|conclu\w*|resolved?)\b",
                                re.IGNORECASE)


def structured_kinds(question: str) -> tuple[RecordKind, ...]:
    """Which minutes items a question is about, if any."""
    kinds: list[RecordKind] = []
    if _ACTION_QUESTION.search(question):
        kinds.append("action_item")
    if _DECISION_QUESTION.search(question):
        kinds.append("decision")
    return tuple(kinds)


def reciprocal_rank_fusion(*ranked: list[Hit]) -> list[Hit]:
    """One list, best first; a hit found by several lists keeps its best similarity and keyword score."""
    fused: dict[str, Hit] = {}
    for hits in ranked:
        for rank, hit in enumerate(hits):
            seen = fused.get(hit.record.id)
            if seen is None:
                seen = fused[hit.record.id] = Hit(record=hit.record, similarity=hit.similarity)
            seen.fused += 1.0 / (RRF_K + rank + 1)
            seen.similarity = max(seen.similarity, hit.similarity)
            if hit.keyword_score is not None:
                seen.keyword_score = max(seen.keyword_score or hit.keyword_score, hit.keyword_score)
    return sorted(fused.values(), key=lambda h: h.fused, reverse=True)


@dataclass
class Retriever:
    index: SearchIndex
    embedder: Embedder
    min_similarity: float = 0.3
    candidates: int = CANDIDATES

    def _keep_relevant(self, question: str, hits: list[Hit]) -> list[Hit]:
        borderline = [h for h in hits if self.min_similarity - KEYWORD_CREDIT <= h.similarity < self.min_similarity]
        coverage = term_coverage(question, [f"{h.record.title}\n{' '.join(h.record.speakers)}\n{h.record.text}"
                                            for h in borderline])
        for hit, share in zip(borderline, coverage):
            hit.coverage = share
        return [h for h in hits if h.similarity >= self.min_similarity
                or (h.coverage >= MIN_COVERAGE and h.similarity + KEYWORD_CREDIT * h.coverage >= self.min_similarity)]

    def _hybrid(self, question: str, vector: np.ndarray, flt: SearchFilter) -> list[Hit]:
        by_vector = self.index.vector_search(vector, flt, self.candidates)
        if self.index.supports_keyword_search:
            by_keyword = self.index.keyword_search(question, vector, flt, self.candidates)
        else:
            # Keywords can only re-order what the vector search found; see keywords.py.
            by_keyword = []
            texts = [f"{h.record.title}\n{' '.join(h.record.speakers)}\n{h.record.text}" for h in by_vector]
            for position, score in bm25_rank(question, texts):
                hit = by_vector[position]
                by_keyword.append(Hit(record=hit.record, similarity=hit.similarity, keyword_score=score))
        return self._keep_relevant(question, reciprocal_rank_fusion(by_vector, by_keyword))

    def search(self, question: str, flt: SearchFilter, top_k: int = 5) -> list[Hit]:
        """The ``top_k`` records that answer ``question`` within ``flt``, best first; [] when none does."""
        if flt.scope.empty or not question.strip():
            return []
        return self.search_with_vector(question, self.embedder.encode_one(question), flt, top_k)

    def search_with_vector(self, question: str, vector: np.ndarray, flt: SearchFilter, top_k: int = 5) -> list[Hit]:
        """``search`` with the question already embedded (the benchmark times the two halves apart)."""
        if flt.scope.empty:
            return []
        hits = self._hybrid(question, vector, flt)
        kinds = structured_kinds(question)
        if kinds and not flt.kinds:
            # "What did Alice promise?": the action items say it outright; put them before the talk around them.
            items = self._hybrid(question, vector, replace(flt, kinds=kinds))[:MAX_ITEMS]
            ids = {h.record.id for h in items}
            hits = items + [h for h in hits if h.record.id not in ids]
        return hits[:top_k]
