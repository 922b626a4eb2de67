"""Give each recognised word a speaker, by time overlap with the diarization turns."""

from __future__ import annotations

import bisect

from lifestream.models import Segment, SpeakerTurn, Word

DEFAULT_SPEAKER = "SPEAKER_1"


def speaker_at(turns: list[SpeakerTurn], starts: list[float], start: float, end: float) -> str | None:
    """The speaker overlapping [start, end] the most; the nearest turn when none overlaps."""
    if not turns:
        return None
    i = bisect.bisect_right(starts, end)
    best, best_overlap = None, 0.0
    # Turns are short and sorted: only those starting before `end` can overlap,
    # and scanning back a few is enough because overlaps are rare and brief.
    for turn in turns[max(0, i - 8):i]:
        overlap = min(end, turn.end) - max(start, turn.start)
        if overlap > best_overlap:
            best, best_overlap = turn.speaker, overlap
    if best:
        return best
    mid = (start + end) / 2
    nearest = min(turns[max(0, i - 2):i + 2] or turns,
                  key=lambda t: min(abs(mid - t.start), abs(mid - t.end)))
    return nearest.speaker


def assign_speakers(segments: list[Segment], turns: list[SpeakerTurn]) -> list[Segment]:
    """Label words and re-split segments wherever the speaker changes mid-segment."""
    turns = sorted(turns, key=lambda t: t.start)
    starts = [t.start for t in turns]
    out: list[Segment] = []
    for seg in segments:
        if not seg.words:
            speaker = speaker_at(turns, starts, seg.start, seg.end) or DEFAULT_SPEAKER
            out.append(seg.model_copy(update={"speaker": speaker, "id": len(out)}))
            continue
        run: list[Word] = []
        for word in seg.words:
            speaker = speaker_at(turns, starts, word.start, word.end) or DEFAULT_SPEAKER
            labelled = word.model_copy(update={"speaker": speaker})
            if run and run[-1].speaker != speaker:
                out.append(_segment_from(run, len(out)))
                run = []
            run.append(labelled)
        if run:
            out.append(_segment_from(run, len(out)))
    return out


def _segment_from(words: list[Word], index: int) -> Segment:
    return Segment(
        id=index,
        start=words[0].start,
        end=words[-1].end,
        text=" ".join(w.text for w in words),
        speaker=words[0].speaker,
        words=words,
    )
