"""The parent's side: hands requests to pipeline processes, relays their events, and tells how they died."""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
import re
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lifestream.errors import LifeStreamError
from lifestream.pipeline.isolation.child import child_main
from lifestream.pipeline.isolation.request import (
    LanguageRequest,
    PipelineCrashed,
    PipelineRequest,
    PipelineRun,
    PipelineTimedOut,
    PreviewRequest,
    ScenesRequest,
    SegmentRequest,
    SegmentRun,
    crash_spec,
    describe_exit,
)
from lifestream.timefmt import duration_text

if TYPE_CHECKING:
    from lifestream.models import Meeting
    from lifestream.pipeline.runner import EventCallback, StageEvent

log = logging.getLogger(__name__)

_POLL_S = 0.25  # how often a waiting parent checks cancellation and the time limit
_RETIRE_WAIT_S = 5.0


@dataclass
class _Child:
    process: Any  # multiprocessing's Process of the forkserver context
    conn: Connection
    crash_log: Path
    jobs: int = 0
    reusable: bool = True


@dataclass
class _Stages:
    """What the parent knows of the child's stages: which thread runs which, which are running."""

    by_thread: dict[int, str] = field(default_factory=dict)
    running: list[str] = field(default_factory=list)
    last: str | None = None

    def note(self, event: StageEvent, thread: int) -> None:
        if event.state == "started":
            self.by_thread[thread] = event.stage
            self.running.append(event.stage)
            self.last = event.stage
        elif event.state in ("finished", "skipped") and event.stage in self.running:
            self.running.remove(event.stage)

    def culprit(self, dump: str) -> tuple[str, ...]:
        """The stage whose thread crashed (from faulthandler's dump), else every stage still running."""
        found = re.search(r"^Current thread (0x[0-9a-fA-F]+)", dump, re.MULTILINE)
        if found and (stage := self.by_thread.get(int(found.group(1), 16))) is not None:
            return (stage,)
        return tuple(self.running)


# The names faulthandler gives the signals it catches, in its dump's first line.
_FAULTS = {"Segmentation fault": signal.SIGSEGV, "Illegal instruction": signal.SIGILL, "Bus error": signal.SIGBUS,
           "Floating point exception": signal.SIGFPE, "Aborted": signal.SIGABRT}


def _first_fault(dump: str) -> int | None:
    """The signal that started it, as an exit code (-4), from faulthandler's first header.

    The exit status can name another: dumping every thread's stack while threads come and go
    may itself fault, and then the process dies of that second signal (a second header follows).
    """
    found = re.search(r"^Fatal Python error: (.+?)\s*$", dump, re.MULTILINE)
    number = _FAULTS.get(found.group(1)) if found else None
    return -number if number else None


def _where(stages: tuple[str, ...]) -> str:
    if not stages:
        return " before any stage started"
    return " in " + (stages[0] if len(stages) == 1 else ", ".join(stages[:-1]) + " or " + stages[-1])


CRASH_LOG_PREFIX = "lifestream-pipeline-"


def sweep_crash_logs(folder: Path | None = None) -> int:
    """Remove the crash logs left by pools whose process is gone; returns how many.

    A pool removes its children's logs as it retires them, but not when its
    own process is killed outright; a worker restarted after each OOM kill
    would otherwise leave a file per child in the temporary folder, forever.
    """
    removed = 0
    for path in Path(folder or tempfile.gettempdir()).glob(f"{CRASH_LOG_PREFIX}*-*.crash"):
        owner = path.name[len(CRASH_LOG_PREFIX):].split("-", 1)[0]
        if owner.isdigit() and not _alive(int(owner)):
            try:
                path.unlink()
                removed += 1
            except OSError:
                pass  # another pool swept it first, or it is not ours to remove
    return removed


# The crash logs of this process's pipeline children alive, whichever pool started them: a pool dropped
# without being closed leaves its idle children running until the process exits.
_LIVE_LOGS: set[Path] = set()


