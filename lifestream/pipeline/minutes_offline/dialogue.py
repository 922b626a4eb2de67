"""Who said what in reply to whom: sentences grouped into turns, and what kind of reply each turn is.

Minutes depend on the exchange, not on single sentences: a request is a task
only once someone accepts it, a question is open only if nobody answered it,
a proposal is a decision when the others agree.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import cached_property

from lifestream.pipeline.minutes_offline.cues import Cues
from lifestream.pipeline.minutes_offline.text import clean_clause, content_words, words
from lifestream.pipeline.sentences import Sentence

# A reply further away than this is a new topic, not an answer.
REPLY_WINDOW_S = 30.0


class Reply(enum.Enum):
    ASSENT = "assent"  # "yes", "sounds good", "will do"
    COMMITMENT = "commitment"  # "I'll do the first round"
    OBJECTION = "objection"  # "no", "I'm not happy about that"
    DEFERRAL = "deferral"  # "I'm not sure", "good question", "let's leave that"
    QUESTION = "question"  # answers a question with a question
    ANSWER = "answer"  # any other statement
    NONE = "none"  # nobody answered


@dataclass(frozen=True)
class Turn:
    index: int
    speaker: str
    sentences: tuple[int, ...]


class Dialogue:
    def __init__(self, sentences: list[Sentence], cues: Cues) -> None:
        self.sentences = sentences
        self.cues = cues
        # Lower-case text with one apostrophe, what every cue is matched on.
        self.low = [s.text.lower().replace("\u2019", "'") for s in sentences]
        turns: list[Turn] = []
        self.turn_of: list[int] = []
        for i, s in enumerate(sentences):
            if turns and turns[-1].speaker == s.speaker and not self._merged_assent(i):
                last = turns[-1]
                turns[-1] = Turn(last.index, last.speaker, last.sentences + (i,))
            else:
                turns.append(Turn(len(turns), s.speaker, (i,)))
            self.turn_of.append(len(turns) - 1)
        self.turns = turns

    def _merged_assent(self, i: int) -> bool:
        """ "Let's book the island booth. Works for me.": nobody says that to their own proposal; it is another
        voice the diarizer merged into the proposer's turn, and it starts a turn of its own."""
        return i > 0 and (i - 1) in self._proposals and self.is_assent_to_others(i)

    def is_assent_to_others(self, i: int) -> bool:
        pattern = self.cues.assent_to_others
        return pattern is not None and bool(pattern.match(self.low[i].strip()))

    def __len__(self) -> int:
        return len(self.sentences)

    def turn_text(self, turn: int, first: int = 2) -> str:
        return " ".join(self.low[i] for i in self.turns[turn].sentences[:first])

    def reply_turn(self, i: int) -> int | None:
        """The turn that answers sentence ``i``: the next speaker's, if it comes soon enough."""
        t = self.turn_of[i] + 1
        if t >= len(self.turns):
            return None
        first = self.turns[t].sentences[0]
        if self.sentences[first].start - self.sentences[i].end > REPLY_WINDOW_S:
            return None
        return t

    def said_after_in_turn(self, i: int) -> list[int]:
        """The same speaker's sentences after ``i`` before anyone else speaks."""
        turn = self.turns[self.turn_of[i]]
        return [j for j in turn.sentences if j > i]

    @cached_property
    def proposals(self) -> dict[int, str]:
        """Sentence -> what it proposes, in its own words ("what if we ship dark mode first" -> "ship dark mode first")."""
        return {i: core for i, (core, _) in self._proposals.items()}

    def concludes(self, i: int) -> bool:
        """A proposal worded as the group's conclusion ("then we do the tickets", "let's…"), not a suggestion."""
        return i in self._proposals and self._proposals[i][1] in ("p9", "p10", "p11", "p17")

    def is_choice(self, i: int) -> bool:
        """ "Are we keeping the old blog, or moving the articles over?" """
        return i in self._proposals and self._proposals[i][1] == "p16"

    @cached_property
    def _proposals(self) -> dict[int, tuple[str, str]]:
        out = {}
        for i, low in enumerate(self.low):
            m = self.cues.proposal.search(low)
            group = next((n for n, g in m.groupdict().items() if g), "") if m else ""
            if not m and (m := self._and_conclusion(i)):
                group = "p17"
            if not m:
                continue
            core = self.cues.as_infinitive(clean_clause(self.sentences[i].text[m.start(group):m.end(group)], self.cues))
            steers = self.cues.steering.match(core.lower()) and not self.cues.plans_ahead.search(core.lower())
            if not steers and len(words(core)) >= 2:
                out[i] = (core, group)
        return out

    def _and_conclusion(self, i: int) -> re.Match[str] | None:
        """A turn's first words "and we move them": "then we move them" as the recogniser often hears it."""
        pattern = self.cues.and_conclusion
        if pattern is None or (i > 0 and self.sentences[i - 1].speaker == self.sentences[i].speaker):
            return None
        return pattern.match(self.low[i])

    @cached_property
    def reply_kinds(self) -> list[Reply]:
        return [self._classify(t) for t in range(len(self.turns))]

    def replies_to(self, i: int, turns: int = 2) -> list[tuple[Reply, int]]:
        """The next few turns by others than the speaker of ``i``, each with what kind of reply it is."""
        first = self.reply_turn(i)
        if first is None:
            return []
        speaker = self.sentences[i].speaker
        found = []
        for t in range(first, min(first + turns, len(self.turns))):
            if self.turns[t].speaker == speaker:
                if self.is_assent_to_others(self.turns[t].sentences[0]):
                    # "Works for me." given to the proposer: a short turn of another voice, merged by the diarizer.
                    found.append((Reply.ASSENT, t))
                break  # the speaker went on: later replies answer that, not ``i``
            found.append((self.reply_kinds[t], t))
        return found

    def reply_to(self, i: int) -> tuple[Reply, int | None]:
        t = self.reply_turn(i)
        return (Reply.NONE, None) if t is None else (self.reply_kinds[t], t)

    def _classify(self, t: int) -> Reply:
        cues = self.cues
        sentences = self.turns[t].sentences
        first = self.low[sentences[0]]
        opening = self.turn_text(t)
        if cues.deferral.search(opening) and not _answered_after_good_question(self, t):
            return Reply.DEFERRAL
        assent = cues.assent.search(first) or cues.weak_assent.match(first)
        if cues.objection.search(first) and not (assent and assent.start() == 0):
            return Reply.OBJECTION
        if assent and not first.rstrip().endswith("?"):
            return Reply.ASSENT
        if cues.self_commit.search(opening) or cues.self_offer.search(opening):
            return Reply.COMMITMENT
        if first.rstrip().endswith("?"):
            return Reply.QUESTION
        return Reply.ANSWER


def _answered_after_good_question(dialogue: Dialogue, t: int) -> bool:
    """ "Good question. It's about fifty thousand." answers; "Good question. Nobody really." does not."""
    sentences = dialogue.turns[t].sentences
    first = dialogue.low[sentences[0]]
    if not dialogue.cues.good_question.search(first) or len(sentences) < 2:
        return False
    rest = dialogue.low[sentences[1]]
    if dialogue.cues.deferral.search(rest):
        return False
    return (any(c.isdigit() for c in rest) or bool(dialogue.cues.number.search(rest))
            or len(content_words(rest, dialogue.cues)) >= 3)
