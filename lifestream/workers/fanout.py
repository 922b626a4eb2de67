"""Fan-out, the worker's side: a long recording's segments as messages that any worker can take.

The job's own message is worked as usual by one worker, the job's holder (lease, checkpoints, publication).
For a recording longer than ``LIFESTREAM_FANOUT_SECONDS`` the holder:

1. plans the segments (cut at pauses: ``lifestream.pipeline.fanout``) and stores each one's audio piece in
   ``results/<job>/.fanout/``, the plan last;
2. sends one ``process_segment`` message per segment not done yet, then works through the segments itself
   as well. A holder that only waited could stall a fleet whose every worker holds a long job; one that
   works too is never slower than the sequential path;
3. once every segment's result is stored, runs the rest of the pipeline on their join.

A segment is taken by writing a claim (who, until when) that its worker renews while it works; a segment
whose claim ran out (its worker died: a Spot interruption, the OOM killer) is taken again, alone, by
whoever looks next. Storage has no compare-and-set, so two workers reading a free segment at the same
moment may both take it: the work is then done twice and gives the same result; nothing is lost.

What is kept survives the holder too: a retry of the job finds the plan and the results stored so far and
does only the rest. It all goes when the job completes or is re-run (``checkpoints.drop``).
"""

from __future__ import annotations

import io
import json
import logging
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from functools import partial
from pathlib import Path

from lifestream.models import Meeting
from lifestream.pipeline import extract, probe
from lifestream.pipeline.fanout import (
    PLAN_FILE,
    SPLITTABLE_DIARIZATION,
    Plan,
    Span,
    make_plan,
    piece_name,
    write_pieces,
)
from lifestream.pipeline.isolation import (
    LanguageRequest,
    PipelineRequest,
    PreviewRequest,
    ScenesRequest,
    SegmentRequest,
)
from lifestream.pipeline.preview import covered_seconds
from lifestream.pipeline.probe import MediaInfo
from lifestream.pipeline.runner import StageEvent
from lifestream.services import Services
from lifestream.settings import Settings
from lifestream.storage import Storage, StorageMissing, fanout_prefix
from lifestream.workers import policy
from lifestream.workers.jobstore import Job

log = logging.getLogger(__name__)

_POLL_S = 2.0  # how often a holder waiting for other workers' segments looks at storage
PREVIEW_FILE = "preview.json"  # the early minutes (a Meeting), beside the segments' work: gone with it
# Where a chat notifier records the message it showed them in (``slack-preview.json``...), in the job's results:
# kept when the results are published (``keep_preview_posts``), so the whole minutes can take that message's place.
PREVIEW_POSTS_SUFFIX = "-preview.json"
_FANNED_STAGES = ("asr", "diarization")


def applies(settings: Settings, duration: float) -> bool:
    return (settings.fanout_seconds > 0 and duration > settings.fanout_seconds
            and settings.diarization_backend in SPLITTABLE_DIARIZATION)


def _key(job_id: str, *parts: str) -> str:
    return fanout_prefix(job_id) + "/".join(parts)


def _claim_key(job_id: str, index: int) -> str:
    return _key(job_id, "claims", f"{index:04d}.json")


