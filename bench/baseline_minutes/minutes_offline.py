"""Minutes without any network or language model.

Extractive: sentences are ranked by centrality in a TF-IDF similarity graph
(TextRank) and picked with a redundancy penalty; decisions and action items
come from the commitments people actually say ("I'll…", "we agreed…",
"can you … by Friday"), each kept with its speaker and timestamp, so every
line of these minutes is words from the transcript.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date

import numpy as np

from lifestream.models import ActionItem, Minutes, Point, Segment, SpeakerPoints

from .due_dates import find_due
from .sentences import Sentence, split_sentences

GENERATOR = "offline-extractive"

# "I'll be honest", "I'll tell you" are speech habits, not commitments.
_NOT_A_TASK = re.compile(
    r"^(?:be|say|tell|admit|bet|guess|think|try to remember|see you|talk to you|let you know what i think|"
    r"have to say|go ahead and say|just say|give you an example|put it this way|take that back)\b",
    re.IGNORECASE,
)
_SELF = re.compile(
    r"\b(?:i'll|i will|i'm going to|i am going to|i can take|i'll take|let me|i'll make sure|i will make sure|"
    r"i need to|i have to|i should|i'm gonna|i am gonna|i'll handle|i can handle|i volunteer to)\s+(?P<task>.+)",
    re.IGNORECASE,
)
_TEAM = re.compile(
    r"\b(?:we need to|we have to|we should|we must|we'll need to|we're going to|we are going to|we will|we'll|"
    r"let's make sure|someone needs to|somebody needs to|we've got to|we gotta)\s+(?P<task>.+)",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"\b(?:can you|could you|would you|will you|please|you need to|you should|you have to|make sure you)\s+(?P<task>.+)",
    re.IGNORECASE,
)
_EXPLICIT = re.compile(r"\b(?:action item|to-do|todo|follow[- ]up|next step)s?\b[:,]?\s*(?P<task>.*)", re.IGNORECASE)
_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? decided|we(?:'ve| have)? agreed|we agree|it's decided|it is decided|decision is|"
    r"let's go with|let's use|let's do|we'll go with|we will go with|we're going with|we are going with|"
    r"agreed|settled on|the plan is|we're done with|final decision|approved|we chose|we picked|go ahead with)\b",
    re.IGNORECASE,
)
_FILLER = {
    "yeah", "yes", "okay", "ok", "oh", "um", "uh", "hmm", "right", "so", "well", "like", "hello", "hi",
    "bye", "thanks", "thank", "you", "know", "mean", "just", "really", "mhm",
}
_STOP = {
    "the", "a", "an", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "with", "is", "are", "was",
    "were", "be", "been", "it", "its", "it's", "that", "this", "there", "i", "we", "you", "he", "she", "they",
    "me", "my", "our", "your", "them", "his", "her", "do", "did", "does", "have", "has", "had", "not", "no",
    "what", "which", "who", "all", "can", "will", "would", "could", "should", "about", "from", "as", "by",
    "up", "out", "then", "than", "too", "very", "get", "got", "go", "going", "one", "some", "i'm", "i'll",
    "don't", "didn't", "that's", "there's", "isn't", "we're", "you're", "they're", "let's", "thing", "things",
    "much", "also", "now", "here", "down", "how", "when", "where", "why", "because", "any", "more", "these",
    "those", "into", "over", "again", "even", "still", "us", "said", "say", "see", "want", "think",
    "least", "call", "what's", "let", "can't", "wasn't", "gonna", "kind", "lot", "sure", "maybe",
    # adverbs people pepper speech with; never a topic
    "originally", "actually", "basically", "probably", "definitely", "literally", "honestly", "totally",
    "exactly", "obviously", "usually", "certainly", "finally", "currently", "recently", "simply", "quickly",
    "especially", "absolutely", "pretty", "though", "anyway", "already", "always", "never", "something",
    "anything", "everything", "nothing", "someone", "everyone", "anyone", "other", "another", "good", "great",
    "well", "back", "time", "way", "day", "today", "doing", "make", "made", "take", "need", "put",
    "come", "came", "look", "talk", "tell", "told", "try", "use", "used", "work", "difference", "hear", "heard",
} | _FILLER


def _content_words(sentence: Sentence) -> list[str]:
    return [w for w in sentence.words if w not in _STOP and len(w) > 2 and not w.isdigit()]


def _rank(sentences: list[Sentence]) -> np.ndarray:
    """TextRank centrality of each sentence over TF-IDF cosine similarity."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [" ".join(_content_words(s)) for s in sentences]
    if not any(docs):
        return np.zeros(len(sentences))
    matrix = TfidfVectorizer(token_pattern=r"[\w']+", sublinear_tf=True).fit_transform(docs)
    sim = (matrix @ matrix.T).toarray()
    np.fill_diagonal(sim, 0.0)
    row = sim.sum(axis=1, keepdims=True)
    transition = np.divide(sim, row, out=np.full_like(sim, 1.0 / len(sentences)), where=row > 0)
    score = np.full(len(sentences), 1.0 / len(sentences))
    for _ in range(50):
        score = 0.15 / len(sentences) + 0.85 * transition.T @ score
    # Substantive sentences first: a long, content-rich sentence beats "Okay."
    richness = np.array([min(len(_content_words(s)), 12) / 12 for s in sentences])
    return score * (0.25 + richness)


