"""Minutes of a meeting in a language the rules do not know: a summary in its own words, said to be that.

Reading English cue words over Italian or Dutch would list nonsense as action items, so a language without
a table gets none of them: its most central sentences as said (TextRank over the sentences, with that
language's stop words where the stop-words package has them), a title from its key phrases, each speaker's
main points, and a first sentence that says what was not extracted and why.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from stop_words import LANGUAGE_MAPPING, StopWordError, get_stop_words

from lifestream.models import Minutes
from lifestream.pipeline.language_names import described, language_name
from lifestream.pipeline.minutes_offline.ranking import centrality, key_phrases, pick, speaker_points
from lifestream.pipeline.minutes_offline.text import capitalise
from lifestream.pipeline.sentences import Sentence

GENERATOR = "offline-summary-only"


def note(code: str | None) -> str:
    return (f"Summary only: the offline minutes have no rules for {described(code)}, so decisions, action items and open "
            f"questions are not extracted; below are the meeting's most central sentences as said.")


def stopwords_for(code: str | None) -> frozenset[str]:
    """The stop-words package's list for the language, or none (ranking then leans on word rarity alone)."""
    if not code or code not in LANGUAGE_MAPPING:
        return frozenset()
    try:
        return frozenset(get_stop_words(code))
    except StopWordError:
        return frozenset()


def summarize(sentences: list[Sentence], *, language: str | None, kind: Literal["minutes", "diary"]) -> Minutes:
    stopwords = stopwords_for(language)
    scores = centrality(sentences, stopwords)
    duration_min = max((sentences[-1].end - sentences[0].start) / 60.0, 0.5)
    # About one sentence per minute and a half, between 2 and 8: enough to say what it was about.
    k = int(min(8, max(2, round(duration_min / 1.5))))
    chosen = pick(sentences, scores, k, stopwords) or pick(
        sentences, np.array([len(s.words) for s in sentences], float), k, stopwords, min_words=1)
    phrases = key_phrases(sentences, stopwords, n=2) if stopwords else []
    title = capitalise(phrases[0]) if phrases else f"Meeting in {language_name(language)}"
    if kind == "diary":
        title = f"Diary: {title}"
    return Minutes(
        kind=kind,
        title=title,
        summary=note(language) + " " + " ".join(sentences[i].text for i in chosen),
        key_points=speaker_points(sentences, scores, stopwords, 3),
        generator=GENERATOR,
    )
