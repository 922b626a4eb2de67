"""Queue benchmark: short jobs through Redis and two worker processes, vs calling the job function directly.

    .venv/bin/python bench/queue.py                 # 200 jobs, 2 workers, starts its own redis-server
    .venv/bin/python bench/queue.py --jobs 500 --workers 4 --redis-url redis://127.0.0.1:6379/15

What one "short job" is: ``lifestream.workers.execute.execute_job`` with a
no-op work function, i.e. everything a real job does except the pipeline:
read the job (SQLite job store in a temp data dir), claim it with the
compare-and-set, start and stop its lease thread, mark it completed with
the owner's compare-and-set, and check for completion hooks. Through the
queue it is a Dramatiq actor on the Redis broker with LifeStream's
middleware (time limit, retries, recovery), one thread per worker process.

Measured:
- direct: execute_job called in this process, one job after another;
- burst: all jobs enqueued at once, then drained by the workers. Throughput
  is jobs / (first enqueue → last completion). Queue latency is enqueue →
  claim (the job store's started_at), so it includes waiting behind the
  backlog; end-to-end is enqueue → completed;
- paced: jobs enqueued at a steady rate the workers can keep up with, so
  queue latency is the broker's own dispatch delay (polling included);
- overhead per job: the workers' busy time per job in the burst
  (workers x wall / jobs) minus the direct time per job.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this file would shadow the
# standard library's ``queue`` module that Dramatiq and concurrent.futures import.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE]
sys.path.insert(0, str(Path(_HERE).parent))

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

BENCH_QUEUE = "bench"
BENCH_ACTOR = "bench_noop"


def _settings(data_dir: Path, redis_url: str):
    from lifestream.settings import Settings

    return Settings(data_dir=data_dir, broker_url=redis_url)


def _noop(job, ctx) -> None:
    return None


def run_worker(data_dir: Path, redis_url: str) -> None:
    """One worker process: LifeStream's broker setup, a no-op actor, one thread."""
    import threading

    import dramatiq

    from lifestream.services import Services
    from lifestream.workers.actors import worker_broker
    from lifestream.workers.execute import execute_job

    services = Services(_settings(data_dir, redis_url))
    broker = worker_broker(services)  # LifeStream's middleware, recovery included, as `lifestream worker` has

    @dramatiq.actor(actor_name=BENCH_ACTOR, queue_name=BENCH_QUEUE, broker=broker)
    def bench_noop(job_id: str) -> None:
        execute_job(job_id, services=services, work=_noop)

    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.queue_prefetch = 1  # as `lifestream worker` does
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    worker.start()
    print("ready", flush=True)
    stop.wait()
    worker.stop(timeout=5000)
    broker.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _make_jobs(store, n: int, tag: str) -> list[str]:
    from lifestream.workers.jobstore import Job, job_id_for

    ids = []
    for i in range(n):
        key = f"bench:{tag}:{i}"
        job, _ = store.create(Job(id=job_id_for(key), storage_key=f"uploads/{tag}-{i}.wav", idempotency_key=key,
                                  source_name=f"{tag}-{i}.wav"))
        ids.append(job.id)
    return ids


