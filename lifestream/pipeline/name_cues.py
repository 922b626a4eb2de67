"""Names from what people say: self-introductions and address by name, as evidence.

"This is Diane in New Jersey", "I'm Sheila", "my name's Adam", "Diane here" name the speaker of the
sentence. "Sheila, can you…" and "what do you think, Marcus?" name whoever answers; "thanks, Diane" whoever
just spoke (and, more weakly, whoever answers); whoever says the name is not that person. "Let me
introduce… this is Ben, he…" names the one who answers, not the presenter. A name said about someone
("Diane's deck", "ask Anne") names nobody. Each cue is a :class:`NameCandidate` with a confidence;
:mod:`lifestream.pipeline.naming` settles them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lifestream.models import NameCandidate, Segment
from lifestream.pipeline.sentences import Sentence, split_sentences

# How far from a sentence the addressed person is looked for (seconds, sentences).
_REACH_S = 20.0
_REACH_SENTENCES = 4

# First names in the census list that are mostly something else in speech: they count as names only
# in a strong frame ("my name is Will", "this is Summer speaking").
_NOT_NAMES = {
    "an", "in", "so", "my", "ok", "un", "long", "young", "else", "major", "golden", "love", "royal", "china",
    "india", "sunny", "will", "can", "may", "hope", "joy", "art", "guy", "grant", "lane", "ivory", "cash",
    "sterling", "crystal", "amber", "ruby", "sky", "rich", "true", "worth", "ha", "ma", "pa", "le", "mi", "na",
    "nu", "su", "ta", "tu", "yu", "yi", "ai", "vi", "bo", "fe", "ja", "jc", "ji", "ka", "li", "lu", "ty", "wm",
    "god", "king", "story", "early", "cherry", "honey", "baby", "precious", "ocean", "river", "rain", "merry",
    "christian", "summer", "autumn", "winter", "dawn", "april", "june", "august", "january",
}


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """First names (lower case) from the US census lists shipped in the ``names`` package (MIT).

    The list only raises confidence: a name it lacks ("Priya") still counts when said in a strong frame
    ("my name is Priya") or heard twice.
    """
    out: set[str] = set()
    for table in ("dist.female.first", "dist.male.first"):
        for line in resources.files("names").joinpath(table).read_text(encoding="ascii").splitlines():
            if line.strip():
                out.add(line.split()[0].lower())
    return frozenset(out - _NOT_NAMES - _function_words())


@lru_cache(maxsize=1)
def _function_words() -> frozenset[str]:
    """Never a name, however it is capitalised ("So", "In", "Here")."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS - {"bill", "will"})


def _is_given_name(word: str) -> bool:
    return word.lower() in given_names()


# A capitalised name, optionally a capitalised surname; never a possessive ("Diane's deck", "Diane
# Smith's"): the atomic group keeps a possessive surname from backing off to a bare first name.
_NAME = r"(?>(?P<name>[A-Z][a-z]+(?:-[A-Z][a-z]+)?)(?P<last>\s+(?:Mc|Mac|O')?[A-Z][a-z]+)?)(?!['’]s\b)(?![\w'’-])"
_START = r"(?:^|[,;:]\s+)(?:(?i:hi|hello|hey|yeah|yes|okay|ok|so|and|oh|well|um|uh|right|alright)[,!]?\s+)*"


@dataclass(frozen=True)
class _Cue:
    pattern: re.Pattern[str]
    known: float  # confidence when the name is a known given name
    unknown: float | None  # when it is not (None: not a name then)
    may_present: bool = False  # "this is Ben" can also present someone else


# Self-introductions: the speaker of the sentence is the person named.
_SELF_CUES = (
    _Cue(re.compile(r"\b(?i:my name(?:'s| is))\s+" + _NAME), 0.9, 0.75),
    _Cue(re.compile(r"\b(?i:this is)\s+" + _NAME + r",?\s+(?i:speaking|here)\b"), 0.9, 0.7),
    _Cue(re.compile(r"\b(?i:i'm|i am)\s+" + _NAME), 0.8, 0.4),
    # (Or a capital "This" straight after a word: a sentence end the recogniser left unpunctuated, "heard a
    # beep This is Diane in New Jersey.")
    _Cue(re.compile(r"(?:" + _START + r"(?i:this is)|(?<=[a-z])\s+This is)\s+" + _NAME), 0.75, 0.35, may_present=True),
    _Cue(re.compile(_START + _NAME + r",?\s+(?i:here|speaking)\b"), 0.75, None),
    _Cue(re.compile(_START + r"(?i:it's|it is)\s+" + _NAME + r"\s*(?:[,.!]|$)"), 0.6, None),
    _Cue(re.compile(r"\b(?i:call me)\s+" + _NAME + r"\s*(?:[,.!]|$)"), 0.6, None),
)

# "Let me introduce our new hire. This is Ben, he joins from Berlin." presents the one who speaks next.
_PRESENTING_BEFORE = re.compile(r"\b(?i:introduce|meet|welcome|joining us|joined by|new hire|new colleague)\b")
_PRESENTING_AFTER = re.compile(r"^,?\s+(?i:he|she|who|our|my colleague|my manager|my boss)\b")
# Presenting: evidence for whoever speaks next, and against the presenter.
_PRESENTED = 0.5

_REQUEST = (r"(?i:can you|could you|would you|will you|please|do you|did you|are you|have you|what|how|when|"
            r"where|why|who|which|any|your|you|go ahead|over to you|tell us|let's hear)\b")


