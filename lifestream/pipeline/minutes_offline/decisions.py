"""Decisions: what was said to be decided, and proposals the others agreed to.

A proposal ("what if we ship dark mode first?", "we could borrow the card
reader", "let's book the island booth") becomes a decision when the next
speaker assents before anyone takes it on as a task; one person taking it on
at once ("We could ask Lin." - "I'll write to her") makes it an action item
instead. A discussion that ends in a restatement ("Then let's borrow it.") is
one decision, worded from whichever statement names it best.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from lifestream.models import Point
from lifestream.pipeline.minutes_offline.cues import Cues
from lifestream.pipeline.minutes_offline.dialogue import Dialogue, Reply
from lifestream.pipeline.minutes_offline.text import (
    anaphoric,
    capitalise,
    clean_clause,
    content_words,
    lower_first,
    overlap,
    words,
)

# Statements of one decision this many turns apart or fewer are one discussion.
THREAD_TURNS = 3
# A question is settled within this many turns ("Should it…?" - "What would that take?" - … - "Then we do it.").
QUESTION_TURNS = 6
# How alike two spellings must be to be one word heard twice ("hall" / "haul": 0.75).
HEARD_ALIKE = 0.75
# A decision with this many content words reads on its own even with an "it" in it.
SAYS_ENOUGH = 4


@dataclass
class Decided:
    core: str  # "keep the old template available for one more month"
    form: str  # "to" (decided to …) or "that" (agreed that …)
    sentence: int
    explicit: bool  # said to be decided, not inferred from assent


def _explicit(d: Dialogue, i: int) -> Decided | None:
    m = d.cues.decided.search(d.low[i])
    if not m:
        return None
    # "We decided last week to drop the preview, right?" - "Yes." confirms it; any other question asks.
    confirmed = d.cues.rhetorical.search(d.low[i]) and d.reply_to(i)[0] in (Reply.ASSENT, Reply.ANSWER)
    if d.sentences[i].is_question and not confirmed:
        return None
    group = next(n for n, g in m.groupdict().items() if g and n.startswith("core"))
    original = d.sentences[i].text
    core = clean_clause(original[m.start(group):m.end(group)], d.cues)
    core = d.cues.rhetorical.sub("", core + "?").rstrip("?").strip() if d.sentences[i].is_question else core
    core = clean_clause(core, d.cues)
    form = "to"
    if (group == "core1" and m.group("link") == "that" or group in ("core2", "core7")
            or (group == "core3" and m.group("link3") == "that")):
        form = "that"
    elif group == "core4":
        core = "go with " + core.split(" with ", 1)[1] if " with " in core else core
    elif group in ("core5", "core6"):
        core = "go with " + core
    if len(words(core)) < 2:
        return None
    return Decided(core, form, i, explicit=True)


def _assented(d: Dialogue, i: int, taken_on: set[int]) -> Decided | None:
    core = d.proposals.get(i)
    if core is None or i in taken_on:
        return None
    answers = d.replies_to(i)
    replies = [kind for kind, _ in answers]
    reply = replies[0] if replies else Reply.NONE
    # Agreed by the next speaker, or by the one after when the first only added to it ("A breed." - "Works for me."),
    # or taken up by the next speaker's own conclusion ("The threshold should be two minutes." - "Let's set it to two
    # minutes."): the "agreed" before it may be lost to the recogniser, the conclusion says it anyway.
    accepted = reply == Reply.ASSENT or (reply == Reply.ANSWER and (
        replies[1:2] == [Reply.ASSENT] or any(_taken_up(d, core, t) for _, t in answers[:2])))
    closes = _closes_discussion(d, i, core) and reply != Reply.OBJECTION
    if not (accepted or closes):
        return None
    assent_turn = next((t for kind, t in d.replies_to(i) if kind == Reply.ASSENT), None)
    if assent_turn is not None and (named := _named_in_assent(d, assent_turn)):
        # "People could bring their own food." - "Fine, a picnic then.": the choice has a name; the proposal says what it means.
        return Decided(f"{named} ({lower_first(core, d.cues)})", "on", i, explicit=False)
    return Decided(core, _form(core, d.cues), i, explicit=False)


def _endorsed_statement(d: Dialogue, i: int) -> Decided | None:
    """ "(Then) we go ahead with two hires." - "Fine with me.": whatever the recogniser made of the words that
    mark it a conclusion, an answer that only a proposal gets ("fine by me", "agreed") says it was one."""
    statement, endorsement = d.cues.we_statement, d.cues.endorsement
    if statement is None or endorsement is None or d.sentences[i].is_question or i in d.proposals:
        return None
    if d.turns[d.turn_of[i]].sentences[-1] != i or not (m := statement.match(d.low[i])):
        return None
    replies = d.replies_to(i)
    if not replies or any(kind in (Reply.OBJECTION, Reply.DEFERRAL) for kind, _ in replies):
        return None
    if not any(endorsement.match(d.low[d.turns[t].sentences[0]].strip()) for _, t in replies):
        return None
    # Kept as the statement it was ("that we …"): its verb may be mis-heard, and no infinitive is safe to make of it.
    core = clean_clause(d.sentences[i].text[m.start("core"):m.end("core")], d.cues)
    return Decided(core, "that", i, explicit=False) if len(words(core)) >= 3 else None


def _taken_up(d: Dialogue, core: str, turn: int) -> bool:
    first = d.turns[turn].sentences[0]
    if not d.concludes(first):
        return False
    conclusion = d.proposals[first]
    return anaphoric(conclusion, d.cues) or bool(set(content_words(conclusion, d.cues)) & set(content_words(core, d.cues)))


def _named_in_assent(d: Dialogue, turn: int) -> str | None:
    if d.cues.assent_names is None:
        return None
    m = d.cues.assent_names.match(d.low[d.turns[turn].sentences[0]])
    return m.group("np") if m else None


def _form(core: str, cues: Cues) -> str:
    """How the summary says it: "decided to <verb…>", "that <clause>", or "on <noun phrase>"."""
    if cues.should_be.search(f" {core.lower()} "):
        return "that"
    return "on" if cues.noun_first.match(core) else "to"


def _closes_discussion(d: Dialogue, i: int, core: str) -> bool:
    """A restatement after assent: "We could borrow the card reader." - "Great idea." - "Then let's borrow it."."""
    previous = d.turn_of[i] - 1
    if previous < 1 or d.reply_kinds[previous] != Reply.ASSENT:
        return False
    proposed = [d.proposals[j] for j in d.turns[previous - 1].sentences if j in d.proposals]
    return any(anaphoric(core, d.cues) or set(content_words(core, d.cues)) & set(content_words(p, d.cues))
               for p in proposed)


def _resolve(d: Dialogue, decided: Decided) -> Decided:
    """ "we'll do that" / "let's borrow it" take their words from the proposal they answer."""
    if settled := _settled_question(d, decided):
        return settled
    if not anaphoric(decided.core, d.cues, enough=SAYS_ENOUGH):
        return decided
    lo = d.turns[max(0, d.turn_of[decided.sentence] - THREAD_TURNS)].sentences[0]
    for j in range(decided.sentence - 1, lo - 1, -1):
        core = d.proposals.get(j)
        if core and d.is_choice(j):
            chosen = _chosen(core, decided.core, d.cues)
            if chosen:
                return Decided(chosen, "to", decided.sentence, decided.explicit)
        elif core and not anaphoric(core, d.cues, enough=SAYS_ENOUGH):
            return Decided(core, _form(core, d.cues), decided.sentence, decided.explicit)
    return decided


def _picked(d: Dialogue, i: int) -> Decided | None:
    """ "The car park or the lifeguard station?" … "Okay, lifeguard station at nine o'clock." closes the choice
    with one of its alternatives, verbless."""
    m = d.cues.weak_assent.match(d.low[i])
    if not m or d.sentences[i].is_question:
        return None
    said = d.sentences[i].text[m.end():].strip(" ,.!")
    picked = set(content_words(said, d.cues))
    if not picked or len(words(said)) > 8 or d.cues.subject.match(said.lower()):
        return None
    # Whoever asked may close their own question after a longer discussion ("Do we have enough tables?" …).
    lo = d.turns[max(0, d.turn_of[i] - QUESTION_TURNS)].sentences[0]
    for j in range(i - 1, lo - 1, -1):
        if not d.sentences[j].is_question:
            continue
        if d.turn_of[i] - d.turn_of[j] > THREAD_TURNS and d.sentences[j].speaker != d.sentences[i].speaker:
            continue
        said_as = [_choice_phrase(a, d.cues) for a in d.cues.or_.split(d.sentences[j].text.rstrip("?"))]
        alternatives = [set(content_words(a, d.cues)) for a in said_as]
        if len(alternatives) < 2:
            continue
        # The pick names one alternative and not the others ("lifeguard station", not "car park").
        named = [n for n, a in enumerate(alternatives) if a and a <= picked]
        if len(named) == 1:
            return Decided(clean_clause(said, d.cues), "on", i, explicit=True)
        # The same word heard twice is not always heard the same ("the hall or the playground?" … "the haul"):
        # a pick close to one alternative's words, and to no other's, is that alternative, as the question said it.
        near = [n for n, a in enumerate(alternatives) if a and all(_heard_alike(w, picked) for w in a)]
        if len(near) == 1:
            return Decided(clean_clause(said_as[near[0]], d.cues), "on", i, explicit=True)
    return None


def _choice_phrase(alternative: str, cues: Cues) -> str:
    """ "Where should we hold it, the hall" -> "the hall": an alternative without the question it is asked in."""
    alternative = alternative.split(",")[-1].strip()
    starts = [m.start() for m in cues.determined.finditer(alternative)]
    return alternative[starts[-1]:] if starts and starts[-1] > 0 else alternative


def _heard_alike(word: str, heard: set[str]) -> bool:
    """ "hall" and "haul": the same first sound and most letters in common (one letter in four may differ)."""
    return any(w == word or (len(word) >= 4 and w[:1] == word[:1]
                             and SequenceMatcher(None, word, w).ratio() >= HEARD_ALIKE) for w in heard)


def _settled_question(d: Dialogue, decided: Decided) -> Decided | None:
    """ "About the contact form. … Should it create a ticket instead?" … "Then we do the tickets." -> "that the
    contact form should create a ticket instead": a terse conclusion says what it settles in the question's words."""
    question, agenda = d.cues.thing_question, d.cues.agenda_item
    if question is None or agenda is None or len(content_words(decided.core, d.cues)) > 2:
        return None
    stems = {w[:4] for w in content_words(decided.core, d.cues)}
    lo = d.turns[max(0, d.turn_of[decided.sentence] - QUESTION_TURNS)].sentences[0]
    for j in range(decided.sentence - 1, lo - 1, -1):
        m = question.match(d.low[j])
        if not m or not stems & {w[:4] for w in content_words(m.group("rest"), d.cues)}:
            continue
        # The thing "it" stands for: the agenda item named just before the question.
        for k in range(j - 1, max(-1, j - 4), -1):
            if item := agenda.match(d.low[k]):
                rest = d.sentences[j].text[m.start("rest"):m.end("rest")]
                core = clean_clause(f"{item.group('np')} should {rest}", d.cues)
                return Decided(core, "that", decided.sentence, decided.explicit)
        return None
    return None


