"""The whole pipeline for one recording, stage by stage, each timed.

probe → extract → (ASR ‖ diarization ‖ scenes) → align → chunks → classify →
redact (opt-in) → names → insights → minutes → index → write. The three
middle branches run at the same time: on a small machine diarization and scene
detection hide behind ASR instead of adding to it.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol, TypeVar

from lifestream.errors import NoSpeechError
from lifestream.models import Meeting, Scene, SourceInfo, Transcript
from lifestream.pipeline import (
    align,
    asr,
    chunking,
    classify,
    diarization,
    extract,
    fanout,
    insights,
    limits,
    llm_answers,
    minutes,
    outputs,
    probe,
    redaction,
    scenes,
)
from lifestream.pipeline.checkpoints import ASR, DIARIZATION, SCENES, Checkpoints, Shaping, Stage
from lifestream.pipeline.naming import Person, name_speakers
from lifestream.settings import Settings
from lifestream.voiceprints import VOICES_FILE, MeetingVoices, Voiceprint, recognise

log = logging.getLogger(__name__)

STAGES = ("probe", "extract", "asr", "diarization", "scenes", "align", "chunks", "classify", "redact", "names",
          "insights", "minutes", "index", "write")


@dataclass(frozen=True)
class StageEvent:
    stage: str
    # "started" | "progress" | "finished" | "skipped" | "resumed" (taken from a checkpoint) |
    # "checkpointed" (its result is in the checkpoint folder, after "finished")
    state: str
    fraction: float = 0.0
    seconds: float | None = None


EventCallback = Callable[[StageEvent], None]
T = TypeVar("T")


class Indexer(Protocol):
    """Anything that wants the finished meeting before its results are written (the search index)."""

    def embed_ahead(self, meeting: Meeting) -> None:
        """Called while the minutes are written, with everything else of the meeting final: work that
        does not need the minutes can be done here, beside them."""

    def index_meeting(self, meeting: Meeting) -> object: ...


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Stages:
    """Times stages and reports them; safe to use from the parallel branches."""

    def __init__(self, on_event: EventCallback | None) -> None:
        self.timings: dict[str, float] = {}
        self.resumed: list[str] = []
        self._on_event = on_event
        self._lock = threading.Lock()

    def emit(self, event: StageEvent) -> None:
        if self._on_event:
            with self._lock:
                self._on_event(event)

    def run(self, name: str, fn: Callable, *args, **kwargs):
        self.emit(StageEvent(name, "started"))
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        elapsed = time.perf_counter() - start
        self.timings[name] = round(elapsed, 3)
        self.emit(StageEvent(name, "finished", 1.0, elapsed))
        return result

    def progress(self, name: str) -> Callable[[float], None]:
        return lambda fraction: self.emit(StageEvent(name, "progress", fraction))

    def skip(self, name: str) -> None:
        self.emit(StageEvent(name, "skipped", 1.0, 0.0))

    def costly(self, stage: Stage[T], checkpoints: Checkpoints | None, fn: Callable[..., T], *args, **kwargs) -> T:
        """Run a checkpointed stage, or take its result from an earlier attempt's checkpoint."""
        if checkpoints is not None:
            kept = checkpoints.load(stage)
            if kept is not None:
                with self._lock:
                    self.resumed.append(stage.name)
                self.emit(StageEvent(stage.name, "resumed", 1.0, 0.0))
                return kept
        result = self.run(stage.name, fn, *args, **kwargs)
        if checkpoints is not None:
            checkpoints.save(stage, result)
            self.emit(StageEvent(stage.name, "checkpointed", 1.0))  # the caller may store it now
        return result


