"""Stage 6: minutes per chunk and for the whole meeting.

An OpenAI-compatible endpoint writes them when ``LIFESTREAM_LLM_BASE_URL`` is
set, starting from what the offline rules found; otherwise the offline writer
does, with no network at all.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from lifestream.models import Chunk, ChunkMinutes, Minutes, Segment
from lifestream.pipeline import minutes_offline
from lifestream.pipeline.llm_answers import AnswerStore
from lifestream.pipeline.minutes_llm import (
    Grounding,
    LlmMinutesWriter,
    draft_json,
    format_transcript,
    language_line,
    speakers_line,
)
from lifestream.settings import Settings


def _chunk_segments(chunk: Chunk, by_id: dict[int, Segment]) -> list[Segment]:
    return [by_id[i] for i in chunk.segment_ids if i in by_id]


def _offline(segments: list[Segment], chunks: list[Chunk], by_id: dict[int, Segment], *, kind: Literal["minutes", "diary"],
             reference_date: date, names: dict[str, str], language: str | None,
             whole_too: bool = True) -> tuple[list[Minutes], Minutes | None]:
    parts = [
        minutes_offline.summarize(_chunk_segments(c, by_id), kind=kind, reference_date=reference_date,
                                  speaker_names=names, language=language, later_part=n > 0)
        for n, c in enumerate(chunks)
    ]
    # The whole meeting is read as one exchange, not stitched from the parts,
    # so its summary states the purpose and every outcome once.
    if len(parts) == 1:
        return parts, parts[0]
    if not whole_too:
        return parts, None
    return parts, minutes_offline.summarize(segments, kind=kind, reference_date=reference_date, speaker_names=names,
                                            language=language)


def _grounding(segments: list[Segment], names: dict[str, str]) -> Grounding:
    labels = {s.speaker or "SPEAKER_1" for s in segments}
    return Grounding(labels=labels, names={k: v for k, v in names.items() if k in labels},
                     text=" ".join(s.text for s in segments),
                     start=min((s.start for s in segments), default=0.0), end=max((s.end for s in segments), default=0.0))


def write_minutes(
    segments: list[Segment],
    chunks: list[Chunk],
    *,
    diary: bool,
    reference_date: date,
    settings: Settings,
    speaker_names: dict[str, str] | None = None,
    language: str | None = None,
    answers: AnswerStore | None = None,
) -> tuple[list[ChunkMinutes], Minutes]:
    """Each chunk's minutes and the whole meeting's: by the LLM when one is configured (``answers``: its
    answers kept from an earlier attempt of the job, and where this one's are kept), else by the rules."""
    by_id = {s.id: s for s in segments}
    kind: Literal["minutes", "diary"] = "diary" if diary else "minutes"
    names = speaker_names or {}
    # The LLM starts from the rules' draft of each part; it writes the whole itself.
    drafts, whole = _offline(segments, chunks, by_id, kind=kind, reference_date=reference_date, names=names,
                             language=language, whole_too=not settings.llm_base_url)
    if settings.llm_base_url:
        writer = LlmMinutesWriter(
            settings.llm_base_url, settings.llm_api_key, settings.llm_model,
            concurrency=settings.llm_concurrency, timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries, answers=answers,
        )
        parts_segments = [_chunk_segments(c, by_id) for c in chunks]
        texts = [format_transcript([(s.start, s.speaker or "SPEAKER_1", s.text) for s in part])
                 for part in parts_segments]
        speakers = speakers_line(list(dict.fromkeys(s.speaker or "SPEAKER_1" for s in segments)), names)
        in_language = language_line(settings.minutes_language, language)
        parts = writer.chunk_minutes(texts, diary=diary, today=reference_date, speakers=speakers,
                                     drafts=[draft_json(d) for d in drafts],
                                     groundings=[_grounding(p, names) for p in parts_segments], language=in_language)
        whole = writer.reduce(parts, diary=diary, today=reference_date, speakers=speakers,
                              grounding=_grounding(segments, names), language=in_language)
    else:
        parts = drafts
    assert whole is not None  # offline always writes the whole; the LLM path's reduce did above
    chunk_minutes = [ChunkMinutes(chunk_index=c.index, start=c.start, end=c.end, minutes=m) for c, m in zip(chunks, parts)]
    return chunk_minutes, whole
