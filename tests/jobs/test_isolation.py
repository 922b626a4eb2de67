"""The pipeline's child processes: real crashes (SIGSEGV, SIGILL, SIGKILL, a hung native call) end one
job with a reason naming the stage, and the pool goes on with a fresh process.

The crashes are real: LIFESTREAM_TEST_CRASH makes the child read address 0, execute ``ud2``, SIGKILL
itself or sleep in libc when the named stage starts (lifestream.pipeline.isolation).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lifestream.errors import MediaError
from lifestream.pipeline.isolation import (
    CRASH_ENV,
    PipelineCrashed,
    PipelinePool,
    PipelineRequest,
    PipelineTimedOut,
)
from lifestream.settings import Settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def pool():
    pool = PipelinePool(max_processes=1, jobs_per_process=3)
    yield pool
    pool.close()


@pytest.fixture
def fast(tmp_path) -> Settings:
    """The quickest real pipeline: tiny.en, no diarization (a crash test needs the stages, not the models)."""
    return Settings(data_dir=tmp_path / "data", asr_model="tiny.en", asr_beam_size=1, diarization_backend="none")


def _not_media(tmp_path: Path) -> Path:
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(b"\x00 not a recording " * 100)
    return bad


def pipeline_processes():
    """The pipeline processes alive now (children of the fork server, which is a child of this process)."""
    import multiprocessing

    return [p for p in multiprocessing.active_children() if p.name == "lifestream-pipeline"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("mode,stage,expected", [
    ("segv", "extract", "processing crashed: signal 11 (segmentation fault) in extract"),
    ("ill", "asr", "processing crashed: signal 4 (illegal instruction) in asr"),
    ("kill", "extract", "processing was killed: signal 9 (killed; out of memory?) in extract"),
])
def test_a_crashing_child_ends_its_job_only(pool, fast, sample_wav, tmp_path, monkeypatch, mode, stage, expected):
    monkeypatch.setenv(CRASH_ENV, f"{stage}:{mode}")
    events = []
    with pytest.raises(PipelineCrashed) as crash:
        pool.run(PipelineRequest(sample_wav, fast), on_event=events.append)
    assert crash.value.message == expected
    assert crash.value.signal_number == {"segv": 11, "ill": 4, "kill": 9}[mode] and crash.value.stages == (stage,)
    assert not crash.value.permanent  # another attempt gets a fresh process
    assert [(e.stage, e.state) for e in events][-1] == (stage, "started")  # progress flowed until the crash
    # This process is fine, and the pool serves the next job with a new child.
    monkeypatch.delenv(CRASH_ENV)
    with pytest.raises(MediaError, match="notes.mp4: not a readable audio or video file"):
        pool.run(PipelineRequest(_not_media(tmp_path), fast))


def test_the_crashing_stage_is_named_among_parallel_ones(pool, sample_wav, tmp_path, monkeypatch):
    # ASR, diarization and scenes run at once in threads of the child; faulthandler's dump says which
    # thread died, and the events said which stage each thread runs.
    settings = Settings(data_dir=tmp_path / "data", asr_model="tiny.en", asr_beam_size=1)
    monkeypatch.setenv(CRASH_ENV, "diarization:ill")
    events = []
    with pytest.raises(PipelineCrashed) as crash:
        pool.run(PipelineRequest(sample_wav, settings), on_event=events.append)
    assert crash.value.message == "processing crashed: signal 4 (illegal instruction) in diarization"
    started = {e.stage for e in events if e.state == "started"}
    finished = {e.stage for e in events if e.state == "finished"}
    assert "asr" in started  # ASR was running beside it (or done): the dump, not a guess, names the stage
    assert "diarization" not in finished


def test_a_hung_native_call_is_stopped_by_the_time_limit(pool, fast, sample_wav, tmp_path, monkeypatch):
    monkeypatch.setenv(CRASH_ENV, "asr:hang")
    began = time.monotonic()
    with pytest.raises(PipelineTimedOut) as timeout:
        pool.run(PipelineRequest(sample_wav, fast), time_limit=8)
    assert 8 <= time.monotonic() - began < 20
    assert timeout.value.message == "processing took longer than its time limit (8 s) and was stopped in asr"
    assert timeout.value.permanent


def test_a_job_abandoned_by_its_caller_stops_its_child(pool, fast, sample_wav, monkeypatch):
    # A cancelled job (or one whose lease was lost) stops now, even inside a native call.
    monkeypatch.setenv(CRASH_ENV, "asr:hang")
    others = {p.pid for p in pipeline_processes()}  # other pools' idle processes (a session fixture's)
    hung: list[int] = []

    class Cancelled(Exception):
        pass

    def on_event(event):
        if event.stage == "asr" and event.state == "started":
            hung.extend(p.pid for p in pipeline_processes() if p.pid not in others)

    def check():
        if hung:
            raise Cancelled()

    with pytest.raises(Cancelled):
        pool.run(PipelineRequest(sample_wav, fast), on_event=on_event, check=check)
    assert hung and not any(_alive(pid) for pid in hung) and pool.idle_pids() == []


def test_children_are_reused_then_recycled(fast, tmp_path):
    pool = PipelinePool(max_processes=1, jobs_per_process=2)
    bad = _not_media(tmp_path)
    pids = []
    try:
        for _ in range(3):
            with pytest.raises(MediaError):
                pool.run(PipelineRequest(bad, fast))
            pids.append(pool.idle_pids()[0] if pool.idle_pids() else None)
    finally:
        pool.close()
    # An error from the pipeline keeps the child; after 2 jobs it is replaced.
    assert pids[0] is not None and pids[1] is None and pids[2] is not None and pids[2] != pids[0]
    assert not _alive(pids[0])


def test_a_whole_job_in_a_child_reports_progress_and_memory(pool, fast, sample_wav):
    events = []
    run = pool.run(PipelineRequest(sample_wav, fast), on_event=events.append)
    assert run.meeting.transcript.segments and run.pid != os.getpid()
    finished = {e.stage for e in events if e.state == "finished"}
    assert {"probe", "extract", "asr", "align", "minutes", "write"} <= finished
    assert run.peak_rss_bytes and 100 * 2**20 < run.peak_rss_bytes < 4 * 2**30
    again = pool.run(PipelineRequest(sample_wav, fast))
    assert again.pid == run.pid  # models stay loaded in the same process


@pytest.mark.parametrize("mode,status,line", [
    ("ill", 128 + signal.SIGILL, "lifestream: processing crashed: signal 4 (illegal instruction) in asr"),
    ("segv", 128 + signal.SIGSEGV, "lifestream: processing crashed: signal 11 (segmentation fault) in asr"),
])
def test_cli_process_says_in_one_line_that_processing_crashed(sample_wav, tmp_path, mode, status, line):
    env = {**os.environ, CRASH_ENV: f"asr:{mode}", "LIFESTREAM_DATA_DIR": str(tmp_path / "data"),
           "LIFESTREAM_ASR_MODEL": "tiny.en", "LIFESTREAM_DIARIZATION_BACKEND": "none"}
    proc = subprocess.run([sys.executable, "-m", "lifestream", "process", str(sample_wav)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == status
    assert proc.stderr.splitlines() == [line] and proc.stdout == ""


def test_the_first_fault_names_the_crash_even_if_dumping_stacks_faults_again():
    # faulthandler writes its header before walking every thread's stack; if that walk faults
    # (threads coming and going), the process dies of the second signal, after a second header.
    from lifestream.pipeline.isolation.pool import _first_fault

    dump = ("Fatal Python error: Illegal instruction\n\nCurrent thread 0x00007f0000000001 (most recent call first):\n"
            "  File \"asr.py\", line 1 in transcribe\n\nFatal Python error: Segmentation fault\n\n")
    assert _first_fault(dump) == -signal.SIGILL
    assert _first_fault("") is None and _first_fault("something else\n") is None


_HOLDS_A_CHILD = """
import sys
from pathlib import Path
from lifestream.pipeline.isolation import PipelinePool, PipelineRequest
from lifestream.settings import Settings
fast = Settings(data_dir=Path(sys.argv[2]), asr_model="tiny.en", asr_beam_size=1, diarization_backend="none")
PipelinePool(max_processes=1).run(PipelineRequest(Path(sys.argv[1]), fast))
"""


def test_a_pool_killed_outright_leaves_no_crash_logs_behind(sample_wav, tmp_path, monkeypatch):
    """A worker killed by the OOM killer cannot remove its children's crash logs; the next pool on the
    machine removes them, and never those of a pool still alive."""
    from lifestream.pipeline.isolation.pool import CRASH_LOG_PREFIX

    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), CRASH_ENV: "asr:hang"}
    worker = subprocess.Popen([sys.executable, "-c", _HOLDS_A_CHILD, str(sample_wav), str(tmp_path / "data")],
                              env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (logs := list(temp.glob(f"{CRASH_LOG_PREFIX}{worker.pid}-*.crash"))):
            assert worker.poll() is None and time.monotonic() < deadline, "the pool never started its child"
            time.sleep(0.2)
        mine = temp / f"{CRASH_LOG_PREFIX}{os.getpid()}-live.crash"  # a pool alive in this process
        mine.touch()
        worker.kill()
        worker.wait()
        assert all(log.exists() for log in logs)  # what SIGKILL leaves
        monkeypatch.setattr(tempfile, "tempdir", str(temp))
        PipelinePool().close()  # the next worker to start on this machine
        assert not any(log.exists() for log in logs) and mine.exists()
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGKILL)  # the fork server and the hung child, if still there


def test_a_process_that_exits_without_closing_its_pool_leaves_no_crash_logs(sample_wav, tmp_path):
    """The child stays idle in the pool after its job; the process then exits without closing the
    pool (an interrupted CLI, a test): its child's log goes with it, not to the next pool's sweep."""
    from lifestream.pipeline.isolation.pool import CRASH_LOG_PREFIX

    temp = tmp_path / "tmp"
    temp.mkdir()
    # _HOLDS_A_CHILD without a hang: its job ends, and it exits with the pool open
    done = subprocess.run([sys.executable, "-c", _HOLDS_A_CHILD, str(sample_wav), str(tmp_path / "data")],
                          env={**os.environ, "TMPDIR": str(temp)}, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(temp.glob(f"{CRASH_LOG_PREFIX}*.crash"))
