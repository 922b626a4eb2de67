"""Action items from what people commit to, and from requests that someone accepted.

One task can be said several times: asked for ("Marcus, can you fix the
rounding bug?"), accepted ("Yes, I'll fix it by Friday"), restated. Each
statement is read with its place in the exchange, so the request and its
acceptance become one item whose owner is who accepted it and whose deadline
is the one agreed, and "I'll do that" takes its task from what it answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from lifestream.models import ActionItem
from lifestream.pipeline.due_dates import due_pattern, find_due
from lifestream.pipeline.minutes_offline.cues import Cues
from lifestream.pipeline.minutes_offline.dialogue import Dialogue, Reply
from lifestream.pipeline.minutes_offline.text import anaphoric, capitalise, clean_clause, content_words, overlap, words

# Statements of one task further apart than this are two tasks, unless the later one says it again in the same
# words (``_said_again``).
MERGE_WINDOW_S = 120.0
TEAM = "team"


@dataclass
class Task:
    """An action item while the exchange is still being read."""

    text: str
    owner: str | None
    speaker: str  # who first said it
    sentence: int
    start: float
    due: str | None = None
    due_date: str | None = None
    kind: str = "self"  # self | request | team | assignment
    addressee: str | None = None  # who "you" is in the task
    requester: str | None = None  # who "me" is in the task
    said_in: list[int] = field(default_factory=list)  # every sentence that stated it
    variants: list[str] = field(default_factory=list)  # every wording it was said in

    def take_due(self, due: tuple[str | None, str | None]) -> None:
        if due[0]:
            self.due, self.due_date = due


@dataclass(frozen=True)
class Clause:
    sentence: int
    kind: str
    text: str  # the task as said, lower-case
    original: str  # the same span in the sentence's own casing
    start: int  # offset of the task in the sentence
    name: str | None = None  # the person named as owner ("Tom can…") or addressed ("Lucy, could you…")
    name_at: int = -1  # offset of that name in the sentence


@dataclass
class Extraction:
    tasks: list[Task]
    # Sentences whose proposal became someone's task: not decisions as well.
    taken_on: set[int]


def _clause_bounds(low: str, original: str, cues: Cues) -> list[int]:
    """Where the commitments in a sentence start: "I'll be on call, and I'll watch the dashboard" is two."""
    starts = {0} | {m.start() for m in cues.clause_start.finditer(low)}
    starts |= {m.start("name") for m in cues.assignment.finditer(original)}
    return sorted(starts)


def _clauses(dialogue: Dialogue, i: int) -> list[Clause]:
    cues = dialogue.cues
    sentence = dialogue.sentences[i]
    low, original = dialogue.low[i], sentence.text.replace("\u2019", "'")
    bounds = _clause_bounds(low, original, cues) + [len(low)]
    out: list[Clause] = []
    for a, b in pairwise(bounds):
        found = _one_clause(low[a:b], original[a:b], cues, sentence.is_question)
        # "Send me the quote so I can book it": a promise inside a reason is no promise.
        if found and found[0] in ("self", "offer", "inflected") and cues.subordinate_end.search(low[:a]):
            continue
        if found:
            kind, start, name, name_at = found
            said = original[a + start:b]
            if kind == "inflected" and cues.self_inflected and cues.inflected_task:
                # "je réserverai la salle" -> "réserver la salle": the task as an infinitive phrase.
                m = cues.self_inflected.search(low[a:b])
                said = cues.inflected_task(m, original[a:b]) if m else said
            out.append(Clause(i, kind, said.lower(), said, a + start, name, a + name_at if name_at >= 0 else -1))
    return out


def _one_clause(low: str, original: str, cues: Cues, question: bool) -> tuple[str, int, str | None, int] | None:
    if m := cues.request.search(low):
        vocative = re.match(r"^(?:\w+[,.]\s+)*?([A-Z][a-z]+),\s", original[: m.start("task")] + " ")
        return "request", m.start("task"), vocative.group(1) if vocative else None, vocative.start(1) if vocative else -1
    if question:
        return None
    for kind, pattern in (("self", cues.self_commit), ("offer", cues.self_offer), ("team", cues.team_task)):
        if m := pattern.search(low):
            return kind, m.start("task"), None, -1
    if m := cues.assignment.search(original):
        return "assignment", m.start("task"), m.group("name"), m.start("name")
    if cues.self_inflected and (m := cues.self_inflected.search(low)):
        return "inflected", m.start(), None, -1
    return None


def _verb(text: str) -> str:
    first = words(text)[:1]
    return first[0] if first else ""


def _is_real_task(text: str, cues: Cues) -> bool:
    if cues.not_a_task.match(text) or _verb(text) in cues.state_verbs or asks_to_be_told(text, cues):
        return False
    return len(words(text)) >= 2


def asks_to_be_told(task: str, cues: Cues) -> bool:
    """Whether a request's task (lower case) asks for an answer rather than for work."""
    return bool(cues.information_request and cues.information_request.match(task))


