"""Who the speakers are: all the naming evidence, settled into one name per speaker.

Cues in the recording (:mod:`lifestream.pipeline.name_cues`), an LLM reading the transcript
(:mod:`lifestream.pipeline.naming_llm`), the members of the chat the recording was shared in, remembered
voices: each gives :class:`NameCandidate` records — speaker label, name, source, confidence, and a
person id once linked to someone — and :func:`resolve` settles all of them at once:

- a name a person gave (a rename) is never overridden, and no guess takes a name already confirmed;
- evidence for the same speaker and person adds up (noisy-OR); evidence against (a speaker addressing
  "Diane" is not Diane) scales it down;
- the strongest pair is settled first, and only when it beats the speaker's other free names and the
  name's other free speakers by a margin: two speakers never get one name, and a coin toss is left
  unnamed for a person to settle rather than guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from lifestream.models import SCHEMA_VERSION, Meeting, NameCandidate, NameSource, SpeakerName
from lifestream.pipeline.name_cues import candidates_from_transcript
from lifestream.settings import Settings

# A guess below this is not shown: one clear self-introduction (0.75+) is enough, one "thanks, Diane"
# (0.45) is not, two independent cues are.
MIN_CONFIDENCE = 0.5
# The settled pair must beat the speaker's next-best free name, and the name's next-best free speaker,
# by this much; otherwise the evidence does not tell them apart.
MARGIN = 0.15


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

    person_id: str  # Slack user id, Teams user id (29:…): what a mention needs
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


def person_named(name: str, people: Iterable[Person]) -> str | None:
    """The id of the one person ``name`` fits (whole name or first name), else None."""
    probe = NameCandidate(speaker="", name=name, source="rename", confidence=1.0)
    return link_people([probe], people)[0].person_id


def confirm_names(meeting: Meeting, names: dict[str, str], people: Iterable[Person] = ()) -> Meeting:
    """Names a person gave (rename). Each stands over any guess; the other speakers are settled again.

    A name that fits one of ``people`` (the chat's members) links the speaker to them, as written.
    Clearing a guessed name (empty, or the bare label) records that it was wrong for that speaker;
    clearing a confirmed one hands the speaker back to the guesses.
    """
    people = list(people)
    confirmed = _confirmed(meeting)
    for label, name in names.items():
        name = " ".join(name.split())[:60]
        guess = meeting.speaker_name_sources.get(label)
        if name and name != label:
            # Confirming a guess keeps what it was guessed from, and the person it was linked to.
            kept = guess.evidence if guess is not None and guess.name == name else []
            person_id = guess.person_id if kept and guess and guess.person_id else person_named(name, people)
            confirmed[label] = SpeakerName(name=name, source="rename", confidence=1.0, confirmed=True,
                                           person_id=person_id, evidence=kept)
            continue
        confirmed.pop(label, None)
        if guess is not None and not guess.confirmed:
            meeting.name_candidates.append(NameCandidate(
                speaker=label, name=guess.name, source="rename", confidence=1.0, supports=False,
                person_id=guess.person_id, evidence="a person cleared this name"))
    apply(meeting, resolve(meeting.speakers, meeting.name_candidates, confirmed))
    return meeting
