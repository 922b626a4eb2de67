"""Whole pipeline, as the product runs it (in a pipeline process), vs bare faster-whisper, in one run.

    .venv/bin/python bench/pipeline.py [--long-minutes 180] [--silent-minutes 60] [--model base]
                                       [--diarization none] [--skip-long]

Inputs: the real sample (30 s, two speakers, under a video of test patterns so
the scene branch runs), a long recording made by looping the sample's real
speech to at least --long-minutes (default 3 hours, the memory target's case),
and --silent-minutes of silence in Opus (under 1 MB for an hour: the cheapest
way to send a worker a long recording), which must end in a clear "no speech"
at a flat memory cost.

Each input is measured twice:

- bare faster-whisper: ``WhisperModel.transcribe`` on the extracted WAV, the
  way its README uses it (same model, int8, VAD, word timestamps, beam 5), in
  a process of its own so its peak RSS is its own;
- the whole pipeline through ``PipelinePool`` (what ``lifestream worker`` and
  ``lifestream process`` do), in a pool child that has already run a short
  clip, so models are loaded and warm in both runs before the clock starts.

Reported: seconds and real-time factor of each, the ratio pipeline / bare ASR
(target: within 1.5x, i.e. diarization and scenes overlap ASR instead of adding
to it), the child-process overhead (what the caller waited beyond the child's
own processing time: hand-offs, events, pickling the result; and the cold
start of a fresh child vs running in-process), the pipeline process's peak RSS
during the job, split into anonymous memory and file-backed pages (the
memory-mapped audio, which the kernel can drop at will), and the caller's own
peak RSS (the server's side, which no longer holds any model). Target: a
3-hour recording peaks under 2.5 GB RSS.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ is first on the path, and bench/queue.py would shadow the standard
# library's queue (which multiprocessing needs): put the project root there instead.
sys.path[0] = str(ROOT)

STAGES = ("probe", "extract", "asr", "diarization", "scenes", "align", "chunks", "classify", "minutes", "write")


def _mb(n: float | None) -> str:
    return f"{n / 2**20:.0f}" if n else "?"


def _status(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


class _Sampler(threading.Thread):
    """Peaks of the pipeline processes' anonymous and file-backed resident memory, sampled every 0.2 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_anon = self.peak_file = self.peak_rss = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(0.2):
            for child in mp.active_children():
                if child.name == "lifestream-pipeline":
                    s = _status(child.pid)
                    self.peak_anon = max(self.peak_anon, s.get("RssAnon", 0))
                    self.peak_file = max(self.peak_file, s.get("RssFile", 0))
                    self.peak_rss = max(self.peak_rss, s.get("VmRSS", 0))

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def _bare_asr(wav: str, warm: str, model: str, out: mp.Queue) -> None:
    from lifestream.threads import cap_threads

    cap_threads()
    from faster_whisper import WhisperModel

    from lifestream.pipeline.asr_models import resolve_asr_model
    from lifestream.settings import Settings

    settings = Settings()
    whisper = WhisperModel(str(resolve_asr_model(model, settings.model_dir)), device="cpu", compute_type="int8",
                           cpu_threads=settings.cpu_threads)
    options = {"beam_size": 5, "vad_filter": True, "word_timestamps": True, "condition_on_previous_text": False}
    list(whisper.transcribe(warm, **options)[0])  # load + warm
    start = time.perf_counter()
    segments, info = whisper.transcribe(wav, **options)
    list(segments)
    out.put({"asr": time.perf_counter() - start, "duration": info.duration,
             "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024})


def _measure_bare(wav: Path, warm: Path, model: str) -> dict:
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_bare_asr, args=(str(wav), str(warm), model, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _in_process_cold(warm: Path, settings: dict, out: mp.Queue) -> None:
    """The warm-up clip through the pipeline in this fresh process: the cold start without isolation."""
    from lifestream.threads import cap_threads

    cap_threads()
    from lifestream.pipeline.runner import process_recording
    from lifestream.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        process_recording(warm, settings=Settings(data_dir=Path(tmp), **settings))
        out.put(time.perf_counter() - start)


def _measure_pipeline(path: Path, warm: Path, options: dict) -> dict:
    from lifestream.errors import LifeStreamError
    from lifestream.pipeline.isolation import PipelinePool, PipelineRequest
    from lifestream.pipeline.probe import probe
    from lifestream.settings import Settings

    pool = PipelinePool(max_processes=1, jobs_per_process=10)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), **options)
        try:
            cold = pool.run(PipelineRequest(warm, settings))  # starts the child, loads and warms every model
            sampler = _Sampler()
            sampler.start()
            start = time.perf_counter()
            try:
                run = pool.run(PipelineRequest(path, settings))
            except LifeStreamError as exc:  # refused (no speech): how long it took, and the memory it cost
                sampler.stop()
                return {"refused": exc.message, "caller_seconds": time.perf_counter() - start,
                        "cold_seconds": cold.seconds, "peak_rss": sampler.peak_rss, "peak_anon": sampler.peak_anon,
                        "peak_file": sampler.peak_file, "duration": probe(path).duration}
            sampler.stop()
        finally:
            pool.close()
    meeting = run.meeting
    return {**meeting.timings, "caller_seconds": run.seconds, "child_seconds": meeting.timings["total"],
            "cold_seconds": cold.seconds, "peak_rss": run.peak_rss_bytes, "peak_anon": sampler.peak_anon,
            "peak_file": sampler.peak_file, "same_child": cold.pid == run.pid,
            "duration": meeting.source.duration, "speakers": len(meeting.speakers), "spoken": spoken(meeting)}


def spoken(meeting) -> list[tuple[str, str]]:
    """(word, speaker) in order: the meeting's transcript as the minutes read it."""
    segments = meeting.transcript.segments if meeting.transcript else []
    return [(w.text, w.speaker or s.speaker or "") for s in segments for w in s.words]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-minutes", type=float, default=180.0)
    parser.add_argument("--silent-minutes", type=float, default=60.0)
    parser.add_argument("--model", default="base")
    parser.add_argument("--diarization", default=None, help="a diarization backend (default: the configured one)")
    parser.add_argument("--skip-long", action="store_true")
    args = parser.parse_args()
    options = {"asr_model": args.model, **({"diarization_backend": args.diarization} if args.diarization else {})}

    from lifestream.pipeline.extract import extract_audio
    from lifestream.pipeline.probe import probe
    from lifestream.samples import make_sample_video, sample_file
    from lifestream.threads import cap_threads

    cap_threads()
    work = Path(tempfile.mkdtemp(prefix="lifestream-bench-"))
    wav = sample_file("sample.wav")
    video = make_sample_video(work / "sample.mp4")
    warm = work / "warm.wav"
    _ffmpeg("-i", str(wav), "-t", "8", str(warm))
    inputs = [("sample video (30 s)", video)]
    if not args.skip_long:
        loops = max(1, int(args.long_minutes * 60 // 30 + 1))
        long_wav = work / "long.wav"
        _ffmpeg("-stream_loop", str(loops - 1), "-i", str(wav), "-c", "copy", str(long_wav))
        inputs.append((f"sample speech looped ({loops * 30 / 60:.0f} min)", long_wav))
        silent = work / "silence.ogg"
        _ffmpeg("-f", "lavfi", "-i", "anullsrc=r=48000:cl=mono", "-t", str(args.silent_minutes * 60),
                "-c:a", "libopus", "-b:a", "24k", str(silent))
        inputs.append((f"silent Opus ({args.silent_minutes:.0f} min, {silent.stat().st_size / 2**20:.1f} MB)", silent))

    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_in_process_cold, args=(warm, options, queue))
    proc.start()
    in_process_cold = queue.get()
    proc.join()

    rows = []
    for label, path in inputs:
        # The pipeline first: on a 3-hour input its peak memory is the figure that matters most.
        full = _measure_pipeline(path, warm, options)
        print(f"measured {label}: whole pipeline {full['caller_seconds']:.1f} s, peak RSS {_mb(full['peak_rss'])} MB "
              f"(anonymous {_mb(full['peak_anon'])} MB, file-backed {_mb(full['peak_file'])} MB)", flush=True)
        extracted = extract_audio(probe(path), work / "bare.wav")  # what bare faster-whisper reads: 16 kHz mono
        bare = _measure_bare(extracted, warm, args.model)
        extracted.unlink()
        print(f"measured {label}: bare faster-whisper {bare['asr']:.1f} s, peak RSS {_mb(bare['peak_rss'])} MB",
              flush=True)
        rows.append((label, bare, full))

    load = os.getloadavg()
    print(f"\nmodel: {args.model}, diarization: {args.diarization or 'default'}, CPU threads: {mp.cpu_count()}, "
          f"load average at the end: "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    header = f"{'input':<30} {'run':<22} {'seconds':>8} {'RTF':>6} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for label, bare, full in rows:
        duration = full["duration"]
        print(f"{label:<30} {'bare faster-whisper':<22} {bare['asr']:8.2f} {bare['asr'] / duration:6.3f} "
              f"{_mb(bare['peak_rss']):>12}")
        print(f"{'':<30} {'whole pipeline (pool)':<22} {full['caller_seconds']:8.2f} "
              f"{full['caller_seconds'] / duration:6.3f} {_mb(full['peak_rss']):>12}")
        print(f"{'':<30} {'  of which anon / file':<22} {'':>8} {'':>6} "
              f"{_mb(full['peak_anon']):>5} / {_mb(full['peak_file'])}")
        if "refused" in full:  # peak RSS sampled every 0.2 s: the child reports its own only with a result
            print(f"{'':<30} {'  refused:':<22} {full['refused']}\n")
            continue
        for stage in STAGES:
            if stage in full:
                print(f"{'':<30} {'  ' + stage:<22} {full[stage]:8.2f} {full[stage] / duration:6.3f}")
        overhead = full["caller_seconds"] - full["child_seconds"]
        print(f"{'':<30} {'  process hand-off':<22} {overhead:8.2f}   ({overhead / full['caller_seconds']:.2%} "
              f"of the job; same warm child: {full['same_child']})")
        ratio = full["caller_seconds"] / bare["asr"]
        verdict = "meets" if ratio <= 1.5 else "MISSES"
        print(f"{'':<30} {'pipeline/ASR':<22} {ratio:8.2f}x  ({verdict} the 1.5x target; {full['speakers']} speakers)")
        print()
    cold = rows[0][2]["cold_seconds"]
    print(f"cold start, 8 s clip: {cold:.2f} s in a new pipeline process vs {in_process_cold:.2f} s in-process "
          f"(+{cold - in_process_cold:.2f} s: a process start, once per LIFESTREAM_PIPELINE_JOBS_PER_PROCESS jobs)")
    print(f"the caller's own peak RSS (no models in it): "
          f"{_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)} MB")


if __name__ == "__main__":
    main()
