"""Stage 5: time chunks of about ``chunk_seconds``, cut where a sentence or a turn ends.

Scenes do not cut chunks (a slide change mid-sentence is common); they only
add their keyframes to the chunk they fall in.
"""

from __future__ import annotations

import re

from lifestream.models import Chunk, Scene, Segment

_SENTENCE_END = re.compile(r"[.?!…][\"')\]]*$")


def _good_boundary(segments: list[Segment], i: int) -> bool:
    """Is the gap after segment i a natural place to cut?"""
    if i + 1 >= len(segments):
        return True
    return bool(_SENTENCE_END.search(segments[i].text.strip())) or segments[i].speaker != segments[i + 1].speaker


def _cut_index(segments: list[Segment], first: int, target: float, slack: float) -> int:
    """Index of the last segment of the chunk that starts at ``first``."""
    candidates = range(first, len(segments) - 1)
    near = [i for i in candidates if abs(segments[i].end - target) <= slack]
    good = [i for i in near if _good_boundary(segments, i)]
    pool = good or near or list(candidates)
    return min(pool, key=lambda i: abs(segments[i].end - target))


def make_chunks(segments: list[Segment], scenes: list[Scene], duration: float, chunk_seconds: float = 300.0) -> list[Chunk]:
    if not segments:
        return []
    chunk_seconds = max(chunk_seconds, 1.0)
    # A cut may move this far from the ideal time to land on a sentence end.
    slack = chunk_seconds * 0.2
    groups: list[list[Segment]] = []
    first, start = 0, 0.0
    while first < len(segments):
        target = start + chunk_seconds
        # The rest fits (or is one long segment, which cannot be split further).
        if segments[-1].end <= target + slack or first == len(segments) - 1:
            groups.append(segments[first:])
            break
        last = _cut_index(segments, first, target, slack)
        groups.append(segments[first:last + 1])
        first, start = last + 1, segments[last].end

    chunks: list[Chunk] = []
    for index, group in enumerate(groups):
        start = 0.0 if index == 0 else chunks[-1].end
        end = max(duration, group[-1].end) if index == len(groups) - 1 else group[-1].end
        overlapping = [s for s in scenes if s.start < end and s.end > start]
        own_keyframes = [
            s.keyframe for s in overlapping
            if s.keyframe and start <= (s.keyframe_time if s.keyframe_time is not None else s.start) < end
        ]
        chunks.append(Chunk(
            index=index,
            start=round(start, 3),
            end=round(end, 3),
            segment_ids=[s.id for s in group],
            speakers=sorted({s.speaker for s in group if s.speaker}),
            scene_indexes=[s.index for s in overlapping],
            keyframes=own_keyframes,
            text=" ".join(s.text for s in group),
        ))
    return chunks
