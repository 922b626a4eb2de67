"""An hour-long meeting: bare faster-whisper, the sequential pipeline, and fan-out over two workers, in one run.

    .venv/bin/python bench/long.py [--minutes 60] [--model base] [--skip-bare] [--skip-sequential] [--skip-fanout]
                              [--fleet W] [--greedy]

Input: real speech, the 12 trn/dev AMI clips of pyannote.audio 4.0.7's sdist and the sample (6.5 minutes of
meeting rooms and a phone call, several speakers), looped end to end and cut at --minutes. Never the tst clips.

Runs, one after the other on this machine:

- bare faster-whisper: ``WhisperModel.transcribe`` on the whole WAV (same model, int8, VAD, word timestamps,
  beam 5), in a process of its own (bench/pipeline.py's measure);
- the sequential pipeline (``LIFESTREAM_FANOUT_SECONDS=0``), in a warm pipeline process, as a worker runs it;
- fan-out: a real redis-server and two ``lifestream worker`` processes (warmed by a short job each), the
  recording submitted as a job; wall time from submission to completion. Per segment, from the workers' logs:
  its audio seconds, processing seconds and its pipeline process's peak RSS; the holder's plan and join.

When both the sequential and the fan-out run ran, what issue 16 asks of their output, side by side: the WER
between their words, each one's speaker count, and the share of the words both hold (aligned) that they give
the same speaker (labels matched one to one). ``--greedy`` runs both without the temperature fallback
(``LIFESTREAM_ASR_TEMPERATURE_FALLBACK=false``), so that what differs is the path, not the sampler.

From those, the modelled time-to-minutes for W workers: plan + ceil(segments / W) x slowest segment + join,
with each segment's time as measured here (two workers sharing 2 cores: conservative) and as one worker alone
would take it (the sequential run's ASR time per audio second, applied to the longest segment).
"""

from __future__ import annotations

import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # see bench/pipeline.py: bench/queue.py must not shadow the standard library's

from lifestream.threads import cap_threads  # noqa: E402

cap_threads()  # before numpy, here and in each spawned child (which imports this module first): see bench/diarization.py

import numpy as np  # noqa: E402

from bench.pipeline import _measure_bare, _measure_pipeline, spoken  # noqa: E402
from tests.support import real_clips  # noqa: E402

RATE = 16_000


def _recording(tmp: Path, minutes: float) -> tuple[Path, Path, Path]:
    """The long recording, and two short warm-up clips (one per worker)."""
    import soundfile as sf

    from lifestream.samples import sample_file

    real_clips.require()
    sample = sf.read(str(sample_file("sample.wav")), dtype="float32")[0]
    pieces = [sample] + [clip.audio() for subset in ("train", "development") for clip in real_clips.load_clips(subset)]
    one_pass = np.concatenate(pieces)
    loops = math.ceil(minutes * 60 * RATE / len(one_pass))
    long_path = tmp / f"meeting-{minutes:g}min.wav"
    sf.write(long_path, np.tile(one_pass, loops)[:round(minutes * 60 * RATE)], RATE)
    warm = [tmp / "warm-a.wav", tmp / "warm-b.wav"]
    sf.write(warm[0], sample, RATE)
    sf.write(warm[1], pieces[1], RATE)
    return long_path, warm[0], warm[1]


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _fan_out(long_path: Path, warm: tuple[Path, Path], model: str, tmp: Path, fanout_seconds: float,
             fleet: int, count: int = 2) -> dict:
    from lifestream import meetings
    from lifestream.services import Services
    from lifestream.settings import Settings
    from lifestream.storage import result_prefix
    from lifestream.workers.jobstore import JobState
    from lifestream.workers.submit import submit_file
    from tests.support.servers import free_port, wait_for_port

    port = free_port()
    redis = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                              "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    env = {**os.environ, "LIFESTREAM_DATA_DIR": str(tmp / "data"), "LIFESTREAM_BROKER_URL": f"redis://127.0.0.1:{port}/0",
           "LIFESTREAM_ASR_MODEL": model, "LIFESTREAM_LLM_ENABLED": "false", "LIFESTREAM_GUESS_SPEAKER_NAMES": "false",
           "LIFESTREAM_FANOUT_SECONDS": str(fanout_seconds), "LIFESTREAM_FANOUT_WORKERS": str(fleet)}
    logs = [tmp / f"worker-{i}.log" for i in range(count)]
    workers = [subprocess.Popen([sys.executable, "-m", "lifestream", "-v", "worker"], cwd=ROOT, env=env,
                                stdout=log.open("wb"), stderr=subprocess.STDOUT) for log in logs]
    os.environ.update({k: v for k, v in env.items() if k.startswith("LIFESTREAM_")})
    services = Services(Settings())
    try:
        while not all("lifestream worker: ready" in log.read_text(errors="replace") for log in logs):
            time.sleep(0.5)
        warmups = [submit_file(path, services=services).job.id for path in warm[:count]]
        while not all((j := services.store.get(i)) is not None and j.final for i in warmups):
            time.sleep(1)
        started = time.perf_counter()
        job = submit_file(long_path, services=services).job
        while not ((done := services.store.get(job.id)) and done.final):
            time.sleep(1)
        wall = time.perf_counter() - started
        assert done.state is JobState.COMPLETED, done.reason
        peaks = [_peak_rss(w.pid) for w in workers]
        meeting = meetings.load(services.storage, result_prefix(job.id))
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(60)
        redis.kill()
        services.close()
    text = "\n".join(log.read_text(errors="replace") for log in logs)
    segments = [(int(i), float(a), float(t), float(m)) for i, a, t, m in re.findall(
        r"segment (\d+) \((\d+) s of audio\) took ([\d.]+) s in process \d+ \(peak RSS (\d+) MB\)", text)]
    plan = re.search(r"fanned out in (\d+) segments.*?\(planned and stored in ([\d.]+) s\)", text)
    join = re.search(rf"job {job.id}: pipeline took ([\d.]+) s in process \d+ \(peak RSS (\d+) MB\)", text)
    return {"wall": wall, "segments": segments, "count": int(plan.group(1)) if plan else len(segments),
            "plan": float(plan.group(2)) if plan else float("nan"), "join": float(join.group(1)) if join else float("nan"),
            "join_rss_mb": float(join.group(2)) if join else float("nan"), "worker_rss": peaks,
            "words": spoken(meeting), "speakers": len(meeting.speakers)}