def process_recording(
    path: Path,
    *,
    settings: Settings,
    meeting_id: str | None = None,
    result_dir: Path | None = None,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
    display_name: str | None = None,
    reference_date: date | None = None,
    indexers: Iterable[Indexer] = (),
    on_event: EventCallback | None = None,
    people: Iterable[Person] = (),
    remember_voices: bool = False,
    voiceprints: Sequence[Voiceprint] = (),
    checkpoint_dir: Path | None = None,
    fanout_dir: Path | None = None,
) -> Meeting:
    """Process one recording into a meeting, its minutes and its result files (in ``result_dir``).

    ``people``: who the speakers may be (the members of the chat it was shared in); a name heard in
    the recording that fits one of them links the speaker to that person.
    ``remember_voices`` (the workspace's voiceprints are on): the speakers' voice embeddings are kept
    beside the results (``voices.json``, numbers only), and speakers whose voice matches one of
    ``voiceprints`` (the workspace's) are named after that person, "recognised by voice".
    ``checkpoint_dir``: where ASR, diarization and scenes keep their results for a later attempt, and
    where an earlier attempt's are taken from (``lifestream.pipeline.checkpoints``).
    ``fanout_dir``: the plan and every segment's result of a fanned-out recording (``lifestream.pipeline.fanout``);
    ASR and diarization are then their join, and the audio is not extracted again.
    """
    path = Path(path)
    stages = _Stages(on_event)
    started = time.perf_counter()

    media = stages.run("probe", probe.probe, path)
    limits.check_duration(media.duration, display_name or path.name, settings)
    sha = file_sha256(path)
    meeting_id = meeting_id or sha[:16]
    result_dir = result_dir or settings.results_dir / meeting_id
    work_dir = result_dir / ".work"
    speaker_count = diarization.SpeakerCount(num_speakers, min_speakers, max_speakers)
    checkpoints = (Checkpoints(checkpoint_dir, Shaping(sha, settings, speaker_count), result_dir)
                   if checkpoint_dir is not None else None)
    try:
        joined = _fanned_out(fanout_dir, speaker_count, settings) if fanout_dir is not None else None
        if joined is None:
            wav = stages.run("extract", extract.extract_audio, media, work_dir / "audio.wav",
                             max_seconds=settings.max_duration)
            audio = extract.load_wav(wav)  # memory-mapped: the stages page in what they read
        else:
            stages.skip("extract")  # each segment's worker had its piece

        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="lifestream-stage") as pool:
            if joined is not None:
                asr_future = pool.submit(stages.costly, ASR, checkpoints, joined.asr)
            else:
                asr_future = pool.submit(stages.costly, ASR, checkpoints, asr.transcribe_as_configured, audio,
                                         settings, on_progress=stages.progress("asr"))
            if settings.diarization_backend != "none":
                if joined is not None:
                    diar_future = pool.submit(stages.costly, DIARIZATION, checkpoints, joined.diarization)
                else:
                    diarizer = diarization.configured_diarizer(settings)
                    diar_future = pool.submit(stages.costly, DIARIZATION, checkpoints, diarizer.diarize, audio,
                                              speaker_count)
            else:
                stages.skip("diarization")
                diar_future = None
            if media.has_video:
                scene_future = pool.submit(_scenes, stages, checkpoints, path, settings, result_dir)
            else:
                stages.skip("scenes")
                scene_future = None
            asr_result = asr_future.result()
            diarized = diar_future.result() if diar_future else diarization.Diarization(turns=[])
            turns = diarized.turns
            scene_list = scene_future.result() if scene_future else []

        if not asr_result.segments:
            raise NoSpeechError(f"{display_name or path.name}: no speech was found in the recording.")

        segments = stages.run("align", align.assign_speakers, asr_result.segments, diarized.exclusive or turns)
        transcript = Transcript(language=asr_result.language, language_probability=asr_result.language_probability,
                                duration=round(media.duration, 3), segments=segments)
        chunks = stages.run("chunks", chunking.make_chunks, segments, scene_list, media.duration, settings.chunk_seconds)
        verdict = stages.run("classify", classify.classify, segments, media.duration)
        speakers = list(dict.fromkeys(s.speaker for s in segments if s.speaker))

        meeting = Meeting(
            meeting_id=meeting_id,
            source=SourceInfo(name=display_name or path.name, sha256=sha, size_bytes=path.stat().st_size,
                              format=media.format, duration=round(media.duration, 3), has_video=media.has_video,
                              width=media.width, height=media.height),
            language=asr_result.language,
            speakers=speakers,
            transcript=transcript,
            turns=turns,
            scenes=scene_list,
            chunks=chunks,
            classification=verdict,
            models={"asr": asr_result.model_path, "diarization": settings.diarization_backend},
        )
        if settings.redact:
            # Before the minutes (an LLM never sees the originals), the index and the files.
            meeting = stages.run("redact", redaction.redact_meeting, meeting, settings.redact_phone_regions)
            segments = meeting.transcript.segments if meeting.transcript else []
            chunks = meeting.chunks
        else:
            stages.skip("redact")
        # After redaction, so a model asked for names never sees what was masked.
        voices = None
        if remember_voices and diarized.speakers:
            voices = MeetingVoices.from_profiles({k: v for k, v in diarized.speakers.items() if k in speakers})
        recognised = recognise(voiceprints, voices.speakers) if voices is not None and voiceprints else []
        stages.run("names", name_speakers, meeting, settings, people, recognised)
        if voices is not None:
            (result_dir / VOICES_FILE).write_text(voices.model_dump_json(), encoding="utf-8")
        meeting.insights = stages.run("insights", insights.compute, meeting)
        indexers = list(indexers)
        # The search passages are embedded beside the minutes (seconds of torch for an hour, which an LLM's
        # minutes hide completely), so the index stage after them has only the minutes' items left.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lifestream-embed") as side:
            ahead = [side.submit(ix.embed_ahead, meeting) for ix in indexers]
            answers = (llm_answers.AnswerStore(checkpoint_dir, on_saved=lambda: stages.emit(
                StageEvent(llm_answers.STAGE, "checkpointed", 1.0))) if checkpoint_dir is not None else None)
            chunk_minutes, whole = stages.run(
                "minutes", minutes.write_minutes, segments, chunks, diary=not verdict.is_meeting,
                reference_date=reference_date or meeting.created_at.date(), settings=settings,
                speaker_names=meeting.speaker_names,  # to find who "Sheila, can you…" asks; text keeps the labels
                language=meeting.language,  # the rules (and the model's prose) of the language spoken
                answers=answers,
            )
            if answers is not None and answers.hits:
                log.info("meeting %s: %d of the minutes model's answers kept from an earlier attempt, %d asked anew",
                         meeting_id, answers.hits, answers.saved)
            meeting.chunk_minutes, meeting.minutes = chunk_minutes, whole
            if indexers:
                stages.run("index", lambda: [(done.result(), ix.index_meeting(meeting))
                                             for done, ix in zip(ahead, indexers, strict=True)])
            else:
                stages.skip("index")
        meeting.timings = dict(stages.timings)  # what ran in this attempt: a resumed stage has no time here
        meeting.resumed = list(stages.resumed)
        meeting.timings["total"] = round(time.perf_counter() - started, 3)
        stages.run("write", outputs.write_results, meeting, result_dir)
        return meeting
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)


