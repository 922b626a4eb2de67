"""Keyword matching with SQLite FTS5's BM25, shared by every backend.

The local index keeps a persistent FTS5 table. Pinecone has no BM25 of its
own (its sparse vectors need an encoder we would have to fit and ship), so
its vector candidates are re-ranked here in a throw-away in-memory FTS5
table: the same tokenizer and the same bm25() as locally, no second
implementation to drift.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Porter stemming lets "promised" match "promise"; unicode61 folds case and accents.
FTS_TOKENIZER = "porter unicode61"

# Words every question about a meeting has; matching them says nothing about the answer.
_QUESTION_WORDS = frozenset({
    "say", "said", "says", "tell", "told", "talk", "talked", "talking", "mention", "mentioned", "discuss",
    "discussed", "meeting", "meetings", "call", "recording", "someone", "anybody", "anyone", "did", "does",
})
_TOKEN = re.compile(r"\w+", re.UNICODE)


def keyword_terms(text: str) -> list[str]:
    """The words of a question worth matching: no stop words, no question boilerplate."""
    terms = []
    for token in _TOKEN.findall(text.casefold()):
        if token in ENGLISH_STOP_WORDS or token in _QUESTION_WORDS:
            continue
        if len(token) < 2 and not token.isdigit():
            continue
        terms.append(token)
    return list(dict.fromkeys(terms))


def fts_query(text: str) -> str | None:
    """An FTS5 MATCH expression: any of the terms, each quoted so no term is read as an operator."""
    terms = keyword_terms(text)
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def bm25_rank(question: str, texts: Sequence[str]) -> list[tuple[int, float]]:
    """(position in ``texts``, score) of the texts that share a word with the question, best first.

    Scores are negated bm25() values, so higher is better, as everywhere else in search.
    """
    query = fts_query(question)
    if query is None or not texts:
        return []
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize='{FTS_TOKENIZER}')")
        conn.executemany("INSERT INTO t(rowid, text) VALUES (?, ?)", enumerate(texts))
        rows = conn.execute("SELECT rowid, bm25(t) FROM t WHERE t MATCH ? ORDER BY bm25(t)", (query,)).fetchall()
    finally:
        conn.close()
    return [(int(rowid), -float(score)) for rowid, score in rows]


def term_coverage(question: str, texts: Sequence[str]) -> list[float]:
    """For each text, the share of the question's keyword terms it contains (after stemming), 0..1."""
    terms = keyword_terms(question)
    if not terms or not texts:
        return [0.0] * len(texts)
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE VIRTUAL TABLE t USING fts5(text, tokenize='{FTS_TOKENIZER}')")
        conn.executemany("INSERT INTO t(rowid, text) VALUES (?, ?)", enumerate(texts))
        found = [0] * len(texts)
        for term in terms:
            for (rowid,) in conn.execute("SELECT rowid FROM t WHERE t MATCH ?", ('"' + term.replace('"', '""') + '"',)):
                found[rowid] += 1
    finally:
        conn.close()
    return [n / len(terms) for n in found]