def _wait_done(store, ids: list[str], timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = [store.get(i) for i in ids]
        if all(j.state.value == "completed" for j in jobs):
            return jobs
        time.sleep(0.05)
    raise SystemExit(f"bench: jobs did not complete within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--paced-rate", type=float, default=20.0, help="jobs/s in the paced run")
    parser.add_argument("--redis-url", default=None, help="default: start a redis-server on a free port")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(Path(args.data_dir), args.redis_url)
        return 0

    import dramatiq

    from lifestream.services import Services
    from lifestream.workers.broker import build_broker
    from lifestream.workers.execute import execute_job

    tmp = Path(tempfile.mkdtemp(prefix="lifestream-bench-queue-"))
    procs: list[subprocess.Popen] = []
    try:
        redis_url = args.redis_url
        if redis_url is None:
            exe = shutil.which("redis-server") or sys.exit("bench: redis-server is not installed")
            port = _free_port()
            procs.append(subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                           "--appendonly", "no", "--dir", str(tmp)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            redis_url = f"redis://127.0.0.1:{port}/0"
            time.sleep(0.3)
        data_dir = tmp / "data"
        settings = _settings(data_dir, redis_url)
        services = Services(settings)
        store = services.store

        # 1. direct
        direct_ids = _make_jobs(store, args.jobs, "direct")
        direct_ms = []
        for job_id in direct_ids:
            t0 = time.perf_counter()
            execute_job(job_id, services=services, work=_noop)
            direct_ms.append((time.perf_counter() - t0) * 1000)

        # 2. workers
        for _ in range(args.workers):
            proc = subprocess.Popen([sys.executable, __file__, "--worker", "--data-dir", str(data_dir),
                                     "--redis-url", redis_url], stdout=subprocess.PIPE, text=True)
            procs.append(proc)
            if proc.stdout.readline().strip() != "ready":
                raise SystemExit("bench: a worker did not start")
        broker = build_broker(settings)
        broker.declare_queue(BENCH_QUEUE)

        def send(job_id: str) -> float:
            sent = time.time()
            broker.enqueue(dramatiq.Message(queue_name=BENCH_QUEUE, actor_name=BENCH_ACTOR, args=(job_id,),
                                            kwargs={}, options={}))
            return sent

        burst_ids = _make_jobs(store, args.jobs, "burst")
        t0 = time.perf_counter()
        sent_at = {job_id: send(job_id) for job_id in burst_ids}
        enqueue_s = time.perf_counter() - t0
        burst = _wait_done(store, burst_ids, 300)
        wall = max(j.finished_at for j in burst) - min(sent_at.values())
        burst_queue = [(j.started_at - sent_at[j.id]) * 1000 for j in burst]
        burst_e2e = [(j.finished_at - sent_at[j.id]) * 1000 for j in burst]

        paced_ids = _make_jobs(store, args.jobs, "paced")
        paced_sent = {}
        start = time.perf_counter()
        for i, job_id in enumerate(paced_ids):
            delay = start + i / args.paced_rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            paced_sent[job_id] = send(job_id)
        paced = _wait_done(store, paced_ids, 300)
        paced_queue = [(j.started_at - paced_sent[j.id]) * 1000 for j in paced]

        direct_mean = statistics.fmean(direct_ms)
        busy_per_job = args.workers * wall * 1000 / args.jobs
        rows = [
            ("direct execute_job, per job (mean / p95)", f"{direct_mean:.2f} ms / {_pct(direct_ms, .95):.2f} ms"),
            ("enqueue, per job", f"{enqueue_s * 1000 / args.jobs:.2f} ms"),
            (f"burst: throughput, {args.workers} workers", f"{args.jobs / wall:.0f} jobs/s ({wall:.2f} s)"),
            ("burst: queue latency p50 / p95", f"{_pct(burst_queue, .5):.0f} ms / {_pct(burst_queue, .95):.0f} ms"),
            ("burst: end-to-end p50 / p95", f"{_pct(burst_e2e, .5):.0f} ms / {_pct(burst_e2e, .95):.0f} ms"),
            (f"paced at {args.paced_rate:g}/s: queue latency p50 / p95",
             f"{_pct(paced_queue, .5):.0f} ms / {_pct(paced_queue, .95):.0f} ms"),
            ("worker busy time per job (workers x wall / jobs)", f"{busy_per_job:.2f} ms"),
            ("overhead per job vs direct", f"{busy_per_job - direct_mean:.2f} ms"),
        ]
        width = max(len(r[0]) for r in rows)
        print(f"{args.jobs} no-op jobs, Redis broker, SQLite job store, {args.workers} worker processes x 1 thread, "
              f"{os.cpu_count()} CPUs")
        print(f"| {'measure':<{width}} | value |")
        print(f"|{'-' * (width + 2)}|-------|")
        for name, value in rows:
            print(f"| {name:<{width}} | {value} |")
        return 0
    finally:
        for proc in reversed(procs):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
