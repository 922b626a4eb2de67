"""What a stretch of talk is mostly about: central sentences (TextRank) and its key phrases."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np

from lifestream.models import Point, SpeakerPoints
from lifestream.pipeline.minutes_offline.text import content_words_in, words
from lifestream.pipeline.sentences import Sentence


def centrality(sentences: list[Sentence], stopwords: frozenset[str]) -> np.ndarray:
    """TextRank centrality of each sentence over TF-IDF cosine similarity, favouring substantive sentences."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [" ".join(content_words_in(s.text, stopwords)) for s in sentences]
    if not any(docs):
        return np.zeros(len(sentences))
    matrix = TfidfVectorizer(token_pattern=r"[\w']+", sublinear_tf=True).fit_transform(docs)
    sim = (matrix @ matrix.T).toarray()
    np.fill_diagonal(sim, 0.0)
    row = sim.sum(axis=1, keepdims=True)
    transition = np.divide(sim, row, out=np.full_like(sim, 1.0 / len(sentences)), where=row > 0)
    score = np.full(len(sentences), 1.0 / len(sentences))
    for _ in range(50):
        score = 0.15 / len(sentences) + 0.85 * transition.T @ score
    # A long, content-rich sentence beats "Okay."
    richness = np.array([min(len(content_words_in(s.text, stopwords)), 12) / 12 for s in sentences])
    return score * (0.25 + richness)


def pick(sentences: list[Sentence], scores: np.ndarray, k: int, stopwords: frozenset[str], min_words: int = 5) -> list[int]:
    """Top sentences by score, skipping near-repeats (a simplified maximal marginal relevance), in spoken order."""
    chosen: list[int] = []
    seen: list[set[str]] = []
    for i in np.argsort(-scores):
        s = sentences[i]
        if len(s.words) < min_words or scores[i] <= 0:
            continue
        ws = set(content_words_in(s.text, stopwords))
        # "Okay.", "Yes, I think so.": nothing said on its own (and two of them are not "different" points)
        if not ws or any(len(ws & other) / len(ws | other) > 0.5 for other in seen):
            continue
        chosen.append(int(i))
        seen.append(ws)
        if len(chosen) >= k:
            break
    return sorted(chosen, key=lambda i: sentences[i].start)


def _phrases(sentence: Sentence, stopwords: frozenset[str]) -> list[str]:
    """Runs of consecutive topic words ("new jersey", "budget review"), up to three words."""
    runs: list[list[str]] = [[]]
    for word in words(sentence.text):
        # "he's", "didn't": never a topic; nor short words, numbers or words said in passing.
        if word in stopwords or len(word) <= 2 or word.isdigit() or "'" in word:
            runs.append([])
        else:
            runs[-1].append(word)
    out = []
    for run in runs:
        for n in (1, 2, 3):
            out += [" ".join(run[i:i + n]) for i in range(len(run) - n + 1)]
    return out


def key_phrases(sentences: list[Sentence], stopwords: frozenset[str], n: int = 3) -> list[str]:
    """The most characteristic phrases: said in several sentences, longer preferred, each said at least twice."""
    counts: Counter[str] = Counter()
    for s in sentences:
        counts.update(set(_phrases(s, stopwords)))
    # A phrase said twice beats its single words; a word inside a chosen phrase is not listed again.
    repeated = [p for p in counts if counts[p] >= 2]
    ranked = sorted(repeated, key=lambda p: (counts[p] * (1 + 0.6 * p.count(" ")), len(p)), reverse=True)
    chosen: list[str] = []
    for phrase in ranked:
        if any(phrase in c or c in phrase for c in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == n:
            break
    return [_as_said(p, sentences) for p in chosen]


def _as_said(phrase: str, sentences: list[Sentence]) -> str:
    """The phrase in the casing it was said in ("New Jersey", not "new jersey")."""
    pattern = re.compile(r"\b" + r"\W+".join(map(re.escape, phrase.split())) + r"\b", re.IGNORECASE)
    for s in sentences:
        m = pattern.search(s.text)
        if m and m.start() > 0:  # the first word of a sentence is capitalised for grammar, not for a name
            return m.group(0)
    return phrase


def speaker_points(sentences: list[Sentence], scores: np.ndarray, stopwords: frozenset[str],
                   most: int) -> list[SpeakerPoints]:
    """Each speaker's ``most`` best sentences of four words or more, or their best two of any length; a speaker
    who said nothing of substance ("Okay." twice) has no points and is not listed."""
    by_speaker: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sentences):
        by_speaker[s.speaker].append(i)
    out = []
    for speaker, idx in sorted(by_speaker.items()):
        sub = [sentences[i] for i in idx]
        chosen = pick(sub, scores[idx], most, stopwords, min_words=4) or pick(sub, scores[idx], 2, stopwords,
                                                                               min_words=1)
        if chosen:
            out.append(SpeakerPoints(speaker=speaker, points=[
                Point(text=shortened(sub[j].text), speaker=speaker, timestamp=round(sub[j].start, 2)) for j in chosen]))
    return out


# A point, not a paragraph: a run-on sentence (seventy words strung on commas) is cut at a comma before this.
POINT_WORDS = 40


def shortened(text: str, most: int = POINT_WORDS) -> str:
    """``text`` up to ``most`` words, cut after the last comma or semicolon within them (or at ``most``), with
    an ellipsis where it was cut."""
    tokens = text.split()
    if len(tokens) <= most:
        return text
    kept = tokens[:most]
    cut = max((n for n, token in enumerate(kept) if token.endswith((",", ";"))), default=-1)
    if cut >= most // 2:
        kept = kept[:cut + 1]
    return " ".join(kept).rstrip(",;") + "…"
