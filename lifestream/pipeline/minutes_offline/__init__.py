"""Minutes without any network or language model.

Read as an exchange, not as a bag of sentences (dialogue.py): action items
are the commitments people make and the requests someone accepts
(actions.py), decisions are what was said to be decided or proposed and
agreed (decisions.py), open questions are the ones nobody answered
(questions.py). The summary (summary.py) states the purpose from the opening
(topic.py), then those outcomes, in the transcript's own words. The cue words
come from one table per language (cues.py).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import numpy as np

from lifestream.models import Minutes, Segment
from lifestream.pipeline.language_names import base_language
from lifestream.pipeline.minutes_offline import actions, decisions, questions, summary_only
from lifestream.pipeline.minutes_offline.dialogue import Dialogue
from lifestream.pipeline.minutes_offline.languages import cues_for
from lifestream.pipeline.minutes_offline.ranking import centrality, key_phrases, pick, speaker_points
from lifestream.pipeline.minutes_offline.summary import compose
from lifestream.pipeline.minutes_offline.topic import find_purpose, title_from_phrases, title_from_purpose
from lifestream.pipeline.sentences import split_sentences

GENERATOR = "offline-extractive"


def summarize(
    segments: list[Segment],
    *,
    kind: Literal["minutes", "diary"] = "minutes",
    reference_date: date,
    speaker_names: dict[str, str] | None = None,
    language: str | None = None,
    later_part: bool = False,
) -> Minutes:
    """Minutes of ``segments``: the whole meeting, or one part of it (``later_part`` when not the first)."""
    cues = cues_for(language)
    sentences = split_sentences(segments, language)
    if not sentences:
        return Minutes(kind=kind, title="No speech", summary="Nobody spoke in this part of the recording.",
                       generator=GENERATOR)
    if cues is None:
        return summary_only.summarize(sentences, language=base_language(language), kind=kind)
    dialogue = Dialogue(sentences, cues)
    scores = centrality(sentences, cues.stopwords)
    topics = key_phrases(sentences, cues.stopwords)

    purpose = find_purpose(dialogue) if kind == "minutes" and not later_part else None
    title = (title_from_purpose(purpose, cues) if purpose else None) or title_from_phrases(topics, cues)
    if kind == "diary":
        title = f"Diary: {title}" if title else "Diary entry"

    found = actions.extract(dialogue, reference_date, speaker_names)
    task_sentences = {i for t in found.tasks for i in t.said_in}
    decided = decisions.extract(dialogue, found.taken_on, purpose.sentence if purpose else None, task_sentences)
    open_questions = questions.extract(dialogue, {x.sentence for x in decided})

    if kind == "diary":
        duration_min = max((sentences[-1].end - sentences[0].start) / 60.0, 0.5)
        # About one sentence per two minutes, between 2 and 8: a diary is retold, not minuted.
        k = int(min(8, max(2, round(duration_min / 2))))
        chosen = pick(sentences, scores, k, cues.stopwords) or pick(
            sentences, np.array([len(s.words) for s in sentences], float), k, cues.stopwords, min_words=1)
        summary = " ".join(sentences[i].text for i in chosen)
    else:
        summary = compose(purpose=purpose, topics=topics, decided=decided, tasks=found.tasks,
                          questions=open_questions, cues=cues, later_part=later_part)

    return Minutes(
        kind=kind,
        title=title or "Meeting",
        summary=summary,
        key_points=speaker_points(sentences, scores, cues.stopwords, 4),
        decisions=decisions.to_points(dialogue, decided),
        action_items=actions.to_items(found.tasks, cues),
        open_questions=open_questions,
        generator=GENERATOR,
    )