def _anaphoric(text: str, cues: Cues) -> bool:
    return anaphoric(without_due(text, cues), cues)


def _thin(text: str, cues: Cues) -> bool:
    """ "have a draft by the fifteenth": a light verb and one word, too little to stand for a task on its own."""
    rest = without_due(text, cues)
    return _verb(rest) in cues.light_verbs and len(content_words(rest, cues)) < 2


def without_due(text: str, cues: Cues) -> str:
    return re.sub(r"\s+", " ", due_pattern(cues.language).sub(" ", text)).strip()


def _object_of(text: str, cues: Cues) -> str:
    """What a clause is about, to stand in for "it": the words after its verb, up to a comma."""
    ws = text.split(" ", 1)
    rest = ws[1] if len(ws) > 1 else ""
    return cues.object_end.split(rest, maxsplit=1)[0].strip()


_PROPER = re.compile(r"(?<!^)(?<![.?!] )\b((?:[A-Z][a-z]+\s+)*[A-Z][a-z]+)\b")


def _substitute(task: str, antecedent_original: str, antecedent_core: str, cues: Cues) -> str:
    """Put the antecedent in place of the pronoun: "write to her" after "ask Professor Lin" -> "write to Professor Lin"."""
    ws = task.split()
    for n, w in enumerate(ws[:5]):
        bare = w.lower().strip(",.")
        if n and bare in cues.person_pronouns:
            person = _PROPER.findall(antecedent_original)
            if person:
                ws[n] = person[0]
                return " ".join(ws)
        if n and bare in cues.anaphora:
            thing = antecedent_core if cues.a_thing.match(antecedent_core) else _object_of(antecedent_core, cues)
            if thing and not set(words(thing)) & (cues.anaphora | cues.person_pronouns):
                ws[n] = thing
                return " ".join(ws)
    # Nothing to put in its place: the words as said ("send them a reminder") beat a guess.
    return task


