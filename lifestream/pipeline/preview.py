"""Early minutes of a fanned-out recording: what its first segments say, while the rest is still worked on.

The holder of a long job asks for them once, when the segments done from the start of the recording
cover at least one chunk (``LIFESTREAM_CHUNK_SECONDS``). They are the join's own steps on that much of the
recording: one clustering over those segments' voices, words to speakers, chunks, minutes. No names, no
search index, no result files: the chat shows them until the whole meeting's minutes take their place.
The whole join clusters every segment again, so a SPEAKER_2 here may carry another number there.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lifestream.models import Meeting, SourceInfo, Transcript
from lifestream.pipeline import align, chunking, fanout, minutes
from lifestream.pipeline.diarization import Diarization, SpeakerCount
from lifestream.settings import Settings


def done_from_start(folder: Path, plan: fanout.Plan) -> list[fanout.SegmentResult]:
    """The results in ``folder`` of the segments done from the first on, up to the first one missing."""
    results = []
    for span in plan.spans:
        try:
            results.append(fanout.SegmentResult.load(folder, span.index))
        except FileNotFoundError:
            break
    return results


def covered_seconds(plan: fanout.Plan, done: int) -> float:
    """How far into the recording the first ``done`` segments reach."""
    return plan.spans[done - 1].end / fanout.SAMPLE_RATE if done else 0.0


def preview_meeting(folder: Path, *, settings: Settings, count: SpeakerCount, meeting_id: str, display_name: str,
                    reference_date: date) -> Meeting | None:
    """The minutes of the recording's start, from the plan and segment results in ``folder``; None when the
    segments done from the start hold no speech."""
    plan = fanout.load_plan(folder)
    results = done_from_start(folder, plan)
    if not results:
        return None
    heard = fanout.join_asr(results, plan)
    if not heard.segments:
        return None
    covered = covered_seconds(plan, len(results))
    diarized = (fanout.join_diarization(results, count, settings) if settings.diarization_backend != "none"
                else Diarization(turns=[]))
    segments = align.assign_speakers(heard.segments, diarized.exclusive or diarized.turns)
    chunks = chunking.make_chunks(segments, [], covered, settings.chunk_seconds)
    chunk_minutes, whole = minutes.write_minutes(segments, chunks, diary=False, reference_date=reference_date,
                                                 settings=settings, language=heard.language)
    return Meeting(
        meeting_id=meeting_id,
        source=SourceInfo(name=display_name, sha256="", size_bytes=0, format="", duration=round(plan.duration, 3),
                          has_video=False),
        language=heard.language,
        speakers=list(dict.fromkeys(s.speaker for s in segments if s.speaker)),
        transcript=Transcript(language=heard.language, language_probability=heard.language_probability,
                              duration=round(covered, 3), segments=segments),
        turns=diarized.turns,
        chunks=chunks,
        chunk_minutes=chunk_minutes,
        minutes=whole,
        models={"asr": heard.model_path, "diarization": settings.diarization_backend},
    )
