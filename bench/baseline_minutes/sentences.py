"""Sentences with their speaker and time, the unit the offline minutes work on."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lifestream.models import Segment

_END = re.compile(r"[.?!…][\"')\]]*$")


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


def split_sentences(segments: list[Segment]) -> list[Sentence]:
    out: list[Sentence] = []
    for seg in segments:
        speaker = seg.speaker or "SPEAKER_1"
        if not seg.words:
            out.append(Sentence(seg.text.strip(), speaker, seg.start, seg.end, seg.id))
            continue
        run = []
        for word in seg.words:
            run.append(word)
            if _END.search(word.text):
                out.append(_join(run, speaker, seg.id))
                run = []
        if run:
            out.append(_join(run, speaker, seg.id))
    return [s for s in out if s.text]


def _join(words, speaker: str, segment_id: int) -> Sentence:
    return Sentence(" ".join(w.text for w in words).strip(), speaker, words[0].start, words[-1].end, segment_id)