def _pick(sentences: list[Sentence], scores: np.ndarray, k: int, min_words: int = 5) -> list[int]:
    """Top sentences by score, skipping near-repeats (maximal marginal relevance, simplified)."""
    chosen: list[int] = []
    seen: list[set[str]] = []
    for i in np.argsort(-scores):
        s = sentences[i]
        if len(s.words) < min_words or scores[i] <= 0:
            continue
        words = set(_content_words(s))
        if any(len(words & other) / max(1, len(words | other)) > 0.5 for other in seen):
            continue
        chosen.append(int(i))
        seen.append(words)
        if len(chosen) >= k:
            break
    return sorted(chosen, key=lambda i: sentences[i].start)


def _phrases(sentence: Sentence) -> list[str]:
    """Runs of consecutive content words ("new jersey", "budget review"), up to three words."""
    runs: list[list[str]] = [[]]
    for word in sentence.words:
        if word in _STOP or len(word) <= 2 or word.isdigit():
            runs.append([])
        else:
            runs[-1].append(word)
    out = []
    for run in runs:
        for n in (1, 2, 3):
            out += [" ".join(run[i:i + n]) for i in range(len(run) - n + 1)]
    return out


def _keywords(sentences: list[Sentence], n: int = 3) -> list[str]:
    """The most characteristic phrases: frequent, spread over several sentences, longer preferred."""
    counts: Counter[str] = Counter()
    for s in sentences:
        counts.update(set(_phrases(s)))
    # A phrase said twice beats its single words; a single word inside a
    # chosen phrase is not listed again.
    ranked = sorted(counts, key=lambda p: (counts[p] * (1 + 0.6 * (p.count(" "))), len(p)), reverse=True)
    chosen: list[str] = []
    for phrase in ranked:
        if any(phrase in c or c in phrase for c in chosen):
            continue
        if counts[phrase] < 2 and len(chosen) >= 1:
            break
        chosen.append(phrase)
        if len(chosen) == n:
            break
    return chosen


def _clean_task(text: str) -> str:
    text = re.sub(r"^(?:also|just|then|and|so|like|probably|definitely|maybe)\s+", "", text.strip(), flags=re.IGNORECASE)
    text = text.rstrip(" .,!?;")
    return text[:1].upper() + text[1:]


def _addressee(sentence: Sentence, following: Sentence | None, names: dict[str, str]) -> str | None:
    """Who "can you…" is asked of: a name said in the sentence, else whoever answers next."""
    lowered = sentence.text.lower()
    for label, name in names.items():
        if name.lower() in lowered and label != sentence.speaker:
            return label
    if following is not None and following.speaker != sentence.speaker:
        return following.speaker
    return None


def extract_action_items(sentences: list[Sentence], reference: date, names: dict[str, str] | None = None) -> list[ActionItem]:
    names = names or {}
    items: list[ActionItem] = []
    for i, s in enumerate(sentences):
        following = next((t for t in sentences[i + 1:i + 4] if t.speaker != s.speaker), None)
        owner: str | None
        match = _EXPLICIT.search(s.text)
        if match and len(match.group("task").split()) >= 2:
            owner = s.speaker
        elif (match := _SELF.search(s.text)) and not s.is_question:
            owner = s.speaker
        elif (match := _ASK.search(s.text)):
            owner = _addressee(s, following, names)
        elif (match := _TEAM.search(s.text)) and not s.is_question:
            owner = "team"
        else:
            continue
        task = match.group("task")
        if _NOT_A_TASK.match(task) or len(re.findall(r"[\w']+", task)) < 3:
            continue
        due, due_date = find_due(s.text, reference)
        item = ActionItem(task=_clean_task(task), owner=owner, due=due, due_date=due_date,
                          timestamp=round(s.start, 2), speaker=s.speaker)
        _add_or_merge(items, item)
    return items


