"""A pipeline process: takes requests from its pipe, runs them, sends events and the outcome back."""

from __future__ import annotations

import faulthandler
import os
import pickle
import signal
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifestream.pipeline import heap
from lifestream.pipeline.isolation.request import (
    LanguageRequest,
    PipelineFailure,
    PipelineRequest,
    PreviewRequest,
    ScenesRequest,
    SegmentRequest,
)

if TYPE_CHECKING:
    from lifestream.pipeline.runner import EventCallback, StageEvent


class _ChildEvents:
    """The runner's event callback inside the child: forwards events, tagging each stage with its thread."""

    def __init__(self, conn: Connection, crash: tuple[str, str] | None) -> None:
        self._conn = conn
        self._crash = crash
        self._lock = threading.Lock()

    def __call__(self, event: StageEvent) -> None:
        with self._lock:
            self._conn.send(("event", event, threading.get_ident()))
        if self._crash and event.state == "started" and event.stage == self._crash[0]:
            _crash_now(self._crash[1])

    def send(self, message: tuple) -> None:
        with self._lock:
            self._conn.send(message)


def _crash_now(mode: str) -> None:
    """Die the way native code dies, in the calling thread (tests only: see lifestream.pipeline.isolation)."""
    import ctypes

    if mode == "segv":
        ctypes.string_at(0)  # reads address 0: SIGSEGV
    elif mode == "ill":
        import mmap

        code = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        code.write(b"\x0f\x0b")  # ud2: the CPU raises #UD, the kernel sends SIGILL
        address = ctypes.addressof(ctypes.c_char.from_buffer(code))
        ctypes.CFUNCTYPE(None)(address)()
    elif mode == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # what the OOM killer does
    elif mode == "hang":
        ctypes.CDLL(None).sleep(1_000_000)  # a native call that does not come back
    signal.pthread_kill(threading.get_ident(), signal.SIGILL)  # not reached unless the above was survived


def _die_with_parent() -> None:
    """SIGKILL this child when its parent (the fork server, which exits with our caller) goes away."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the pipe's EOF still ends an idle child
        pass


def _reset_peak_rss() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # "5": reset the peak RSS (VmHWM), Linux >= 4.0
    except OSError:
        pass


def _peak_rss() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a stand-in naming its type."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return PipelineFailure(type(exc).__name__, str(exc))


def _segment(request: SegmentRequest, on_event: EventCallback) -> tuple[tuple[Path, ...], float]:
    from lifestream.pipeline.fanout import process_segment
    from lifestream.pipeline.runner import StageEvent

    on_event(StageEvent("segment", "started"))
    result = process_segment(request.piece, request.span, request.total_samples, request.settings,
                             on_progress=lambda f: on_event(StageEvent("segment", "progress", f)))
    on_event(StageEvent("segment", "finished", 1.0, result.seconds))
    return tuple(result.save(request.out_dir)), result.seconds


def _process(request: PipelineRequest | SegmentRequest | ScenesRequest | PreviewRequest | LanguageRequest,
             on_event: EventCallback) -> Any:
    if isinstance(request, SegmentRequest):
        return _segment(request, on_event)
    if isinstance(request, LanguageRequest):
        from lifestream.pipeline.fanout import detect_plan_language

        return detect_plan_language(request.pieces, request.spans, request.settings)
    if isinstance(request, PreviewRequest):
        from lifestream.pipeline.diarization import SpeakerCount
        from lifestream.pipeline.preview import preview_meeting

        return preview_meeting(request.folder, settings=request.settings, meeting_id=request.meeting_id,
                               display_name=request.display_name, reference_date=request.reference_date,
                               count=SpeakerCount(request.num_speakers, request.min_speakers, request.max_speakers))
    if isinstance(request, ScenesRequest):
        from lifestream.pipeline.diarization import SpeakerCount
        from lifestream.pipeline.runner import detect_scenes_ahead

        count = SpeakerCount(request.num_speakers, request.min_speakers, request.max_speakers)
        return detect_scenes_ahead(request.path, settings=request.settings, result_dir=request.result_dir,
                                   checkpoint_dir=request.checkpoint_dir, speaker_count=count, on_event=on_event)
    from lifestream.pipeline.runner import process_recording

    indexers: list[Any] = []  # lifestream.search.Indexer: the runner's Indexer protocol, returning a count
    if request.index is not None:
        from lifestream.search import Indexer, get_index

        indexers.append(Indexer(get_index(request.settings), workspace=request.index.workspace,
                                conversation=request.index.conversation, settings=request.settings))
    return process_recording(request.path, settings=request.settings, meeting_id=request.meeting_id,
                             result_dir=request.result_dir, num_speakers=request.num_speakers,
                             min_speakers=request.min_speakers, max_speakers=request.max_speakers,
                             display_name=request.display_name, reference_date=request.reference_date,
                             indexers=indexers, people=request.people,
                             remember_voices=request.remember_voices, voiceprints=request.voiceprints,
                             checkpoint_dir=request.checkpoint_dir, fanout_dir=request.fanout_dir,
                             on_event=on_event)


def _no_shared_locks() -> None:
    """tqdm (which faster-whisper uses, even silently) would make a cross-process lock, a POSIX
    semaphore that a killed child leaks; a child has no other process to share progress bars with."""
    from tqdm import tqdm

    tqdm.set_lock(threading.RLock())


def child_main(conn: Connection, crash_log: str) -> None:
    _die_with_parent()
    _no_shared_locks()
    # Ctrl-C reaches the whole process group; the parent decides what happens to a running job.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    dump = open(crash_log, "w")  # noqa: SIM115  (kept open for faulthandler until the process ends)
    faulthandler.enable(dump, all_threads=True)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:  # retired
            return
        request, crash = message
        events = _ChildEvents(conn, crash)
        _reset_peak_rss()
        try:
            outcome = _process(request, events)
        except BaseException as exc:  # noqa: BLE001  (every failure goes back to the parent)
            events.send(("error", _portable(exc), traceback.format_exc()))
        else:
            events.send(("done", outcome, _peak_rss()))
        finally:
            # Between jobs the child only waits: what the job freed need not stay resident meanwhile.
            heap.trim()