class _Reader:
    def __init__(self, dialogue: Dialogue, reference: date, names: dict[str, str]) -> None:
        self.d = dialogue
        self.cues = dialogue.cues
        self.reference = reference
        self.by_name = {n.lower(): label for label, n in names.items()}
        self.by_name.update({n.split()[0].lower(): label for label, n in names.items() if n.split()})
        self.tasks: list[Task] = []
        self.consumed: set[tuple[int, int]] = set()  # (sentence, clause start) already part of a task
        self.taken_on: set[int] = set()
        self.proposals = dialogue.proposals

    def due(self, i: int, text: str | None = None) -> tuple[str | None, str | None]:
        return find_due(text if text is not None else self.d.sentences[i].text, self.reference, self.cues.language)

    def run(self) -> Extraction:
        for i in range(len(self.d)):
            for clause in _clauses(self.d, i):
                if (i, clause.start) in self.consumed:
                    continue
                handler = getattr(self, f"_{clause.kind}")
                handler(clause)
        return Extraction(self.tasks, self.taken_on)

    # --- each kind of statement -----------------------------------------------------------------------------

    def _new(self, clause: Clause, owner: str | None, kind: str, text: str | None = None) -> Task:
        s = self.d.sentences[clause.sentence]
        wording = text if text is not None else clause.original
        task = Task(text=wording, owner=owner, speaker=s.speaker, sentence=clause.sentence, start=s.start, kind=kind,
                    said_in=[clause.sentence], variants=[wording])
        # A clause without a deadline shares its sentence's: "I'll be on call Monday and I'll watch the dashboard".
        task.take_due(self.due(clause.sentence, clause.original))
        if not task.due:
            task.take_due(self.due(clause.sentence))
        return task

    def _request(self, clause: Clause) -> None:
        i = clause.sentence
        if not _is_real_task(clause.text, self.cues):
            return
        asker = self.d.sentences[i].speaker
        task = self._new(clause, None, "request")
        task.requester = asker
        named = self.by_name.get((clause.name or "").lower())
        if named == asker:
            named = None
        reply, t = self.d.reply_to(i)
        acceptance = self._first_commitment(t) if t is not None else None
        reply_text = " ".join(self.d.sentences[j].text for j in self.d.turns[t].sentences[:2]) if t is not None else ""
        # "I can't do Friday. Monday would work." refuses the date, not the task.
        counter = (reply in (Reply.OBJECTION, Reply.DEFERRAL)
                   and find_due(reply_text, self.reference, self.cues.language)[0] is not None)
        if t is not None and (acceptance or counter or reply in (Reply.ASSENT, Reply.COMMITMENT, Reply.ANSWER)):
            task.owner = self.d.turns[t].speaker
            task.addressee = asker
            task.take_due(find_due(reply_text, self.reference, self.cues.language))
            if acceptance:
                self._absorb(task, acceptance)
        elif reply in (Reply.OBJECTION, Reply.DEFERRAL):
            return  # asked, not accepted
        else:
            task.owner = named  # nobody answered: whoever was asked, if we know who that is
        if _anaphoric(task.text, self.cues):
            antecedent = self._antecedent(i)
            if antecedent is not None:
                task.text = _substitute(task.text, self.d.sentences[antecedent].text, self._core(antecedent, i), self.cues)
        self._add(task)

    def _self(self, clause: Clause) -> None:
        self._commitment(clause, offer=False)

    def _offer(self, clause: Clause) -> None:
        self._commitment(clause, offer=True)

    def _inflected(self, clause: Clause) -> None:
        self._commitment(clause, offer=True, strict=True)

    def _commitment(self, clause: Clause, *, offer: bool, strict: bool = False) -> None:
        i = clause.sentence
        text = clause.original
        if not _is_real_task(clause.text, self.cues):
            return
        speaker = self.d.sentences[i].speaker
        previous = self.d.turn_of[i] - 1
        answers = previous >= 0 and self.d.sentences[self.d.turns[previous].sentences[-1]].text.rstrip().endswith("?")
        if offer and (strict or _verb(clause.text) in self.cues.light_verbs) and not (
                self.due(i, text)[0] or answers or self._replies_to_task_or_proposal(i)):
            # "I can do Friday" offers a time, not a task, unless it answers someone; so does any statement
            # in the present tense ("ich arbeite im Marketing" is no promise; "ich bestelle es bis Freitag" is).
            return
        task = self._new(clause, speaker, "self")
        task.addressee = self.d.turns[previous].speaker if previous >= 0 else None
        if previous >= 0 and task.addressee != speaker and _verb(clause.text) in self.cues.light_verbs:
            # "(… a guest list of ten customers.) Sure, I'll have a list by Friday.": the thing as it was just named.
            asked = " ".join(self.d.sentences[j].text for j in self.d.turns[previous].sentences)
            task.text = _named_in_full(task.text, asked, self.cues)
            task.variants = [task.text]
        if _anaphoric(task.text, self.cues) or _thin(task.text, self.cues):
            if self._attach(task, i):
                return
            antecedent = self._antecedent(i)
            if antecedent is None:
                if _anaphoric(task.text, self.cues):
                    return  # "I'll do that" with nothing it could refer to
            else:
                verb = _verb(clause.text)
                core = self._core(antecedent, i)
                task.text = core if verb in self.cues.light_verbs else _substitute(
                    clause.original, self.d.sentences[antecedent].text, core, self.cues)
                task.variants.append(task.text)
                # A suggestion taken on at once ("We could ask Lin." - "I'll write to her") is a task, not a
                # decision; a conclusion ("Then we do the tickets." - "Leave it with me.") is both.
                suggestion = antecedent in self.proposals and not self.d.concludes(antecedent)
                if suggestion and self.d.turn_of[i] - self.d.turn_of[antecedent] <= 1:
                    self.taken_on.add(antecedent)
        self._add(task)

    def _team(self, clause: Clause) -> None:
        if self.cues.meeting_verbs.match(clause.text) or not _is_real_task(clause.text, self.cues):
            return
        if clause.sentence == self._purpose_sentence:
            return
        reply, _ = self.d.reply_to(clause.sentence)
        later = self.d.said_after_in_turn(clause.sentence)
        # "We should X." - "Yes, good idea." is a decision; the decisions module has it.
        if "should" in self.d.low[clause.sentence][:clause.start] and reply == Reply.ASSENT and not later:
            return
        self._add(self._new(clause, TEAM, "team"))

    def _assignment(self, clause: Clause) -> None:
        if not _is_real_task(clause.text, self.cues) or clause.name is None:
            return
        name = clause.name
        opening = self.cues.lead_in.match(self.d.low[clause.sentence])
        at_start = clause.name_at <= (opening.end() if opening else 0)
        if name.lower() in self.cues.stopwords or (at_start and name.lower() not in self.by_name
                                                   and not self._named_elsewhere(name)):
            return
        owner = self.by_name.get(name.lower()) or self.by_name.get(name.split()[0].lower())
        reply, t = self.d.reply_to(clause.sentence)
        task = self._new(clause, owner or name, "assignment")
        if owner is None and t is not None and reply in (Reply.ASSENT, Reply.COMMITMENT):
            task.owner = self.d.turns[t].speaker
            acceptance = self._first_commitment(t)
            if acceptance:
                self._absorb(task, acceptance)
        self._add(task)

    # --- context -------------------------------------------------------------------------------------------------

    @property
    def _purpose_sentence(self) -> int | None:
        from lifestream.pipeline.minutes_offline.topic import purpose_sentence

        return purpose_sentence(self.d)

    def _named_elsewhere(self, name: str) -> bool:
        """A capitalised word is a name if it is also capitalised in the middle of a sentence somewhere."""
        return any(re.search(rf"(?<!^)(?<![.?!] )\b{re.escape(name)}\b", s.text) for s in self.d.sentences)

    def _first_commitment(self, turn: int | None) -> Clause | None:
        """The promise that accepts a request: the first in the reply, unless it is plainly another task."""
        if turn is None:
            return None
        for j in self.d.turns[turn].sentences[:2]:
            for clause in _clauses(self.d, j):
                if clause.kind in ("self", "offer", "inflected") and not self.cues.also.search(clause.text):
                    return clause
        return None

    def _absorb(self, task: Task, clause: Clause) -> None:
        self.consumed.add((clause.sentence, clause.start))
        task.said_in.append(clause.sentence)
        task.variants.append(clause.original)
        task.take_due(self.due(clause.sentence, clause.original))
        light = _verb(task.text) in self.cues.light_verbs
        says_more = len(content_words(without_due(clause.text, self.cues), self.cues)) >= 2
        if light and says_more and not _anaphoric(clause.text, self.cues):
            task.text = clause.original  # "take care of the lease notice" - "I'll send the notice letter"

    def _replies_to_task_or_proposal(self, i: int) -> bool:
        previous = self.d.turn_of[i] - 1
        if previous < 0:
            return False
        return any(j in self.proposals or any(j in t.said_in for t in self.tasks)
                   for j in self.d.turns[previous].sentences)

    def _antecedent(self, i: int) -> int | None:
        """The sentence a bare "that" points to: the latest proposal or "who will…?" just before, else the
        question that opened the exchange ("And the ethics statement, do we need one?")."""
        lo = self.d.turns[max(0, self.d.turn_of[i] - 3)].sentences[0]
        for j in range(i - 1, lo - 1, -1):  # the nearest wins
            if self.d.sentences[i].start - self.d.sentences[j].end > 45:
                break
            # "I've got twenty pairs of gloves. I can bring those.": the things the speaker just counted.
            plural = bool(set(words(self.d.low[i])) & {"those", "these", "them"})
            if plural and self.d.turn_of[j] == self.d.turn_of[i] and _counted(self.d.sentences[j].text, self.cues):
                return j
            if j in self.proposals or self.cues.who_question.search(self.d.low[j]):
                return j
            # A plain question is what "it" means only within the same exchange.
            in_exchange = self.d.turn_of[i] - self.d.turn_of[j] <= 1
            if in_exchange and self.d.sentences[j].is_question and _noun_phrase(self.d.sentences[j].text, self.cues):
                return j
        # "I'll do that" right after someone said what should happen: that statement.
        previous = self.d.turn_of[i] - 1
        if previous >= 0 and self.d.turns[previous].speaker != self.d.sentences[i].speaker:
            j = self.d.turns[previous].sentences[-1]
            if not self.d.sentences[j].is_question and len(content_words(self.d.low[j], self.cues)) >= 2:
                return j
        return None

    def _core(self, j: int, asked_by: int | None = None) -> str:
        """What sentence ``j`` stands for when sentence ``asked_by`` points back at it."""
        who = self.cues.who_question.search(self.d.low[j])
        if who:
            return self.cues.base_form(clean_clause(self.d.sentences[j].text[who.start("task"):], self.cues))
        if j in self.proposals:
            return self.proposals[j]
        if self.d.sentences[j].is_question:
            return _noun_phrase(self.d.sentences[j].text, self.cues) or clean_clause(self.d.sentences[j].text, self.cues)
        same_turn = asked_by is not None and self.d.turn_of[j] == self.d.turn_of[asked_by]
        if same_turn and (phrase := _counted(self.d.sentences[j].text, self.cues)):
            return phrase
        # A statement of what should happen: "(then) we cut them down to fifteen seats" -> "cut them down…".
        return self.cues.as_infinitive(self.cues.subject.sub("", clean_clause(self.d.sentences[j].text, self.cues)))

    def _attach(self, task: Task, i: int) -> bool:
        """ "I'll write them in December" after "we should prepare the help articles": one task, now owned."""
        speaker = self.d.sentences[i].speaker
        for earlier in reversed(self.tasks):
            if task.start - earlier.start > 45:
                break
            same_turn = self.d.turn_of[earlier.sentence] == self.d.turn_of[i]
            # "I'll ask her if she can come" names a person, not the task before it.
            about_a_person = bool(set(words(task.text)[1:4]) & self.cues.person_pronouns)
            answers_it = self.d.turn_of[earlier.sentence] == self.d.turn_of[i] - 1 and not about_a_person
            if (same_turn and earlier.owner in (speaker, TEAM) and not about_a_person) or (
                    answers_it and earlier.owner in (TEAM, None)):
                if earlier.owner == TEAM and earlier.sentence in self.proposals:
                    self.taken_on.add(earlier.sentence)
                earlier.owner = speaker
                earlier.said_in.append(i)
                if task.due:
                    earlier.due, earlier.due_date = task.due, task.due_date
                return True
        return False

    def _add(self, task: Task) -> None:
        """Add, or merge with an earlier statement of the same task."""
        for earlier in reversed(self.tasks):
            if task.start - earlier.start > MERGE_WINDOW_S:
                if _said_again(earlier, task, self.cues):
                    _merge(earlier, task)
                    return
                continue
            compatible = earlier.owner in (task.owner, TEAM, None) or task.owner in (TEAM, None)
            similar = max(overlap(a, b, self.cues) for a in earlier.variants for b in task.variants)
            # "We need to give notice on the lease." - "Nadia, can you take care of the notice?": handed over.
            handed_over = (earlier.owner == TEAM and task.kind == "request"
                           and self.d.turn_of[task.sentence] - self.d.turn_of[earlier.sentence] <= 2
                           and _shared(earlier.variants, task.variants, self.cues))
            # "I need to ask finance first. I'll talk to finance tomorrow.": one task, said twice in a row.
            restated = (earlier.owner == task.owner and earlier.sentence == task.sentence - 1
                        and self.d.turn_of[earlier.sentence] == self.d.turn_of[task.sentence]
                        and _shared(earlier.variants, task.variants, self.cues))
            if compatible and (similar >= 0.5 or handed_over or restated):
                _merge(earlier, task)
                return
        self.tasks.append(task)