@atexit.register
def _remove_crash_logs_at_exit() -> None:
    # A process that exits without closing its pool (a CLI interrupted, a test) would leave its children's
    # logs to the next pool's sweep. This runs before multiprocessing's own exit handler (registered
    # sooner, run later) stops the children; a child still writing keeps its open file, not the name.
    for path in list(_LIVE_LOGS):
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class PipelinePool:
    """Child processes that run ``process_recording``; thread-safe, one job per child at a time.

    ``max_processes`` caps the children alive at once (0: one per caller running a job at
    that moment; a caller beyond the cap waits for a free child). A child is replaced after
    ``jobs_per_process`` jobs, and at once after a crash, a time-out or an abandoned job.
    """

    def __init__(self, *, max_processes: int = 0, jobs_per_process: int = 20) -> None:
        self.max_processes = max_processes
        self.jobs_per_process = jobs_per_process
        # glibc gives threads that allocate at once arenas of their own (up to 8 per core), each keeping its peak:
        # with ASR's windows side by side that was ~165 MB more of a 20-minute recording's peak (bench/README.md,
        # Thread budget). The fork server, and so every child, reads this when it starts; set by hand, it stays.
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")
        self._context = multiprocessing.get_context("forkserver")
        # The fork server imports these once; each child starts from there instead of from nothing.
        self._context.set_forkserver_preload(["lifestream.pipeline.runner"])
        self._idle: list[_Child] = []
        self._busy = 0
        self._closed = False
        self._cond = threading.Condition()
        sweep_crash_logs()

    # --- children

    def _start_child(self) -> _Child:
        # The parent's pid in the name: a parent killed outright (SIGKILL, the OOM killer) cannot remove
        # its children's logs, and the next pool on this machine tells them by it (sweep_crash_logs).
        fd, name = tempfile.mkstemp(prefix=f"{CRASH_LOG_PREFIX}{os.getpid()}-", suffix=".crash")
        os.close(fd)
        crash_log = Path(name)
        _LIVE_LOGS.add(crash_log)
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(target=child_main, args=(child_end, name), daemon=True,
                                        name="lifestream-pipeline")
        process.start()
        child_end.close()
        log.info("pipeline process %s started", process.pid)
        return _Child(process, parent_end, crash_log)

    def _checkout(self) -> _Child:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("the pipeline pool is closed")
                if self._idle:
                    self._busy += 1
                    return self._idle.pop()
                if not self.max_processes or self._busy < self.max_processes:
                    self._busy += 1
                    break
                self._cond.wait()
        try:
            return self._start_child()
        except BaseException:
            with self._cond:
                self._busy -= 1
                self._cond.notify()
            raise

    def _checkin(self, child: _Child) -> None:
        healthy = child.reusable and child.jobs < self.jobs_per_process and child.process.is_alive()
        with self._cond:
            self._busy -= 1
            kept = healthy and not self._closed
            if kept:
                self._idle.append(child)
            self._cond.notify()
        if not kept:
            self._retire(child)

    def _retire(self, child: _Child) -> None:
        if child.process.is_alive():
            try:
                child.conn.send(None)
            except OSError:
                pass
            child.process.join(_RETIRE_WAIT_S if child.reusable else 0)
            if child.process.is_alive():
                child.process.kill()
                child.process.join(_RETIRE_WAIT_S)
        child.conn.close()
        child.crash_log.unlink(missing_ok=True)
        _LIVE_LOGS.discard(child.crash_log)
        log.info("pipeline process %s retired after %d job(s)", child.process.pid, child.jobs)

    def idle_pids(self) -> list[int]:
        """The processes waiting for a job (with their models loaded)."""
        with self._cond:
            return [child.process.pid for child in self._idle]

    def close(self) -> None:
        """Stop the idle children; busy ones stop when their job ends."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        for child in idle:
            self._retire(child)

    # --- jobs

    def run(self, request: PipelineRequest, *, on_event: EventCallback | None = None,
            check: Callable[[], None] | None = None, time_limit: float | None = None) -> PipelineRun:
        """Process one recording in a child; returns when it is done, or raises.

        ``on_event`` gets the runner's StageEvents in this process, as they happen; ``check``
        is called a few times a second and may raise to abandon the job (cancelled, lease
        lost). Either raising, the time limit, or an interrupt here stops the child at once.
        Raises what the pipeline raised (MediaError, ...), PipelineCrashed, or PipelineTimedOut.
        """
        meeting, seconds, peak, pid = self._run(request, on_event, check, time_limit)
        return PipelineRun(meeting=meeting, seconds=seconds, peak_rss_bytes=peak, pid=pid)

    def run_segment(self, request: SegmentRequest, *, on_event: EventCallback | None = None,
                    check: Callable[[], None] | None = None, time_limit: float | None = None) -> SegmentRun:
        """One segment of a fanned-out recording in a child, as ``run`` does a recording."""
        (files, seconds), _, peak, pid = self._run(request, on_event, check, time_limit)
        return SegmentRun(files=files, seconds=seconds, peak_rss_bytes=peak, pid=pid)

    def run_scenes(self, request: ScenesRequest, *, on_event: EventCallback | None = None,
                   check: Callable[[], None] | None = None, time_limit: float | None = None) -> int:
        """Scene detection alone, into a checkpoint folder, in a child; the number of scenes."""
        found, _, _, _ = self._run(request, on_event, check, time_limit)
        return int(found)

    def run_preview(self, request: PreviewRequest, *, check: Callable[[], None] | None = None,
                    time_limit: float | None = None) -> Meeting | None:
        """Early minutes of a fanned-out recording's start, in a child (where the models already are)."""
        preview, _, _, _ = self._run(request, None, check, time_limit)
        return preview

    def run_language(self, request: LanguageRequest, *, check: Callable[[], None] | None = None,
                     time_limit: float | None = None) -> tuple[str, float] | None:
        """The language of a recording about to be fanned out, in a child (where the ASR model lives)."""
        found, _, _, _ = self._run(request, None, check, time_limit)
        return found

    def _run(self, request: PipelineRequest | SegmentRequest | ScenesRequest | PreviewRequest | LanguageRequest,
             on_event: EventCallback | None,
             check: Callable[[], None] | None, time_limit: float | None) -> tuple[Any, float, int | None, int]:
        crash = crash_spec()
        child = self._checkout()
        child.reusable = False  # until the child answers: any way out of here but an answer loses it
        child.jobs += 1
        started = time.monotonic()
        try:
            child.conn.send((request, crash))
            outcome, peak = self._wait(child, on_event, check, time_limit, started)
            return outcome, time.monotonic() - started, peak, child.process.pid
        finally:
            self._checkin(child)

    def _wait(self, child: _Child, on_event: EventCallback | None, check: Callable[[], None] | None,
              time_limit: float | None, started: float) -> tuple[Any, int | None]:
        stages = _Stages()
        deadline = started + time_limit if time_limit else None
        while True:
            if check is not None:
                check()
            timeout = _POLL_S if deadline is None else max(0.0, min(_POLL_S, deadline - time.monotonic()))
            ready = wait([child.conn, child.process.sentinel], timeout)
            # Messages first: events sent just before a crash still count, and a dead child's
            # pipe reads as EOF once they are consumed.
            if child.conn in ready:
                try:
                    message = child.conn.recv()
                except (EOFError, OSError):
                    raise self._crashed(child, stages) from None
                kind = message[0]
                if kind == "event":
                    stages.note(message[1], message[2])
                    if on_event is not None:
                        on_event(message[1])
                    continue
                child.reusable = True
                if kind == "done":
                    return message[1], message[2]
                raise self._failure(message[1], message[2])
            if child.process.sentinel in ready and not child.conn.poll():
                raise self._crashed(child, stages)
            if deadline is not None and time.monotonic() >= deadline:
                raise PipelineTimedOut(f"processing took longer than its time limit ({duration_text(time_limit or 0)}) "
                                       f"and was stopped{_where(tuple(stages.running))}")

    @staticmethod
    def _failure(exc: BaseException, child_traceback: str) -> BaseException:
        if not isinstance(exc, LifeStreamError):  # a bug: keep where it happened
            exc.add_note(f"in the pipeline process:\n{child_traceback}")
        return exc

    def _crashed(self, child: _Child, stages: _Stages) -> PipelineCrashed:
        child.process.join(_RETIRE_WAIT_S)
        try:
            dump = child.crash_log.read_text(errors="replace")
        except OSError:
            dump = ""
        how, number = describe_exit(_first_fault(dump) or child.process.exitcode)
        culprits = stages.culprit(dump)
        verb = "was killed" if number == signal.SIGKILL else "crashed"
        message = f"processing {verb}: {how}{_where(culprits)}"
        log.info("pipeline process %s: %s%s", child.process.pid, message, f"\n{dump}" if dump.strip() else "")
        return PipelineCrashed(message, signal_number=number, stages=culprits)


def process_isolated(request: PipelineRequest, *, on_event: EventCallback | None = None,
                     time_limit: float | None = None) -> Meeting:
    """One recording in a child of its own, for a process that handles one (``lifestream process``)."""
    pool = PipelinePool(max_processes=1, jobs_per_process=1)
    try:
        return pool.run(request, on_event=on_event, time_limit=time_limit).meeting
    finally:
        pool.close()