@dataclass(frozen=True)
class _Address:
    pattern: re.Pattern[str]
    previous: float  # evidence for the speaker before the sentence
    following: float  # evidence for the speaker after it


# Address by name: the person named is someone else, usually the one who answers (or who just spoke).
_ADDRESS_CUES = (
    # "Sheila, can you send the deck?" / "Diane, what do you think?"
    _Address(re.compile(_START + _NAME + r",\s+" + _REQUEST), 0.0, 0.5),
    # "What do you think, Diane?"
    _Address(re.compile(r",\s+" + _NAME + r"\s*\?\s*$"), 0.0, 0.5),
    # "Over to you, Sheila." / "Go ahead, Diane."
    _Address(re.compile(r"\b(?i:over to you|go ahead|your turn|you're up|the floor is yours),?\s+" + _NAME), 0.0, 0.5),
    # "Thanks, Diane." thanks who just spoke; they often answer too.
    _Address(re.compile(r"\b(?i:thanks|thank you)(?:\s+(?i:so much|very much|a lot))?,?\s+" + _NAME), 0.45, 0.2),
    # "Hi Diane." greets someone who just arrived or is about to speak.
    _Address(re.compile(_START + r"(?i:hi|hello|hey|morning|good morning|good afternoon|welcome),?\s+" + _NAME), 0.3, 0.3),
)
# Whoever says "Diane, can you…" is not Diane.
_ADDRESSER_IS_NOT = 0.6


def _full_name(match: re.Match[str]) -> str:
    return match.group("name") + (match.group("last") or "")


def _neighbour(sentences: list[Sentence], i: int, step: int) -> Sentence | None:
    """The nearest sentence by another speaker before (step -1) or after (step +1) sentence i."""
    here = sentences[i]
    j = i + step
    while 0 <= j < len(sentences) and abs(j - i) <= _REACH_SENTENCES:
        other = sentences[j]
        gap = other.start - here.end if step > 0 else here.start - other.end
        if gap > _REACH_S:
            return None
        if other.speaker != here.speaker:
            return other
        j += step
    return None


def _presents_someone(sentences: list[Sentence], i: int, match: re.Match[str]) -> bool:
    s = sentences[i]
    before = s.text[:match.start("name")]
    if i and sentences[i - 1].speaker == s.speaker:
        before = sentences[i - 1].text + " " + before
    return bool(_PRESENTING_BEFORE.search(before) or _PRESENTING_AFTER.match(s.text[match.end():]))


def introductions(sentences: list[Sentence]) -> list[NameCandidate]:
    out = []
    for i, s in enumerate(sentences):
        if s.is_question:
            continue
        for cue in _SELF_CUES:
            for match in cue.pattern.finditer(s.text):
                first = match.group("name")
                confidence = cue.known if _is_given_name(first) else cue.unknown
                if confidence is None or first.lower() in _function_words():
                    continue
                said = {"name": _full_name(match), "source": "introduction", "evidence": s.text,
                        "timestamp": round(s.start, 2)}
                if cue.may_present and _presents_someone(sentences, i, match):
                    following = _neighbour(sentences, i, 1)
                    if following is not None:
                        out.append(NameCandidate(speaker=following.speaker, confidence=_PRESENTED, **said))
                    out.append(NameCandidate(speaker=s.speaker, confidence=_ADDRESSER_IS_NOT, supports=False, **said))
                    continue
                out.append(NameCandidate(speaker=s.speaker, confidence=confidence, **said))
    return _strongest_per_sentence(out)


def addresses(sentences: list[Sentence], introduced: Iterable[str] = ()) -> list[NameCandidate]:
    """Names said to someone: evidence for the neighbour who answers or just spoke, against the speaker."""
    heard = {n.split()[0].lower() for n in introduced}
    out = []
    for i, s in enumerate(sentences):
        for cue in _ADDRESS_CUES:
            for match in cue.pattern.finditer(s.text):
                first = match.group("name")
                if first.lower() in _NOT_NAMES or not (_is_given_name(first) or first.lower() in heard):
                    continue
                name = _full_name(match)
                said = {"name": name, "source": "addressed", "evidence": s.text, "timestamp": round(s.start, 2)}
                for step, confidence in ((-1, cue.previous), (1, cue.following)):
                    other = _neighbour(sentences, i, step) if confidence else None
                    if other is not None:
                        out.append(NameCandidate(speaker=other.speaker, confidence=confidence, **said))
                out.append(NameCandidate(speaker=s.speaker, confidence=_ADDRESSER_IS_NOT, supports=False, **said))
    return out


def _strongest_per_sentence(candidates: list[NameCandidate]) -> list[NameCandidate]:
    """Overlapping cues ("this is Diane speaking" is also "this is Diane") count once, at their best."""
    best: dict[tuple, NameCandidate] = {}
    for c in candidates:
        key = (c.speaker, c.timestamp, c.name.split()[0].lower(), c.supports)
        if key not in best or c.confidence > best[key].confidence or (
                c.confidence == best[key].confidence and len(c.name) > len(best[key].name)):
            best[key] = c
    return list(best.values())


def candidates_from_transcript(segments: list[Segment]) -> list[NameCandidate]:
    """The offline rules over a diarized transcript."""
    sentences = split_sentences(segments)
    intros = introductions(sentences)
    return intros + addresses(sentences, [c.name for c in intros])