def _chosen(choice: str, decided: str, cues: Cues) -> str | None:
    """ "Then we move them." after "keeping the old blog, or moving the articles over?" -> "move the articles over"."""
    verb, _, _ = decided.partition(" ")
    for alternative in cues.or_.split(choice):
        first, _, rest = alternative.strip().partition(" ")
        if rest and first[:3].lower() == verb[:3].lower():
            return f"{verb.lower()} {rest}"
    return None


def extract(d: Dialogue, taken_on: set[int], purpose: int | None, task_sentences: set[int]) -> list[Decided]:
    found: list[Decided] = []
    for i in range(len(d)):
        if i == purpose:
            continue
        decided = (_explicit(d, i) or (None if i in task_sentences else _assented(d, i, taken_on))
                   or _picked(d, i) or (None if i in task_sentences else _endorsed_statement(d, i)))
        if decided is None:
            continue
        decided = _resolve(d, decided)
        _add(d, found, decided)
    return found


def _add(d: Dialogue, found: list[Decided], new: Decided) -> None:
    for n, old in enumerate(found):
        turns_apart = d.turn_of[new.sentence] - d.turn_of[old.sentence]
        shared = set(content_words(old.core, d.cues)) & set(content_words(new.core, d.cues))
        same = old.core.lower() == new.core.lower() or overlap(old.core, new.core, d.cues) >= 0.5
        # One discussion: "I'd rather take the old desks." … "Then we move the old desks and buy chairs."
        near = turns_apart <= THREAD_TURNS and (same or bool(shared))
        if near:
            # Keep the explicit one; between equals, the later one, which usually sums the discussion up.
            if new.explicit or not old.explicit:
                found[n] = Decided(new.core if not anaphoric(new.core, d.cues, enough=SAYS_ENOUGH) else old.core,
                                   new.form, old.sentence, old.explicit or new.explicit)
            return
    found.append(new)


def to_points(d: Dialogue, decided: list[Decided]) -> list[Point]:
    return [Point(text=capitalise(x.core), speaker=d.sentences[x.sentence].speaker,
                  timestamp=round(d.sentences[x.sentence].start, 2)) for x in decided]
