"""Issue 14's proof, short: recordings shared through the Slack double into `lifestream serve` and two
`lifestream worker` processes (Redis broker, S3 on moto), with fault proxies answering 500s, resetting
connections and stalling in front of Slack, S3 and Redis, a worker SIGKILLed mid-job and Redis killed
and restarted empty. Every recording gets its minutes, or its failure, in its thread exactly once.
bench/chaos.py runs the same with 30 recordings."""

from __future__ import annotations

from tests.support.chaos_run import ChaosConfig, run_chaos


def test_under_chaos_every_recording_gets_its_minutes_or_its_failure_once(tmp_path, sample_wav):
    result = run_chaos(ChaosConfig(speech=3, silent=1, workers=2, seed=14), sample_wav, tmp_path)
    print(result.summary())
    assert result.worker_killed_holding is not None
    assert sum(sum(kinds.values()) for kinds in result.faults.values()) >= 5, "the chaos injected almost nothing"
    assert result.faults["slack"] and result.faults["s3"], result.faults
    bad = [t for t in result.threads if not t.ok]
    assert not bad, (f"{bad}\n{result.summary()}\n--- serve ---\n{result.logs['serve'][-3000:]}\n" +
                     "\n".join(f"--- {name} ---\n{text[-2500:]}" for name, text in result.logs.items()
                               if name != "serve"))
    assert result.lost == [] and result.duplicated == [] and result.duplicated_posts == 0
    assert result.job_attempts[result.worker_killed_holding] >= 2  # taken over after the kill
