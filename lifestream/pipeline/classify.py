"""Stage 7: is this a meeting, or one person talking (a diary, a vlog, a talk)?

A meeting has several people who each hold the floor for a real share of the
time and hand it over often; a monologue has one voice doing nearly all of it.
"""

from __future__ import annotations

from collections import defaultdict

from lifestream.models import Classification, Segment

# A "speaker" who says less than this share of the words is a stray label
# (a cough, a laugh, a clustering error), not a participant.
MIN_PARTICIPANT_SHARE = 0.05


def classify(segments: list[Segment], duration: float) -> Classification:
    words_by_speaker: dict[str, int] = defaultdict(int)
    speech = 0.0
    for s in segments:
        words_by_speaker[s.speaker or "SPEAKER_1"] += max(1, len(s.words) or len(s.text.split()))
        speech += max(0.0, s.end - s.start)
    total = sum(words_by_speaker.values()) or 1
    participants = [sp for sp, n in words_by_speaker.items() if n / total >= MIN_PARTICIPANT_SHARE]
    dominant = max(words_by_speaker.values(), default=0) / total
    turns = sum(1 for a, b in zip(segments, segments[1:]) if a.speaker != b.speaker)
    minutes = max(duration / 60.0, 1e-6)
    turns_per_minute = turns / minutes
    speech_ratio = min(1.0, speech / duration) if duration else 0.0

    if len(participants) < 2:
        is_meeting, reason = False, "one voice does all the talking"
        confidence = 0.9 if dominant > 0.97 else 0.7
    elif dominant > 0.9 and turns_per_minute < 1.0:
        is_meeting, reason = False, f"one voice holds {dominant:.0%} of the words with rare hand-overs"
        confidence = 0.6
    else:
        is_meeting = True
        reason = f"{len(participants)} people take turns ({turns_per_minute:.1f} hand-overs a minute)"
        confidence = min(0.99, 0.5 + 0.1 * len(participants) + min(turns_per_minute, 4) * 0.08)
    return Classification(
        is_meeting=is_meeting,
        confidence=round(confidence, 2),
        reason=reason,
        speakers=len(participants),
        turns_per_minute=round(turns_per_minute, 2),
        speech_ratio=round(speech_ratio, 3),
        dominant_speaker_share=round(dominant, 3),
    )
