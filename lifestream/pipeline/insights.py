"""How the meeting went, in numbers: talk time and turns per speaker, the longest monologue,
questions asked and left open, speaking pace and silence.

Definitions (kept simple enough to explain in one line each):

- *talk time*: the speaker's diarization turns added up (or, without
  diarization, their transcript segments); overlapping speech counts for each
  speaker, and once in *speech time*.
- *silence ratio*: the part of the recording where nobody speaks.
- *turn*: taking the floor. Consecutive speech of one speaker is one turn
  unless a pause longer than ``PAUSE_ENDS_TURN`` splits it; a short utterance
  entirely overlapped by the current speaker ("mm-hm") is a backchannel: it
  adds to its speaker's talk time but neither ends the floor nor counts as a turn.
- *longest monologue*: the longest turn.
- *question*: a transcript sentence ending in "?" with at least
  ``MIN_QUESTION_WORDS`` words ("Right?" is a tag, not a question). It is
  *answered* when another speaker says something that is not itself a
  question within ``ANSWER_WINDOW`` seconds after it; otherwise it is left open.
- *pace*: words per minute of the speaker's talk time; None below
  ``MIN_PACE_SECONDS`` of speech, where the figure would be noise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lifestream.models import Insights, Meeting, Monologue, QuestionAsked, SpeakerInsight, SpeakerTurn
from lifestream.pipeline.sentences import split_sentences
from lifestream.timefmt import clock

PAUSE_ENDS_TURN = 5.0
ANSWER_WINDOW = 30.0
MIN_QUESTION_WORDS = 3
MIN_PACE_SECONDS = 10.0


def speaker_turns(meeting: Meeting) -> list[SpeakerTurn]:
    """Diarization's turns of the people who said something, or (without diarization) the transcript's segments
    by speaker.

    A voice the diarizer found but the transcript gave no word to is not someone in the meeting: a laugh, a
    breath, a door. (The hour of four people in bench/README.md finds one of 41 s: a sound in dev01 at
    25.9-27.3 s, heard once a loop, which the reference gives to no one and in which Whisper hears no word.)
    Counted, it would take a row of the timeline and a share of the talk time, and split in two the turn of
    whoever it sounded between.
    """
    segments = meeting.transcript.segments if meeting.transcript else []
    if meeting.turns:
        spoke = {*meeting.speakers, *(w.speaker for s in segments for w in s.words if w.speaker)}
        # Without words to tell (a meeting stored without its transcript), every turn counts.
        return [t for t in meeting.turns if t.speaker in spoke] if spoke else meeting.turns
    return [SpeakerTurn(speaker=s.speaker, start=s.start, end=s.end) for s in segments if s.speaker]


@dataclass
class _Floor:
    speaker: str
    start: float
    end: float


def _floor_turns(turns: list[SpeakerTurn]) -> list[_Floor]:
    floors: list[_Floor] = []
    for t in sorted(turns, key=lambda t: (t.start, t.end)):
        current = floors[-1] if floors else None
        if current and t.speaker == current.speaker and t.start - current.end <= PAUSE_ENDS_TURN:
            current.end = max(current.end, t.end)
        elif current and t.speaker != current.speaker and t.end <= current.end:
            continue  # a backchannel inside someone else's turn
        else:
            floors.append(_Floor(t.speaker, t.start, t.end))
    return floors


def _union_seconds(turns: list[SpeakerTurn]) -> float:
    total, reach = 0.0, float("-inf")
    for t in sorted(turns, key=lambda t: t.start):
        if t.end > reach:
            total += t.end - max(t.start, reach)
            reach = t.end
    return total


def _pace(words: int, seconds: float) -> float | None:
    return round(words / seconds * 60, 1) if seconds >= MIN_PACE_SECONDS else None


def compute(meeting: Meeting) -> Insights:
    turns = [t for t in speaker_turns(meeting) if t.end > t.start]
    segments = meeting.transcript.segments if meeting.transcript else []
    duration = max(meeting.source.duration or 0.0, meeting.transcript.duration if meeting.transcript else 0.0)
    speech = min(_union_seconds(turns), duration) if duration else _union_seconds(turns)

    labels = list(dict.fromkeys([*meeting.speakers, *(t.speaker for t in turns)]))
    talk = dict.fromkeys(labels, 0.0)
    for t in turns:
        talk[t.speaker] += t.end - t.start
    floors = _floor_turns(turns)
    turn_count = {label: 0 for label in labels}
    longest_turn = dict.fromkeys(labels, 0.0)
    for f in floors:
        turn_count[f.speaker] += 1
        longest_turn[f.speaker] = max(longest_turn[f.speaker], f.end - f.start)

    words = dict.fromkeys(labels, 0)
    for seg in segments:
        for w in seg.words:
            label = w.speaker or seg.speaker
            if label in words:
                words[label] += 1
        if not seg.words and seg.speaker in words:
            words[seg.speaker] += len(seg.text.split())

    sentences = split_sentences(segments, meeting.language)
    questions = []
    for n, s in enumerate(sentences):
        if not (s.is_question and len(s.words) >= MIN_QUESTION_WORDS):
            continue
        answered = any(
            r.speaker != s.speaker and not r.is_question and r.words
            for r in sentences[n + 1:] if r.start - s.end <= ANSWER_WINDOW
        )
        questions.append(QuestionAsked(speaker=s.speaker, text=s.text, timestamp=round(s.start, 2), answered=answered))
    asked = {label: sum(q.speaker == label for q in questions) for label in labels}

    total_talk = sum(talk.values()) or 1.0
    speakers = sorted(
        (SpeakerInsight(speaker=label, talk_seconds=round(talk[label], 1), share=round(talk[label] / total_talk, 3),
                        turns=turn_count[label], words=words[label], words_per_minute=_pace(words[label], talk[label]),
                        questions=asked[label], longest_turn_seconds=round(longest_turn[label], 1))
         for label in labels),
        key=lambda s: -s.talk_seconds)
    longest = max(floors, key=lambda f: f.end - f.start, default=None)
    total_words = sum(words.values())
    return Insights(
        duration=round(duration, 1),
        speech_seconds=round(speech, 1),
        silence_ratio=round(max(0.0, 1 - speech / duration), 3) if duration else 0.0,
        turns=len(floors),
        words=total_words,
        words_per_minute=_pace(total_words, speech),
        speakers=speakers,
        longest_monologue=Monologue(speaker=longest.speaker, start=round(longest.start, 2), end=round(longest.end, 2))
        if longest else None,
        questions=questions,
    )


def of(meeting: Meeting) -> Insights:
    """The meeting's stored insights, or computed now for one processed before they existed."""
    return meeting.insights or compute(meeting)


def compact_line(insights: Insights, name: Callable[[str | None], str]) -> str:
    """One line for the minutes: talk shares, turns, longest monologue, questions, pace, silence."""
    parts = []
    if insights.speakers:
        parts.append("Talk time " + ", ".join(f"{name(s.speaker)} {s.share:.0%}" for s in insights.speakers))
    parts.append(f"{insights.turns} turn{'s' if insights.turns != 1 else ''}")
    if insights.longest_monologue:
        m = insights.longest_monologue
        parts.append(f"longest monologue {clock(m.seconds)} ({name(m.speaker)})")
    parts.append(f"{insights.questions_asked} question{'s' if insights.questions_asked != 1 else ''}"
                 f" ({insights.questions_open} left open)")
    if insights.words_per_minute is not None:
        parts.append(f"{insights.words_per_minute:.0f} words/min")
    parts.append(f"{insights.silence_ratio:.0%} silence")
    return " · ".join(parts)
