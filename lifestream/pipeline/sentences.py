"""Sentences with their speaker and time, the unit the offline minutes work on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lifestream.models import Segment, Word

_END = re.compile(r"[.?!…][\"')\]]*$")
# Whisper sometimes ends a segment mid-sentence; the sentence goes on in the
# next segment when the same speaker resumes within this many seconds.
_CONTINUE_GAP_S = 1.5
# A word or two at a turn change, unfinished, before another speaker's sentence
# that starts in lower case ("I" | "can get three quotes…") is the start of that
# sentence that diarization gave to the wrong side of the boundary.
_STRAY_WORDS = 2


@dataclass(frozen=True)
class Sentence:
    text: str
    speaker: str
    start: float
    end: float
    segment_id: int

    @property
    def words(self) -> list[str]:
        return re.findall(r"[\w']+", self.text.lower())

    @property
    def is_question(self) -> bool:
        return self.text.rstrip().endswith("?")


def _reattach_stray_words(segments: list[Segment]) -> list[Segment]:
    out = list(segments)
    for n in range(len(out) - 1):
        stray, after = out[n], out[n + 1]
        if not (stray.words and after.words) or stray.speaker == after.speaker or len(stray.words) > _STRAY_WORDS:
            continue
        if _END.search(stray.words[-1].text) or after.words[0].start - stray.words[-1].end > 1.0:
            continue
        if not after.words[0].text.strip()[:1].islower():
            continue
        # Their timing was as wrong as their speaker: they start the sentence where it starts.
        at = after.words[0].start
        moved = [w.model_copy(update={"start": at, "end": at, "speaker": after.speaker}) for w in stray.words]
        out[n] = stray.model_copy(update={"words": [], "text": ""})
        out[n + 1] = after.model_copy(update={"words": moved + after.words,
                                              "text": " ".join(w.text for w in moved + after.words)})
    return [seg for seg in out if seg.words or seg.text.strip()]


def split_sentences(segments: list[Segment]) -> list[Sentence]:
    segments = _reattach_stray_words(segments)
    out: list[Sentence] = []
    run: list[Word] = []
    run_speaker, run_segment = "", 0
    for seg in segments:
        speaker = seg.speaker or "SPEAKER_1"
        if run and (speaker != run_speaker or not seg.words or seg.words[0].start - run[-1].end > _CONTINUE_GAP_S):
            out.append(_join(run, run_speaker, run_segment))
            run = []
        if not seg.words:
            out.append(Sentence(_tidy(seg.text), speaker, seg.start, seg.end, seg.id))
            continue
        if not run:
            run_speaker, run_segment = speaker, seg.id
        for word in seg.words:
            run.append(word)
            if _END.search(word.text):
                out.append(_join(run, run_speaker, run_segment))
                run, run_segment = [], seg.id
    if run:
        out.append(_join(run, run_speaker, run_segment))
    return [s for s in out if s.text]


def _tidy(text: str) -> str:
    # Typographic apostrophes ("I’ll") read as plain ones, so every rule sees one spelling.
    return re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()


def _join(words: list[Word], speaker: str, segment_id: int) -> Sentence:
    return Sentence(_tidy(" ".join(w.text for w in words)), speaker, words[0].start, words[-1].end, segment_id)
