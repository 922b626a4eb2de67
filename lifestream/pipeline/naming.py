"""Who the speakers are: names from the recording, settled into one name per speaker.

People say who they are ("This is Diane in New Jersey", "I'm Sheila", "my name's Adam") and who they
talk to ("Sheila, can you…" is answered by Sheila; "thanks, Diane" thanks the one who just spoke). Each
such cue becomes a :class:`NameCandidate` — speaker label, name, source, confidence. Every other source
of names (an LLM reading the transcript, the members of the chat the recording was shared in, remembered
voices) produces the same records, and :func:`resolve` settles all of them at once:

- a name a person gave (a rename) is never overridden, and no guess takes a name already confirmed;
- evidence for the same speaker and name adds up (noisy-OR); evidence against (a speaker addressing
  "Diane" is not Diane) scales it down;
- the strongest pair is settled first, and only when it beats the speaker's other free names and the
  name's other free speakers by a margin: two speakers never get one name, and a coin toss is left
  unnamed for a person to settle rather than guessed.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from lifestream.models import SCHEMA_VERSION, Meeting, NameCandidate, NameSource, Segment, SpeakerName
from lifestream.pipeline.sentences import Sentence, split_sentences
from lifestream.settings import Settings

log = logging.getLogger(__name__)

# A guess below this is not shown: one clear self-introduction (0.75+) is enough, one "thanks, Diane"
# (0.45) is not, two independent cues are.
MIN_CONFIDENCE = 0.5
# The settled pair must beat the speaker's next-best free name, and the name's next-best free speaker,
# by this much; otherwise the evidence does not tell them apart.
MARGIN = 0.15
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
    _Cue(re.compile(_START + r"(?i:this is)\s+" + _NAME), 0.75, 0.35, may_present=True),
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


# --- settling the evidence

def _key(candidate: NameCandidate) -> str:
    return candidate.person_id or " ".join(candidate.name.lower().split())


def _same_person(a: str, b: str) -> bool:
    """"diane" and "diane smith" are one person; "diane smith" and "diane jones" are not."""
    if a == b:
        return True
    ta, tb = a.split(), b.split()
    return (len(ta) == 1 or len(tb) == 1) and ta[0] == tb[0]


def _merge_first_names(candidates: list[NameCandidate]) -> dict[int, str]:
    """Each candidate's person key; a bare first name joins the one full name it can belong to."""
    keys = [_key(c) for c in candidates]
    full = {k for k, c in zip(keys, candidates) if not c.person_id and len(k.split()) > 1}
    out = {}
    for i, (k, c) in enumerate(zip(keys, candidates)):
        if not c.person_id and len(k.split()) == 1:
            matches = [f for f in full if f.split()[0] == k]
            if len(matches) == 1:
                k = matches[0]
        out[i] = k
    return out


@dataclass
class _Pair:
    speaker: str
    key: str
    score: float
    support: list[NameCandidate]


def _pairs(candidates: list[NameCandidate]) -> list[_Pair]:
    keys = _merge_first_names(candidates)
    support: dict[tuple[str, str], list[NameCandidate]] = defaultdict(list)
    against: dict[tuple[str, str], list[NameCandidate]] = defaultdict(list)
    for i, c in enumerate(candidates):
        (support if c.supports else against)[(c.speaker, keys[i])].append(c)
    pairs = []
    for (speaker, key), found in support.items():
        miss = 1.0
        for c in found:
            miss *= 1.0 - c.confidence
        score = 1.0 - miss
        for c in against.get((speaker, key), []):
            score *= 1.0 - c.confidence
        pairs.append(_Pair(speaker, key, score, found))
    return pairs


def _display_name(support: list[NameCandidate]) -> str:
    """The fullest form of the name that was heard, its best-supported spelling."""
    return max(support, key=lambda c: (c.person_id is not None, len(c.name.split()), c.confidence)).name


def _strongest_source(support: list[NameCandidate]) -> NameSource:
    """The source of the single strongest piece of evidence: "I'm Tom" over two "thanks, Tom"s."""
    return max(support, key=lambda c: c.confidence).source


def resolve(
    speakers: Iterable[str],
    candidates: Iterable[NameCandidate],
    confirmed: dict[str, SpeakerName] | None = None,
    *,
    min_confidence: float = MIN_CONFIDENCE,
    margin: float = MARGIN,
) -> dict[str, SpeakerName]:
    """One name per speaker and one speaker per name, from all the evidence; confirmed names stand."""
    confirmed = {label: n for label, n in (confirmed or {}).items() if n.confirmed}
    result: dict[str, SpeakerName] = dict(confirmed)
    speakers = [s for s in dict.fromkeys(speakers) if s not in confirmed]
    taken_keys = {n.person_id or " ".join(n.name.lower().split()) for n in confirmed.values()}
    shown = {n.name.lower() for n in confirmed.values()}

    def free(pair: _Pair) -> bool:
        return (pair.speaker in speakers and pair.speaker not in result
                and not any(_same_person(pair.key, k) for k in taken_keys)
                and _display_name(pair.support).lower() not in shown)

    pairs = [p for p in _pairs(list(candidates)) if p.score >= min_confidence]
    while True:
        open_pairs = sorted((p for p in pairs if free(p)), key=lambda p: -p.score)
        settled = None
        for pair in open_pairs:
            rivals = [p.score for p in open_pairs if p is not pair and (
                p.speaker == pair.speaker or _same_person(p.key, pair.key))]
            if all(pair.score - r >= margin for r in rivals):
                settled = pair
                break
        if settled is None:
            break
        result[settled.speaker] = SpeakerName(
            name=_display_name(settled.support), source=_strongest_source(settled.support),
            confidence=round(settled.score, 3), person_id=next((c.person_id for c in settled.support if c.person_id), None),
            evidence=sorted(settled.support, key=lambda c: -c.confidence)[:5],
        )
        taken_keys.add(settled.key)
        shown.add(result[settled.speaker].name.lower())
    return result