def _temporary(settings: Settings, prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A scratch folder in the worker's scratch space (where run_pipeline keeps its own)."""
    root = settings.data_dir / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(dir=root, prefix=prefix)


def load_plan(storage: Storage, job_id: str, scratch: Path) -> Plan | None:
    try:
        path = storage.get(_key(job_id, PLAN_FILE), scratch / PLAN_FILE)
        return Plan.from_json(path.read_text(encoding="utf-8"))
    except StorageMissing:
        return None
    except (ValueError, KeyError, TypeError) as exc:  # an older format, or damaged: planned again
        log.warning("job %s: its fan-out plan cannot be used (%s); planning again", job_id, exc)
        return None


def done_segments(storage: Storage, job_id: str) -> set[int]:
    """The segments whose result is stored whole (its words file is written last)."""
    found = set()
    for obj in storage.list(_key(job_id, "results/")):
        name = obj.key.rsplit("/", 1)[-1]
        if name.endswith(".json") and name[:-5].isdigit():
            found.add(int(name[:-5]))
    return found


# --- claims


def _claim_holder(storage: Storage, job_id: str, index: int, scratch: Path) -> dict | None:
    """The live claim on a segment, if any."""
    try:
        path = storage.get(_claim_key(job_id, index), scratch / f"claim-{index}.json")
        claim = json.loads(path.read_text(encoding="utf-8"))
    except StorageMissing:
        return None
    except ValueError:  # half written: as good as none
        return None
    return claim if claim.get("until", 0) > time.time() else None


def _write_claim(storage: Storage, job_id: str, index: int, owner: str, seconds: float) -> None:
    body = json.dumps({"owner": owner, "until": time.time() + seconds}).encode()
    # A plain put: one object, written whole (S3 and the local folder alike); no need for put_files' publication.
    storage.put(_claim_key(job_id, index), io.BytesIO(body), content_type="application/json")


class SegmentTaken(Exception):
    """Another worker claimed the segment at the same moment, and its claim is the one that stayed."""


# A claim is read back this long after it is written. Two workers that found a segment free at the same
# moment both write one; the store keeps the last, and only its writer goes on (storage has no
# compare-and-set; a put slower than this can still let both work, which costs time, not data).
_SETTLE_S = 1.0


class _Claim(threading.Thread):
    """Holds a segment's claim while its worker works on it."""

    def __init__(self, storage: Storage, job_id: str, index: int, owner: str, seconds: float, scratch: Path) -> None:
        super().__init__(name=f"claim-{job_id}-{index}", daemon=True)
        self.storage, self.job_id, self.index, self.owner, self.seconds = storage, job_id, index, owner, seconds
        self.scratch = scratch  # where the claim is read back
        self._released = threading.Event()

    def __enter__(self) -> _Claim:
        _write_claim(self.storage, self.job_id, self.index, self.owner, self.seconds)
        time.sleep(_SETTLE_S)
        holder = _claim_holder(self.storage, self.job_id, self.index, self.scratch)
        if holder is not None and holder.get("owner") != self.owner:
            raise SegmentTaken(f"segment {self.index} of job {self.job_id} was claimed by {holder.get('owner')}")
        self.start()
        return self

    def run(self) -> None:
        while not self._released.wait(self.seconds / 3):
            try:
                _write_claim(self.storage, self.job_id, self.index, self.owner, self.seconds)
            except Exception:  # two misses still leave it held
                log.warning("job %s: could not renew the claim on segment %d", self.job_id, self.index,
                            exc_info=True)

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.join(timeout=5)
        try:
            self.storage.delete(_claim_key(self.job_id, self.index))
        except Exception:  # it runs out by itself
            log.warning("job %s: could not release segment %d", self.job_id, self.index, exc_info=True)


# --- one segment


def work_segment(services: Services, job: Job, plan: Plan, span: Span, owner: str, *,
                 settings: Settings, check: Callable[[], None] | None = None,
                 on_fraction: Callable[[float], None] | None = None) -> float:
    """Claim a segment, process its piece in a pipeline process, store its result; the seconds it took."""
    storage = services.storage
    with _temporary(settings, f"segment-{job.id}-{span.index}-") as scratch, \
            _Claim(storage, job.id, span.index, owner, settings.fanout_claim_seconds, Path(scratch)):
        piece = storage.get(_key(job.id, "audio", piece_name(span.index)), Path(scratch) / piece_name(span.index))

        def on_event(event: StageEvent) -> None:
            if on_fraction is not None and event.state == "progress":
                on_fraction(event.fraction)

        run = services.pipelines.run_segment(
            SegmentRequest(piece, span, plan.total_samples, plan.segment_settings(settings), Path(scratch) / "out"),
            on_event=on_event, check=check, time_limit=policy.pipeline_time_limit_s(span.seconds, settings))
        for path in run.files:  # the embeddings first, the words (which mark it whole) last
            with path.open("rb") as fh:
                storage.put(_key(job.id, "results", path.name), fh)
    log.info("job %s: segment %d (%.0f s of audio) took %.1f s in process %d (peak RSS %s MB)", job.id,
             span.index, span.seconds, run.seconds, run.pid,
             f"{run.peak_rss_bytes / 2**20:.0f}" if run.peak_rss_bytes else "?")
    return run.seconds


def execute_segment(job_id: str, index: int, *, services: Services, owner: str) -> None:
    """The ``process_segment`` actor: take the segment unless it is done, taken, or no longer wanted."""
    job = services.store.get(job_id)
    if job is None or job.final:
        return
    settings = services.settings_for(job.origin.workspace if job.origin else None)
    with _temporary(settings, f"segment-{job_id}-") as scratch:
        plan = load_plan(services.storage, job_id, Path(scratch))
        if plan is None or index >= len(plan.spans):
            return
        if index in done_segments(services.storage, job_id) or _claim_holder(services.storage, job_id, index,
                                                                             Path(scratch)):
            return
    try:
        work_segment(services, job, plan, plan.spans[index], owner, settings=settings)
    except SegmentTaken:
        log.info("job %s: segment %d was taken by another worker at the same moment", job_id, index)
    except Exception:  # the holder (or a retry of the job) takes it again and says why if it fails for good
        log.warning("job %s: segment %d failed here; it is left to another worker", job_id, index, exc_info=True)


# --- the holder


def _make_plan(services: Services, job: Job, media: MediaInfo, scratch: Path, settings: Settings) -> Plan:
    """Plan the segments and store them, each one's audio first, the plan last."""
    started = time.perf_counter()
    wav = extract.extract_audio(media, scratch / "audio.wav", max_seconds=settings.max_duration)
    audio = extract.load_wav(wav)
    plan = make_plan(audio, settings.asr_window_seconds, settings.fanout_workers)
    pieces = write_pieces(audio, plan, scratch / "pieces")
    del audio
    wav.unlink()
    if not settings.asr_language:
        plan = plan.with_language(services.pipelines.run_language(
            LanguageRequest(tuple(pieces), plan.spans, settings),
            time_limit=policy.pipeline_time_limit_s(plan.spans[0].seconds, settings)))
    for path in pieces:
        with path.open("rb") as fh:
            services.storage.put(_key(job.id, "audio", path.name), fh)
        path.unlink()
    services.storage.put(_key(job.id, PLAN_FILE), io.BytesIO(plan.to_json().encode()), content_type="application/json")
    log.info("job %s: %.0f s of audio fanned out in %d segments, language %s (planned and stored in %.1f s)",
             job.id, plan.duration, len(plan.spans), plan.language or settings.asr_language or "per segment",
             time.perf_counter() - started)
    return plan


def fan_out(services: Services, job: Job, request: PipelineRequest, scratch: Path, *, owner: str,
            check: Callable[[], None], on_event: Callable[[StageEvent], None],
            on_preview: Callable[[], None] | None = None) -> Path | None:
    """Get every segment of a long recording done, here and on other workers; the local folder with the plan
    and their results (what ``process_recording(fanout_dir=...)`` joins), or None when it does not fan out.

    ``request`` is what the job's pipeline run will be (its recording, settings, result and checkpoint folders).
    ``on_preview``: called once the early minutes of the recording's start are stored (``load_preview``); without
    it none are made.
    """
    settings = request.settings
    if not applies(settings, job.duration or float("inf")):
        return None
    media = probe.probe(request.path)
    if not applies(settings, media.duration):
        return None
    storage = services.storage
    folder = scratch / "fanout"
    folder.mkdir(parents=True, exist_ok=True)
    plan = load_plan(storage, job.id, folder) or _make_plan(services, job, media, scratch, settings)
    done = done_segments(storage, job.id)
    for span in plan.spans:
        if span.index not in done:
            try:
                services.queue.send_segment(job.id, span.index, span.seconds)
            except Exception:  # this worker does it itself
                log.warning("job %s: could not send segment %d to other workers", job.id, span.index,
                            exc_info=True)
    if media.has_video and request.checkpoint_dir is not None and request.result_dir is not None:
        # Here and now, while other workers take segments: after them, the join would wait for it.
        services.pipelines.run_scenes(
            ScenesRequest(request.path, settings, request.result_dir, request.checkpoint_dir,
                          num_speakers=request.num_speakers, min_speakers=request.min_speakers,
                          max_speakers=request.max_speakers),
            on_event=on_event, check=check, time_limit=policy.pipeline_time_limit_s(media.duration, settings))
    for stage in _FANNED_STAGES:
        on_event(StageEvent(stage, "started"))
    started = time.perf_counter()
    preview = _Preview(services, job, request, plan, folder / "preview", on_preview) if on_preview else None
    while True:
        check()
        done = done_segments(storage, job.id)
        _progress(on_event, len(done) / len(plan.spans))
        missing = [span for span in plan.spans if span.index not in done]
        if not missing:
            break
        if preview is not None:
            preview.consider(done, check)
        free = next((span for span in missing if _claim_holder(storage, job.id, span.index, folder) is None), None)
        if free is None:  # every missing one is being worked on elsewhere
            time.sleep(_POLL_S)
            continue
        try:
            work_segment(services, job, plan, free, owner, settings=settings, check=check,
                         on_fraction=partial(_within, on_event, len(done), len(plan.spans)))
        except SegmentTaken:  # another worker has it
            continue
    for stage in _FANNED_STAGES:
        on_event(StageEvent(stage, "finished", 1.0, time.perf_counter() - started))
    return fetch_results(storage, job.id, plan, folder / "results")


def fetch_results(storage: Storage, job_id: str, plan: Plan, dest: Path, before: int | None = None) -> Path:
    """The plan and the stored segment results (all, or those of the segments before ``before``) in ``dest``:
    what ``process_recording(fanout_dir=...)`` and the early minutes read."""
    dest.mkdir(parents=True, exist_ok=True)
    for obj in storage.list(_key(job_id, "results/")):  # each segment's words, and embeddings unless off
        name = obj.key.rsplit("/", 1)[-1]
        if before is None or int(name.split(".", 1)[0]) < before:
            storage.get(obj.key, dest / name)
    (dest / PLAN_FILE).write_text(plan.to_json(), encoding="utf-8")
    return dest


def _within(on_event: Callable[[StageEvent], None], done: int, total: int, fraction: float) -> None:
    """Progress while this worker works on one more segment: its fraction of it counts too."""
    _progress(on_event, (done + fraction) / total)


def _progress(on_event: Callable[[StageEvent], None], fraction: float) -> None:
    for stage in _FANNED_STAGES:
        on_event(StageEvent(stage, "progress", min(1.0, fraction)))


# --- early minutes


class _Preview:
    """Early minutes of the recording's start, made once: as soon as the segments done from the first on cover
    a chunk, and only while others are still to do (once all are done, the whole minutes are near)."""

    def __init__(self, services: Services, job: Job, request: PipelineRequest, plan: Plan, folder: Path,
                 on_stored: Callable[[], None]) -> None:
        self.services, self.job, self.request, self.plan, self.folder = services, job, request, plan, folder
        self.on_stored = on_stored
        # an earlier attempt's, still stored, was shown already
        self.made = services.storage.stat(_key(job.id, PREVIEW_FILE)) is not None

    def consider(self, done: set[int], check: Callable[[], None]) -> None:
        if self.made:
            return
        first = next((span.index for span in self.plan.spans if span.index not in done), len(self.plan.spans))
        settings = self.request.settings
        if not first or covered_seconds(self.plan, first) < settings.chunk_seconds:
            return
        self.made = True  # tried once, whatever comes of it: it is not worth a second pass
        started = time.perf_counter()
        try:
            meeting = self._make(first, check)
            if meeting is None:
                return
            self.services.storage.put(_key(self.job.id, PREVIEW_FILE), io.BytesIO(meeting.model_dump_json().encode()),
                                      content_type="application/json")
        except Exception:
            check()  # cancelled or taken over: that ends the job, not just its early minutes
            log.warning("job %s: no early minutes (the whole minutes come as usual)", self.job.id, exc_info=True)
            return
        log.info("job %s: early minutes of the first %.0f s made in %.1f s", self.job.id,
                 covered_seconds(self.plan, first), time.perf_counter() - started)
        self.on_stored()

    def _make(self, first: int, check: Callable[[], None]) -> Meeting | None:
        results = fetch_results(self.services.storage, self.job.id, self.plan, self.folder / "results", before=first)
        request, settings = self.request, self.request.settings
        return self.services.pipelines.run_preview(
            PreviewRequest(results, settings, meeting_id=self.job.id, display_name=self.job.source_name,
                           reference_date=request.reference_date or datetime.now(timezone.utc).date(),
                           num_speakers=request.num_speakers, min_speakers=request.min_speakers,
                           max_speakers=request.max_speakers),
            check=check, time_limit=policy.pipeline_time_limit_s(covered_seconds(self.plan, first), settings))


def load_preview(storage: Storage, job_id: str, scratch: Path) -> Meeting | None:
    """The job's early minutes, if they were made and the segments' work is still kept."""
    try:
        path = storage.get(_key(job_id, PREVIEW_FILE), scratch / PREVIEW_FILE)
    except StorageMissing:
        return None
    return Meeting.model_validate_json(path.read_text(encoding="utf-8"))


def early_minutes(storage: Storage, job_id: str) -> Meeting | None:
    """The job's early minutes as the chats and the meeting's page show them: None unless they were made, with
    minutes, and the segments' work is still kept."""
    with tempfile.TemporaryDirectory(prefix="lifestream-early-") as folder:
        meeting = load_preview(storage, job_id, Path(folder))
    return meeting if meeting is not None and meeting.minutes is not None else None


def keep_preview_posts(storage: Storage, job: Job, result_dir: Path) -> None:
    """Copy the chat's records of the early minutes it posted into the results about to be published (which
    replace everything under the job's result prefix)."""
    for obj in storage.list(job.result_prefix):
        name = obj.key.removeprefix(job.result_prefix)
        if "/" not in name and name.endswith(PREVIEW_POSTS_SUFFIX):
            storage.get(obj.key, result_dir / name)
