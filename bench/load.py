"""Load bench (issue 14): Slack events and API calls at a steady rate against `lifestream serve` while two
jobs are being processed; ack latency p50/p95/max per kind of request.

    .venv/bin/python bench/load.py                      # 10 requests/s for 60 s, two 3-minute recordings
    .venv/bin/python bench/load.py --rate 20 --seconds 30

Slack retries (and shows an error for) a request not acknowledged within 3 seconds: the p95 of the Slack
requests must stay under that (exit status 1 otherwise). The scenario is ``tests/support/load_run.py``;
``tests/bots/test_load.py`` runs it for a few seconds.
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

SLACK_LIMIT_S = 3.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0, help="requests per second, all kinds together")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--loops", type=int, default=6, help="each recording: the 30 s sample this many times")
    parser.add_argument("--asr-model", default="tiny.en")
    args = parser.parse_args()

    from lifestream.samples import sample_file
    from tests.support.load_run import LoadConfig, run_load

    workdir = Path(tempfile.mkdtemp(prefix="lifestream-bench-load-"))
    try:
        result = run_load(LoadConfig(rate=args.rate, seconds=args.seconds, loops=args.loops,
                                     asr_model=args.asr_model), sample_file("sample.wav"), workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"\n{os.cpu_count()} CPUs; load average (1 min) {result.load_average[0]:.1f} when the load started, "
          f"{result.load_average[1]:.1f} when it ended")
    print(f"{result.sent} requests at {args.rate:g}/s for {args.seconds:g} s ({result.late_starts} went out over "
          f"100 ms late); both jobs processing during {result.both_processing:.0%} of it")
    print(result.table())
    p95 = result.pct(result.slack(), .95)
    print(f"Slack ack p95 {p95 * 1000:.0f} ms: {'under' if p95 < SLACK_LIMIT_S else 'OVER'} Slack's 3 s")
    return 0 if p95 < SLACK_LIMIT_S else 1


if __name__ == "__main__":
    sys.exit(main())