# --- the meeting

def apply(meeting: Meeting, names: dict[str, SpeakerName]) -> None:
    """Make ``names`` the meeting's names, keeping ``speaker_names`` (what every surface reads) in step."""
    meeting.speaker_name_sources = {label: names[label] for label in meeting.speakers if label in names}
    meeting.speaker_names = {label: n.name for label, n in meeting.speaker_name_sources.items()}
    meeting.schema_version = SCHEMA_VERSION  # the record now has the fields of this version


def _confirmed(meeting: Meeting) -> dict[str, SpeakerName]:
    found = {label: meeting.name_source(label) for label in meeting.speakers}
    return {label: n for label, n in found.items() if n is not None and n.confirmed}


@dataclass(frozen=True)
class Person:
    """Someone the speakers may be: a member of the chat the recording was shared in."""

    person_id: str  # Slack user id, Teams AAD object id
    display_name: str
    other_names: tuple[str, ...] = ()  # real name, first name, handle


def _norm(name: str) -> str:
    return " ".join(re.sub(r"[^\w' -]", " ", name.lower()).split())


def link_people(candidates: Iterable[NameCandidate], people: Iterable[Person]) -> list[NameCandidate]:
    """A heard name that fits exactly one person (whole name, or first name) becomes that person.

    Linked candidates carry the person's id and display name, so "Diane" heard in the recording and
    "Diane Miller" in the chat are one person to the resolver. Two members a heard name could be stay
    unlinked: the heard name is still evidence, just not for a particular account.
    """
    people = list(people)
    forms: dict[str, set[str]] = defaultdict(set)
    for person in people:
        for form in (person.display_name, *person.other_names):
            full = _norm(form)
            if full:
                forms[full].add(person.person_id)
                forms[full.split()[0]].add(person.person_id)
    by_id = {p.person_id: p for p in people}
    out = []
    for c in candidates:
        ids = forms.get(_norm(c.name), set()) if not c.person_id else set()
        if len(ids) == 1:
            person = by_id[next(iter(ids))]
            c = c.model_copy(update={"person_id": person.person_id, "name": person.display_name})
        out.append(c)
    return out


def add_candidates(meeting: Meeting, candidates: Iterable[NameCandidate], people: Iterable[Person] = ()) -> Meeting:
    """More evidence (chat members, remembered voices) for a named meeting: settle all of it again."""
    meeting.name_candidates = link_people([*meeting.name_candidates, *candidates], people)
    apply(meeting, resolve(meeting.speakers, meeting.name_candidates, _confirmed(meeting)))
    return meeting


def name_speakers(meeting: Meeting, settings: Settings, people: Iterable[Person] = (),
                  extra: Iterable[NameCandidate] = ()) -> Meeting:
    """Name the meeting's speakers from its transcript (and ``extra`` evidence), keeping renames.

    ``people``: who the speakers may be (the chat's members); a heard name that fits one links to them.
    ``extra``: evidence from elsewhere, e.g. speakers recognised by voice.
    """
    if not settings.guess_speaker_names or meeting.transcript is None:
        return meeting
    segments = meeting.transcript.segments
    candidates = candidates_from_transcript(segments)
    methods = ["rules"]
    if settings.llm_base_url:
        from lifestream.pipeline.naming_llm import LlmNamer

        namer = LlmNamer.from_settings(settings)
        heard = namer.candidates(segments, meeting.speakers, hints=[c.name for c in candidates])
        if heard is not None:
            candidates += heard
            methods.append(namer.generator)
    meeting.name_candidates = []
    add_candidates(meeting, [*candidates, *extra], people)
    meeting.models["naming"] = "+".join(methods)
    return meeting


def confirm_names(meeting: Meeting, names: dict[str, str]) -> Meeting:
    """Names a person gave (rename). Each stands over any guess; the other speakers are settled again.

    Clearing a guessed name (empty, or the bare label) records that it was wrong for that speaker;
    clearing a confirmed one hands the speaker back to the guesses.
    """
    confirmed = _confirmed(meeting)
    for label, name in names.items():
        name = " ".join(name.split())[:60]
        guess = meeting.speaker_name_sources.get(label)
        if name and name != label:
            # Confirming a guess keeps what it was guessed from.
            kept = guess.evidence if guess is not None and guess.name == name else []
            confirmed[label] = SpeakerName(name=name, source="rename", confidence=1.0, confirmed=True,
                                           person_id=guess.person_id if kept and guess else None, evidence=kept)
            continue
        confirmed.pop(label, None)
        if guess is not None and not guess.confirmed:
            meeting.name_candidates.append(NameCandidate(
                speaker=label, name=guess.name, source="rename", confidence=1.0, supports=False,
                person_id=guess.person_id, evidence="a person cleared this name"))
    apply(meeting, resolve(meeting.speakers, meeting.name_candidates, confirmed))
    return meeting