def _compare(sequential: list[tuple[str, str]], fanned: list[tuple[str, str]]) -> dict:
    """Issue 16's "output equals the sequential path's": WER between the two, and, over the words both hold
    (aligned by difflib), the share given the same speaker once the labels are matched one to one."""
    import difflib

    import jiwer
    from scipy.optimize import linear_sum_assignment

    def norm(word: str) -> str:
        return re.sub(r"[^\w']", "", word.lower())

    a, b = [norm(w) for w, _ in sequential], [norm(w) for w, _ in fanned]
    error = jiwer.wer(" ".join(w for w in a if w), " ".join(w for w in b if w))
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    pairs = [(sequential[block.a + k][1], fanned[block.b + k][1])
             for block in matcher.get_matching_blocks() for k in range(block.size)]
    left = {x: i for i, x in enumerate(sorted({x for x, _ in pairs}))}
    right = {y: i for i, y in enumerate(sorted({y for _, y in pairs}))}
    counts = np.zeros((len(left), len(right)))
    for x, y in pairs:
        counts[left[x], right[y]] += 1
    rows, cols = linear_sum_assignment(-counts)
    return {"wer": error, "aligned": len(pairs), "words": (len(a), len(b)),
            "same_speaker": counts[rows, cols].sum() / max(len(pairs), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--model", default="base")
    parser.add_argument("--fanout-seconds", type=float, default=900.0, help="LIFESTREAM_FANOUT_SECONDS of the workers")
    parser.add_argument("--fleet", type=int, default=0,
                        help="LIFESTREAM_FANOUT_WORKERS of the workers: the fleet the segments are evened for")
    parser.add_argument("--alone-rate", type=float, default=None,
                        help="seconds per audio second of one uncontended worker, when --skip-sequential")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes for the fan-out run (1: each segment has the cores to itself)")
    parser.add_argument("--greedy", action="store_true",
                        help="no temperature fallback in either pipeline run: the same audio gives the same words")
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--skip-sequential", action="store_true")
    parser.add_argument("--skip-fanout", action="store_true", help="bare ASR against the sequential pipeline only")
    args = parser.parse_args()
    if args.greedy:  # read by the sequential run's Settings and inherited by the fan-out's workers
        os.environ["LIFESTREAM_ASR_TEMPERATURE_FALLBACK"] = "false"
    tmp = Path(tempfile.mkdtemp(prefix="lifestream-long-"))
    try:
        long_path, warm_a, warm_b = _recording(tmp, args.minutes)
        duration = os.path.getsize(long_path) / 2 / RATE  # 16-bit mono
        print(f"input: {duration / 60:.1f} min of real speech (trn/dev clips + sample, looped), model {args.model}, "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}", flush=True)
        rows: list[tuple[str, float, str]] = []
        bare = None
        if not args.skip_bare:
            bare = _measure_bare(long_path, warm_a, args.model)
            rows.append(("bare faster-whisper", bare["asr"], f"{bare['peak_rss'] / 2**20:.0f}"))
            print(f"bare faster-whisper: {bare['asr']:.0f} s (RTF {bare['asr'] / duration:.3f}), "
                  f"peak RSS {bare['peak_rss'] / 2**20:.0f} MB", flush=True)
        sequential = None
        if not args.skip_sequential:
            # the fleet's size evens the windows in both paths (asr.plan_windows): the same setting as the workers'
            sequential = _measure_pipeline(long_path, warm_a, {"asr_model": args.model, "fanout_seconds": 0,
                                                               "fanout_workers": args.fleet, "llm_enabled": False})
            rows.append(("sequential pipeline", sequential["caller_seconds"], f"{sequential['peak_rss'] / 2**20:.0f}"))
            print(f"sequential pipeline: {sequential['caller_seconds']:.0f} s (RTF "
                  f"{sequential['caller_seconds'] / duration:.3f}; ASR {sequential['asr']:.0f} s, diarization "
                  f"{sequential['diarization']:.0f} s), peak RSS {sequential['peak_rss'] / 2**20:.0f} MB, "
                  f"{sequential['speakers']} speakers", flush=True)
        if args.skip_fanout:
            _runs(rows, bare, duration)
            return
        fan = _fan_out(long_path, (warm_a, warm_b), args.model, tmp, args.fanout_seconds, args.fleet,
                       args.workers)
        print(f"fan-out, {args.workers} workers (fleet {args.fleet or 'unset'}): {fan['wall']:.0f} s (RTF {fan['wall'] / duration:.3f}); {fan['count']} segments, "
              f"plan {fan['plan']:.1f} s, join {fan['join']:.1f} s (peak RSS {fan['join_rss_mb']:.0f} MB), "
              f"worker processes' peak RSS {', '.join(f'{p / 2**20:.0f}' for p in fan['worker_rss'])} MB", flush=True)
        print("\n| segment | audio s | seconds | pipeline process peak RSS MB |\n|---|---|---|---|")
        for index, audio, seconds, rss in sorted(fan["segments"]):
            print(f"| {index} | {audio:.0f} | {seconds:.1f} | {rss:.0f} |")
        _runs(rows, bare, duration)
        ratio = f"{fan['wall'] / bare['asr']:.2f}" if bare else "-"
        print(f"| fan-out, {args.workers} workers on these 2 cores | {fan['wall']:.0f} | {fan['wall'] / duration:.3f} | {ratio} | "
              f"segments ≤ {max(s[3] for s in fan['segments']):.0f}, join {fan['join_rss_mb']:.0f} |")
        if sequential:
            same = _compare(sequential["spoken"], fan["words"])
            print(f"\nfan-out against sequential{' (greedy)' if args.greedy else ''}: WER {same['wer']:.4f} "
                  f"({same['words'][1]} words against {same['words'][0]}); speakers {fan['speakers']} against "
                  f"{sequential['speakers']}; the same speaker on {same['same_speaker']:.1%} of the "
                  f"{same['aligned']} words both hold", flush=True)
        rate = max(seconds / audio for _, audio, seconds, _ in fan["segments"])  # the slowest segment's
        alone = args.alone_rate
        if sequential:  # one worker with the cores to itself: the sequential run's rate
            alone = (sequential["caller_seconds"] - sequential["minutes"] - sequential.get("index", 0)) / duration
        print(f"\nslowest segment rate here: {rate:.3f} s per audio s; one uncontended worker: "
              f"{alone if alone is None else round(alone, 3)}")
        _model(long_path, fan, rate, alone)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _runs(rows: list[tuple[str, float, str]], bare: dict | None, duration: float) -> None:
    print("\n| run | seconds | real-time factor | x bare ASR | peak RSS MB (per process) |\n|---|---|---|---|---|")
    for name, seconds, rss in rows:
        ratio = f"{seconds / bare['asr']:.2f}" if bare else "-"
        print(f"| {name} | {seconds:.0f} | {seconds / duration:.3f} | {ratio} | {rss} |")


def _model(long_path: Path, fan: dict, rate: float, alone: float | None) -> None:
    """Time-to-minutes for W workers: plan + rounds x the longest segment's time + join, for the segments a
    fleet of W gets (``asr.plan_windows``: plain ASR windows, or evened for W), at the measured rates."""
    import soundfile as sf

    from lifestream.pipeline import asr
    from lifestream.settings import Settings

    audio = sf.read(str(long_path), dtype="float32")[0]
    window = Settings().asr_window_seconds
    print("\n| workers | segments (plain windows) | time-to-minutes | segments (evened for W) | time-to-minutes |"
          "\n|---|---|---|---|---|")
    for w in (4, 8, 16):
        cells = []
        for fleet in (0, w):
            spans = asr.plan_windows(audio, window, fleet)
            longest = max(end - start for start, end in spans) / RATE
            rounds = math.ceil(len(spans) / w)
            times = [fan["plan"] + rounds * longest * r + fan["join"] for r in (rate, alone) if r]
            cells += [f"{len(spans)} of ≤ {longest:.0f} s, {rounds} rounds", " / ".join(f"{t:.0f} s" for t in times)]
        print(f"| {w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
