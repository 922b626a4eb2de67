"""Open questions: questions nobody answered, or whose answer put them off.

A question followed by a real answer is closed; one followed by "I'm not sure",
"good question", "let's leave that", a question back, or silence is open.
Requests ("can you send…?") are not questions: they are tasks if accepted; but one that asks to be told
("can you tell me what…?", ``actions.asks_to_be_told``) is a question.
Rhetorical and tag questions ("so what can I say?", "…, right?") ask nothing.
"""

from __future__ import annotations

from lifestream.models import Point
from lifestream.pipeline.minutes_offline.actions import asks_to_be_told
from lifestream.pipeline.minutes_offline.dialogue import Dialogue, Reply
from lifestream.pipeline.minutes_offline.text import content_words, words

LIMIT = 6


def _asks(d: Dialogue, i: int) -> bool:
    low = d.low[i]
    if not d.sentences[i].is_question or d.cues.rhetorical.search(low):
        return False
    if len(words(low)) < 3 or not content_words(low, d.cues):
        return False
    # "Can you send the deck?" asks for a task, not an answer ("can you hear me?" is neither); "can you tell me
    # what the budget is?" asks for an answer.
    request = d.cues.request.search(low)
    if request is None:
        return True
    verb = words(request.group("task"))[:1]
    return not verb or verb[0] in d.cues.state_verbs or asks_to_be_told(request.group("task"), d.cues)


def _as_question(text: str, cues) -> str:
    """The question as asked, without a leading "okay," or "so"."""
    lead = cues.lead_in.match(text.lower())
    text = text[lead.end():] if lead else text
    return text[:1].upper() + text[1:]


def _still_open(d: Dialogue, i: int, decided: set[int]) -> bool:
    """Follow the replies until the asker speaks again: a decision settles the question, a deferral leaves it
    open, a counter-question waits for the asker's answer and goes on."""
    asker = d.sentences[i].speaker
    t = d.reply_turn(i)
    if t is None:
        return True
    seen_answer, countered = False, False
    for turn in d.turns[t:t + 4]:
        if any(j in decided for j in turn.sentences):
            return False
        if turn.speaker == asker:
            if not countered:
                break
            countered = False  # the asker answered the question put back to them; the discussion goes on
            continue
        kind = d.reply_kinds[turn.index]
        if kind == Reply.DEFERRAL:
            return True
        if kind == Reply.QUESTION and not seen_answer:
            countered = True
        else:
            seen_answer = True
    return not seen_answer


def extract(d: Dialogue, decided: set[int] | None = None) -> list[Point]:
    """Open questions; ``decided`` are the sentences a decision was read from (they settle what was asked)."""
    decided = decided or set()
    open_: list[Point] = []
    for turn in d.turns:
        asked = [i for i in turn.sentences if _asks(d, i)]
        if not asked:
            continue
        last = asked[-1]
        if d.reply_turn(last) is None and len(d.said_after_in_turn(last)) >= 2:
            continue  # the asker went on talking: a question put to the room, not left open
        if not _still_open(d, last, decided):
            continue
        # One open point per turn: the question that says most.
        i = max(asked, key=lambda j: len(content_words(d.low[j], d.cues)))
        text = _as_question(d.sentences[i].text, d.cues)
        open_.append(Point(text=text, speaker=d.sentences[i].speaker, timestamp=round(d.sentences[i].start, 2)))
    return open_[:LIMIT]