def _task_words(item: ActionItem) -> set[str]:
    return {w for w in re.findall(r"[\w']+", item.task.lower()) if w not in _STOP}


def _add_or_merge(items: list[ActionItem], item: ActionItem) -> None:
    """"Can you fix X by Friday?" — "I'll fix X by Friday." is one task, not two.

    The later statement wins (it is usually the owner's own commitment) but
    keeps a deadline only the earlier one mentioned.
    """
    words = _task_words(item)
    for i, earlier in enumerate(items):
        if item.timestamp is not None and earlier.timestamp is not None and item.timestamp - earlier.timestamp > 90:
            continue
        other = _task_words(earlier)
        if words and other and len(words & other) / len(words | other) >= 0.5:
            if not item.due and earlier.due:
                item = item.model_copy(update={"due": earlier.due, "due_date": earlier.due_date})
            items[i] = item
            return
    items.append(item)


def extract_decisions(sentences: list[Sentence]) -> list[Point]:
    return [Point(text=s.text, speaker=s.speaker, timestamp=round(s.start, 2))
            for s in sentences if _DECISION.search(s.text) and not s.is_question and len(s.words) >= 4]


def extract_open_questions(sentences: list[Sentence], limit: int = 5) -> list[Point]:
    questions = [s for s in sentences if s.is_question and len(_content_words(s)) >= 2 and len(s.words) >= 5]
    return [Point(text=s.text, speaker=s.speaker, timestamp=round(s.start, 2)) for s in questions[:limit]]


def _title(sentences: list[Sentence], kind: str) -> str:
    words = _keywords(sentences)
    if not words:
        return "Diary entry" if kind == "diary" else "Meeting"
    words = [w.title() for w in words]
    topic = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{'Diary' if kind == 'diary' else 'Meeting'}: {topic}"


def summarize(
    segments: list[Segment],
    *,
    kind: str = "minutes",
    reference_date: date,
    speaker_names: dict[str, str] | None = None,
) -> Minutes:
    names = speaker_names or {}
    sentences = split_sentences(segments)
    if not sentences:
        return Minutes(kind=kind, title="No speech", summary="Nobody spoke in this part of the recording.",
                       generator=GENERATOR)
    scores = _rank(sentences)
    duration_min = max((sentences[-1].end - sentences[0].start) / 60.0, 0.5)
    # About one summary sentence per two minutes, between 2 and 8.
    k = int(min(8, max(2, round(duration_min / 2))))
    summary_idx = _pick(sentences, scores, k)
    if not summary_idx:  # only short utterances: take the longest ones
        summary_idx = _pick(sentences, np.array([len(s.words) for s in sentences], float), k, min_words=1)

    def label(speaker: str) -> str:
        return names.get(speaker, speaker)

    if kind == "diary":
        summary = " ".join(sentences[i].text for i in summary_idx)
    else:
        summary = " ".join(f"{label(sentences[i].speaker)}: {sentences[i].text}" for i in summary_idx)

    by_speaker: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sentences):
        by_speaker[s.speaker].append(i)
    key_points = []
    for speaker, idx in sorted(by_speaker.items()):
        sub = [sentences[i] for i in idx]
        chosen = _pick(sub, scores[idx], 4, min_words=4) or _pick(sub, scores[idx], 2, min_words=1)
        key_points.append(SpeakerPoints(
            speaker=speaker,
            points=[Point(text=sub[j].text, speaker=speaker, timestamp=round(sub[j].start, 2)) for j in chosen],
        ))

    return Minutes(
        kind=kind,
        title=_title(sentences, kind),
        summary=summary,
        key_points=key_points,
        decisions=extract_decisions(sentences),
        action_items=extract_action_items(sentences, reference_date, names),
        open_questions=extract_open_questions(sentences),
        generator=GENERATOR,
    )
