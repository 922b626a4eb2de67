"""Chaos bench (issue 14): recordings shared through the Slack double into the cloud shape under faults.

    .venv/bin/python bench/chaos.py                   # 30 recordings (27 with speech, 3 without), 2 workers
    .venv/bin/python bench/chaos.py --speech 10 --silent 1 --seed 7

`lifestream serve` (the bot) and `lifestream worker` processes on a Redis broker, S3 storage on moto's
server, every recording through the real pipeline; fault proxies in front of Slack's Web API (the double),
S3 and Redis answer 500s, reset connections and stall at seeded rates; a third of the way through a
worker holding a job is SIGKILLed, two thirds of the way Redis is killed and started again empty. What it
checks and prints: each recording's thread got its minutes (or, without speech, its failure) exactly
once — none lost, none duplicated — with the faults injected by kind, the job retries, the messages
re-sent after Redis lost them, the announcements resumed and the wall time. Exit status 1 if any
recording was lost or duplicated. The scenario itself is ``tests/support/chaos_run.py``, which
``tests/jobs/test_chaos.py`` runs with a few recordings.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speech", type=int, default=27, help="recordings with speech (the real sample, each "
                                                               "its own length)")
    parser.add_argument("--silent", type=int, default=3, help="recordings without speech (each must fail, once)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--asr-model", default="tiny.en")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for every thread to settle")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, data) for a look")
    args = parser.parse_args()

    from lifestream.samples import sample_file
    from tests.support.chaos_run import ChaosConfig, run_chaos

    config = ChaosConfig(speech=args.speech, silent=args.silent, workers=args.workers, seed=args.seed,
                         asr_model=args.asr_model, timeout_s=args.timeout)
    workdir = Path(tempfile.mkdtemp(prefix="lifestream-bench-chaos-"))
    load_before = os.getloadavg()
    try:
        result = run_chaos(config, sample_file("sample.wav"), workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    load_after = os.getloadavg()
    print(f"\n{os.cpu_count()} CPUs; load average (1 min) {load_before[0]:.1f} at the start, "
          f"{load_after[0]:.1f} at the end")
    print(result.summary())
    print("| figure | value |\n|---|---|")
    rows = [
        ("recordings (with speech / without)", f"{len(result.threads)} ({config.speech} / {config.silent})"),
        *[(f"faults injected: {target} (of {result.requests[target]} "
           f"{'connections' if target == 'redis' else 'requests'})",
           ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())) or "0")
          for target, kinds in result.faults.items()],
        ("worker SIGKILLed mid-job; Redis killed and restarted empty", "yes; yes"),
        ("job retries (attempts beyond the first)", str(result.retries)),
        ("messages re-sent after Redis lost them", str(result.messages_resent)),
        ("announcements cut short and resumed", str(result.announcements_resumed)),
        ("minutes posted / failures announced",
         f"{sum(t.minutes for t in result.threads)} / {sum(t.failure_notices for t in result.threads)}"),
        ("duplicates / lost", f"{len(result.duplicated)} / {len(result.lost)}"),
        ("wall time", f"{result.wall_s:.0f} s"),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    bad = [t for t in result.threads if not t.ok]
    for t in bad:
        print(f"NOT OK: {t}")
    if args.keep:
        print(f"work folder kept: {workdir}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
