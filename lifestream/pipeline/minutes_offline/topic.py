"""What the meeting was for, from its opening ("this is our release check for…", "we're here to plan…"),
and a title made from it, or from the key phrases when nobody said."""

from __future__ import annotations

from dataclasses import dataclass

from lifestream.pipeline.minutes_offline.cues import Cues
from lifestream.pipeline.minutes_offline.dialogue import Dialogue
from lifestream.pipeline.minutes_offline.text import clean_clause, title_case, words

# The purpose is stated in the first few sentences or not at all.
OPENING_SENTENCES = 4
OPENING_SECONDS = 60.0
TITLE_WORDS = 8


@dataclass(frozen=True)
class Purpose:
    sentence: int
    phrase: str  # in the speaker's words: "plan the booth for the retail tech fair in March"
    is_action: bool  # a verb phrase ("plan the booth…") rather than a topic ("the quarterly budget review")


def find_purpose(d: Dialogue) -> Purpose | None:
    if not d.sentences:
        return None
    first = d.sentences[0].start
    for i in range(min(OPENING_SENTENCES, len(d))):
        if d.sentences[i].start - first > OPENING_SECONDS:
            break
        original = d.sentences[i].text
        found = [(m, action) for pattern, action in ((d.cues.purpose_action, True), (d.cues.purpose_topic, False))
                 if (m := pattern.search(d.low[i]))]
        # "This is the budget review, and we need to agree on cuts": the first statement of purpose names it.
        for m, action in sorted(found, key=lambda f: f[0].start()):
            group = next(n for n, g in m.groupdict().items() if g)
            phrase = clean_clause(d.cues.self_reference.sub("", original[m.start(group):m.end(group)]), d.cues)
            if len(words(phrase)) < 2:
                continue
            is_action = action or group.startswith("a")
            if not is_action and not d.cues.determiner.match(phrase) and d.cues.article:
                phrase = f"{d.cues.article} {phrase}"
            return Purpose(i, d.cues.own.sub(d.cues.own_as, phrase), is_action)
    return None


def purpose_sentence(d: Dialogue) -> int | None:
    found = find_purpose(d)
    return found.sentence if found else None


def title_from_purpose(purpose: Purpose, cues: Cues) -> str | None:
    phrase = purpose.phrase
    if purpose.is_action:
        # "plan the booth for the fair" is about the booth: drop the verb (and "talk about", "go over").
        ws = phrase.split()
        k = 1
        while k < len(ws) and ws[k].lower() in cues.particles:
            k += 1
        phrase = " ".join(ws[k:])
    phrase = cues.determiner.sub("", phrase.strip())
    stop = cues.title_stop.search(phrase.lower())
    if stop:
        phrase = phrase[:stop.start()]
    ws = phrase.split()[:TITLE_WORDS]
    while ws and ws[-1].lower() in cues.title_small_words:
        ws.pop()
    if len(ws) < 1 or not any(w.lower() not in cues.stopwords for w in ws):
        return None
    return title_case(" ".join(ws), cues)


def title_from_phrases(phrases: list[str], cues: Cues) -> str | None:
    if not phrases:
        return None
    cased = [title_case(p, cues) for p in phrases]
    return cased[0] if len(cased) == 1 else ", ".join(cased[:-1]) + f" {cues.phrasing.and_} " + cased[-1]