def _merge(earlier: Task, task: Task) -> None:
    """``task`` is another statement of ``earlier``: it may name the owner, and its deadline is the later word."""
    if earlier.owner in (TEAM, None) and task.owner not in (TEAM, None):
        earlier.owner, earlier.addressee = task.owner, task.addressee
    if task.due:
        earlier.due, earlier.due_date = task.due, task.due_date
    earlier.said_in += task.said_in
    earlier.variants += task.variants


def _said_again(earlier: Task, task: Task, cues: Cues) -> bool:
    """Whether a task stated long after ``earlier`` is the same one said again: a recap at the end of the meeting
    ("just to confirm, I'll fix the rounding bug by Friday"). Further apart than MERGE_WINDOW_S only the same owner
    in the same words counts: every content word of the shorter wording, two or more, is in the other."""
    if earlier.owner != task.owner:
        return False
    return any(overlap(a, b, cues) == 1.0 for a in earlier.variants for b in task.variants)


def _named_in_full(task: str, before: str, cues: Cues) -> str:
    """ "have a list by Friday" after "put together a guest list" -> "have a guest list by Friday": a reply names
    briefly what the turn it answers named in full (and the recogniser may have lost the request around it)."""
    m = re.match(r"(\S+\s+)(a|an|the)\s+([\w'-]+)\b", task, re.IGNORECASE)
    if not m or m.group(3).lower() in cues.stopwords:
        return task
    noun = re.escape(m.group(3))
    full = re.search(rf"\b(?:a|an|the|our|your|this)\s+((?:[\w'-]+\s+){{1,2}}){noun}\b", before, re.IGNORECASE)
    if not full or set(words(full.group(1))) & (cues.function_words | cues.anaphora):
        return task
    return f"{m.group(1)}{m.group(2)} {full.group(1)}{task[m.start(3):]}"