def detect_scenes_ahead(path: Path, *, settings: Settings, result_dir: Path, checkpoint_dir: Path,
                        speaker_count: diarization.SpeakerCount, on_event: EventCallback | None = None) -> int:
    """Scene detection alone, into the checkpoint folder: a fanned-out video's holder runs it while the
    segments are worked on, and the join takes it from there instead of detecting scenes after them.
    The number of scenes found."""
    stages = _Stages(on_event)
    checkpoints = Checkpoints(checkpoint_dir, Shaping(file_sha256(path), settings, speaker_count), result_dir)
    return len(_scenes(stages, checkpoints, path, settings, result_dir))


def _scenes(stages: _Stages, checkpoints: Checkpoints | None, path: Path, settings: Settings,
            result_dir: Path) -> list[Scene]:
    """Scene detection as a checkpointed stage, its keyframes in the result folder."""
    return stages.costly(SCENES, checkpoints, scenes.detect_scenes, path, result_dir / "keyframes",
                         frame_skip=settings.scene_frame_skip, threshold=settings.scene_threshold,
                         keyframe_width=settings.keyframe_width, relative_to=result_dir)


@dataclass(frozen=True)
class _Joined:
    """ASR and diarization of a fanned-out recording, as the join of its segments' results."""

    plan: fanout.Plan
    results: list[fanout.SegmentResult]
    count: diarization.SpeakerCount
    settings: Settings  # the diarizer's threads and model folder: the segments' workers embedded with the same one

    def asr(self) -> asr.AsrResult:
        return fanout.join_asr(self.results, self.plan)

    def diarization(self) -> diarization.Diarization:
        return fanout.join_diarization(self.results, self.count, self.settings)


def _fanned_out(folder: Path, count: diarization.SpeakerCount, settings: Settings) -> _Joined:
    plan = fanout.load_plan(folder)
    return _Joined(plan, fanout.load_results(folder, plan), count, settings)
