"""What crosses the boundary between a caller and a pipeline process: the request, the outcome, the errors."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from lifestream.errors import LifeStreamError
from lifestream.pipeline.fanout import Span
from lifestream.pipeline.naming import Person
from lifestream.settings import Settings
from lifestream.voiceprints import Voiceprint

if TYPE_CHECKING:
    from lifestream.models import Meeting

# The test-only crash switch: see lifestream.pipeline.isolation.
CRASH_ENV = "LIFESTREAM_TEST_CRASH"
CRASH_MODES = ("segv", "ill", "kill", "hang")


class PipelineCrashed(LifeStreamError):
    """The child process running the pipeline died (a signal, or an unexpected exit).

    Transient: the next attempt gets a fresh process, and an OOM kill may not recur;
    the job's attempt cap stops one that always crashes.
    """

    def __init__(self, message: str, *, signal_number: int | None = None, stages: tuple[str, ...] = ()):
        super().__init__(message)
        self.signal_number = signal_number
        self.stages = stages


class PipelineTimedOut(LifeStreamError):
    """The pipeline ran past its time limit and its process was stopped.

    Permanent: the same recording on the same code would most likely hang again.
    """

    permanent = True


class PipelineFailure(Exception):
    """An exception from the child that could not be sent back as itself (not picklable)."""

    def __init__(self, type_name: str, detail: str):
        super().__init__(f"{type_name}: {detail}" if detail else type_name)
        self.type_name = type_name
        self.detail = detail


@dataclass(frozen=True)
class IndexScope:
    """Where the finished meeting is indexed for search (a workspace and one of its conversations)."""

    workspace: str
    conversation: str


@dataclass(frozen=True)
class PipelineRequest:
    """Everything ``process_recording`` takes, in a form that crosses a process boundary."""

    path: Path
    settings: Settings
    meeting_id: str | None = None
    result_dir: Path | None = None
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None
    display_name: str | None = None
    reference_date: date | None = None
    index: IndexScope | None = None
    people: tuple[Person, ...] = ()  # who the speakers may be: the members of the chat it was shared in
    remember_voices: bool = False  # the workspace keeps voiceprints: keep the speakers' voices, recognise
    voiceprints: tuple[Voiceprint, ...] = ()  # the workspace's, to recognise its people by voice
    checkpoint_dir: Path | None = None  # a local folder; the caller brings it from and back to storage
    fanout_dir: Path | None = None  # a fanned-out recording's plan and segment results (a local folder)


@dataclass(frozen=True)
class SegmentRequest:
    """One segment of a fanned-out recording (``lifestream.pipeline.fanout.process_segment``): its piece of
    audio in, its result written to ``out_dir``."""

    piece: Path
    span: Span
    total_samples: int
    settings: Settings
    out_dir: Path


@dataclass(frozen=True)
class ScenesRequest:
    """Scene detection alone, into a checkpoint folder (``runner.detect_scenes_ahead``)."""

    path: Path
    settings: Settings
    result_dir: Path
    checkpoint_dir: Path
    num_speakers: int | None = None  # part of the checkpoint's key, as in PipelineRequest
    min_speakers: int | None = None
    max_speakers: int | None = None


@dataclass(frozen=True)
class LanguageRequest:
    """The language of a recording about to be fanned out (``lifestream.pipeline.fanout.detect_plan_language``),
    from its segments' pieces, in the plan's order."""

    pieces: tuple[Path, ...]
    spans: tuple[Span, ...]
    settings: Settings


@dataclass(frozen=True)
class PreviewRequest:
    """Early minutes of a fanned-out recording (``lifestream.pipeline.preview``): the plan and the results of
    the segments done from the start, in ``folder``."""

    folder: Path
    settings: Settings
    meeting_id: str
    display_name: str
    reference_date: date
    num_speakers: int | None = None
    min_speakers: int | None = None
    max_speakers: int | None = None


@dataclass(frozen=True)
class PipelineRun:
    meeting: Meeting
    seconds: float  # as the caller saw it: the child's processing plus the hand-offs
    peak_rss_bytes: int | None  # the child's peak resident memory during this job (Linux)
    pid: int


@dataclass(frozen=True)
class SegmentRun:
    files: tuple[Path, ...]  # the segment's result files, in the order they are to be stored (last: complete)
    seconds: float  # the segment's processing in the child
    peak_rss_bytes: int | None
    pid: int


def describe_exit(exitcode: int | None) -> tuple[str, int | None]:
    """("signal 4 (illegal instruction)", 4) for a child killed by SIGILL; ("exit code 3", None) otherwise."""
    if exitcode is not None and exitcode < 0:
        number = -exitcode
        try:
            name = (signal.strsignal(number) or signal.Signals(number).name).lower()
        except ValueError:
            name = "unknown signal"
        if number == signal.SIGKILL:
            name = "killed; out of memory?"
        return f"signal {number} ({name})", number
    return f"exit code {exitcode}", None


def crash_spec() -> tuple[str, str] | None:
    """The test-only crash switch (CRASH_ENV), read when a job is handed to a child."""
    value = os.environ.get(CRASH_ENV, "").strip()
    if not value:
        return None
    stage, _, mode = value.partition(":")
    if mode not in CRASH_MODES:
        raise ValueError(f"{CRASH_ENV}={value!r}: write <stage>:<{'|'.join(CRASH_MODES)}>")
    return stage, mode
