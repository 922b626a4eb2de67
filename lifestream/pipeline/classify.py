"""Stage 7: is this a meeting, or one person talking (a diary, a vlog, a talk)?

Two kinds of evidence. The voices: a meeting has several people who each hold
the floor for a real share of the words and hand it over often. The words: in
a meeting people address each other ("you", "we", "let's"), ask and answer
("Can you…?" "Yes."), and acknowledge ("okay", "right", "thanks"). In a
far-field room diarization can hear one voice where there were four, so the
words alone can make a recording a meeting; a diary has neither.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import pairwise

from lifestream.models import Classification, Segment

# A "speaker" who says less than this share of the words is a stray label
# (a cough, a laugh, a clustering error), not a participant.
MIN_PARTICIPANT_SHARE = 0.05

_ADDRESSING = frozenset({"you", "your", "you're", "you'll", "you've", "you'd", "yours", "we", "we're", "we've",
                         "we'll", "we'd", "our", "ours", "us", "let's"})
_ACKNOWLEDGING = frozenset({"yes", "yeah", "yep", "no", "nope", "okay", "ok", "right", "sure", "thanks", "thank",
                            "exactly", "agreed"})
_TOKEN = re.compile(r"[a-z']+")
# Words are evidence of conversation at these rates or above.
MIN_ADDRESSING_PER_100_WORDS = 2.0
MIN_EXCHANGES_PER_MINUTE = 1.0


@dataclass(frozen=True)
class ConversationCues:
    """What the words say about turn-taking, whoever diarization thinks spoke them."""

    words: int
    addressing: int  # "you", "we", "our", "let's"…
    exchanges: int  # questions answered and sentences opened by an acknowledgement

    def conversational(self, minutes: float) -> bool:
        return (self.words > 0 and 100 * self.addressing / self.words >= MIN_ADDRESSING_PER_100_WORDS
                and self.exchanges >= 1 and self.exchanges / max(minutes, 1.0) >= MIN_EXCHANGES_PER_MINUTE)


def conversation_cues(segments: list[Segment]) -> ConversationCues:
    """English cue words; other languages get no evidence from here (speakers still count)."""
    sentences = [s for seg in segments for s in re.split(r"(?<=[.?!])\s+", seg.text.strip()) if s]
    tokens = [_TOKEN.findall(s.lower()) for s in sentences]
    words = sum(len(t) for t in tokens)
    addressing = sum(w in _ADDRESSING for t in tokens for w in t)
    opened = sum(1 for t in tokens if t and t[0] in _ACKNOWLEDGING)
    answered = sum(1 for q, nxt in pairwise(sentences) if q.endswith("?") and nxt)
    return ConversationCues(words=words, addressing=addressing, exchanges=opened + answered)


def classify(segments: list[Segment], duration: float) -> Classification:
    words_by_speaker: dict[str, int] = defaultdict(int)
    speech = 0.0
    for s in segments:
        words_by_speaker[s.speaker or "SPEAKER_1"] += max(1, len(s.words) or len(s.text.split()))
        speech += max(0.0, s.end - s.start)
    total = sum(words_by_speaker.values()) or 1
    participants = [sp for sp, n in words_by_speaker.items() if n / total >= MIN_PARTICIPANT_SHARE]
    dominant = max(words_by_speaker.values(), default=0) / total
    turns = sum(1 for a, b in pairwise(segments) if a.speaker != b.speaker)
    minutes = max(duration / 60.0, 1e-6)
    turns_per_minute = turns / minutes
    speech_ratio = min(1.0, speech / duration) if duration else 0.0
    cues = conversation_cues(segments)
    talk = cues.conversational(minutes)

    if len(participants) >= 2 and not (dominant > 0.9 and turns_per_minute < 1.0):
        is_meeting = True
        reason = f"{len(participants)} people take turns ({turns_per_minute:.1f} hand-overs a minute)"
        confidence = min(0.99, 0.5 + 0.1 * len(participants) + min(turns_per_minute, 4) * 0.08)
    elif talk:
        # One voice by diarization, but the words are a conversation: people were addressed and answered.
        is_meeting = True
        reason = (f"the words show a conversation ({cues.exchanges} questions answered or acknowledged, "
                  f"{cues.addressing} times 'you'/'we'), though the voices could not be told apart")
        confidence = 0.6
    elif len(participants) < 2:
        is_meeting, reason = False, "one voice does all the talking"
        confidence = 0.9 if dominant > 0.97 else 0.7
    else:
        is_meeting, reason = False, f"one voice holds {dominant:.0%} of the words with rare hand-overs"
        confidence = 0.6
    return Classification(
        is_meeting=is_meeting,
        confidence=round(confidence, 2),
        reason=reason,
        speakers=len(participants),
        turns_per_minute=round(turns_per_minute, 2),
        speech_ratio=round(speech_ratio, 3),
        dominant_speaker_share=round(dominant, 3),
    )