def _shared(a: list[str], b: list[str], cues: Cues) -> bool:
    return bool({w for t in a for w in content_words(t, cues)} & {w for t in b for w in content_words(t, cues)})


def _counted(text: str, cues: Cues) -> str | None:
    """ "twenty pairs of gloves": a number and what it counts."""
    m = cues.counted.search(text)
    return m.group(0) if m else None


def _noun_phrase(text: str, cues: Cues) -> str | None:
    """The first determined phrase of a sentence, up to a function word: what a question is about."""
    for m in cues.determined.finditer(text):
        kept = []
        for w in m.group(1).split():
            if w.lower() in cues.function_words:
                break
            kept.append(w)
        if kept:
            article = cues.article if cues.article is not None else text[m.start():m.start(1)].strip()
            return f"{article} {' '.join(kept)}".strip()
    return None


def extract(dialogue: Dialogue, reference: date, names: dict[str, str] | None = None) -> Extraction:
    return _Reader(dialogue, reference, names or {}).run()


def to_items(tasks: list[Task], cues: Cues) -> list[ActionItem]:
    items = []
    for t in tasks:
        text = capitalise(clean_clause(without_due(t.text, cues), cues))
        if len(words(text)) < 2:
            continue
        items.append(ActionItem(task=text, owner=t.owner, due=t.due, due_date=t.due_date,
                                timestamp=round(t.start, 2), speaker=t.speaker))
    return items

