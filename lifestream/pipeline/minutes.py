"""Stage 6: minutes per chunk and for the whole meeting.

An OpenAI-compatible endpoint writes them when ``LIFESTREAM_LLM_BASE_URL`` is
set; otherwise the offline extractive writer does, with no network at all.
"""

from __future__ import annotations

from datetime import date

from lifestream.models import Chunk, ChunkMinutes, Minutes, Segment
from lifestream.pipeline import minutes_offline
from lifestream.pipeline.minutes_llm import LlmMinutesWriter, format_transcript
from lifestream.settings import Settings


def _chunk_segments(chunk: Chunk, by_id: dict[int, Segment]) -> list[Segment]:
    return [by_id[i] for i in chunk.segment_ids if i in by_id]


def write_minutes(
    segments: list[Segment],
    chunks: list[Chunk],
    *,
    diary: bool,
    reference_date: date,
    settings: Settings,
    speaker_names: dict[str, str] | None = None,
) -> tuple[list[ChunkMinutes], Minutes]:
    by_id = {s.id: s for s in segments}
    kind = "diary" if diary else "minutes"
    if settings.llm_base_url:
        writer = LlmMinutesWriter(
            settings.llm_base_url, settings.llm_api_key, settings.llm_model,
            concurrency=settings.llm_concurrency, timeout=settings.llm_timeout_seconds,
            max_retries=settings.llm_max_retries,
        )
        texts = [
            format_transcript([(s.start, s.speaker or "SPEAKER_1", s.text) for s in _chunk_segments(c, by_id)])
            for c in chunks
        ]
        parts = writer.chunk_minutes(texts, diary=diary, today=reference_date)
        whole = writer.reduce(parts, diary=diary, today=reference_date)
    else:
        parts = [
            minutes_offline.summarize(_chunk_segments(c, by_id), kind=kind, reference_date=reference_date,
                                      speaker_names=speaker_names)
            for c in chunks
        ]
        # The whole meeting is ranked as one text, not stitched from the parts,
        # so its summary picks what matters across chunks.
        whole = (parts[0] if len(parts) == 1 else
                 minutes_offline.summarize(segments, kind=kind, reference_date=reference_date,
                                           speaker_names=speaker_names))
    chunk_minutes = [ChunkMinutes(chunk_index=c.index, start=c.start, end=c.end, minutes=m) for c, m in zip(chunks, parts)]
    return chunk_minutes, whole
