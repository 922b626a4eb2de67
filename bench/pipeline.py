"""Whole pipeline vs bare faster-whisper, on the same audio and model, in one run.

    .venv/bin/python bench/pipeline.py [--long-minutes 10] [--model base]

Inputs: the real sample (30 s, two speakers, under a video of test patterns so
the scene branch runs) and a long recording made by looping the sample's real
speech to at least --long-minutes. Each measurement runs in its own child
process (models loaded and warmed before the clock starts), so its peak RSS is
its own. Target: the whole pipeline within 1.5x bare ASR time, i.e.
diarization and scene detection overlap ASR instead of adding to it.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ is first on the path, and bench/queue.py would shadow the standard
# library's queue (which multiprocessing needs): put the project root there instead.
sys.path[0] = str(ROOT)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bare_asr(path: str, model: str, out: mp.Queue) -> None:
    from lifestream.threads import cap_threads

    cap_threads()
    from lifestream.pipeline.asr import transcribe
    from lifestream.pipeline.extract import extract_audio, load_wav
    from lifestream.pipeline.probe import probe
    from lifestream.settings import Settings

    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        audio = load_wav(extract_audio(probe(Path(path)), Path(tmp) / "a.wav"))
    transcribe(audio[:16000 * 5], model, settings.model_dir, cpu_threads=settings.cpu_threads)  # load + warm
    start = time.perf_counter()
    transcribe(audio, model, settings.model_dir, cpu_threads=settings.cpu_threads)
    out.put({"asr": time.perf_counter() - start, "peak_rss_mb": _peak_rss_mb()})


def _pipeline(path: str, model: str, warm: str, out: mp.Queue) -> None:
    from lifestream.threads import cap_threads

    cap_threads()
    from lifestream.pipeline.runner import process_recording
    from lifestream.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), asr_model=model)
        process_recording(Path(warm), settings=settings)  # loads and warms every model
        start = time.perf_counter()
        meeting = process_recording(Path(path), settings=settings)
        total = time.perf_counter() - start
    out.put({**meeting.timings, "total": total, "peak_rss_mb": _peak_rss_mb(),
             "duration": meeting.source.duration, "speakers": len(meeting.speakers)})


def _measure(target, *args) -> dict:
    queue: mp.Queue = mp.get_context("spawn").Queue()
    proc = mp.get_context("spawn").Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-minutes", type=float, default=10.0)
    parser.add_argument("--model", default="base")
    parser.add_argument("--skip-long", action="store_true")
    args = parser.parse_args()

    from lifestream.samples import make_sample_video, sample_file

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
        inputs.append((f"sample speech looped ({loops * 30 / 60:.1f} min)", long_wav))

    rows = []
    for label, path in inputs:
        bare = _measure(_bare_asr, str(path), args.model)
        full = _measure(_pipeline, str(path), args.model, str(warm))
        rows.append((label, bare, full))

    print(f"\nmodel: {args.model}, CPU threads: {mp.cpu_count()}\n")
    header = f"{'input':<32} {'run':<16} {'seconds':>8} {'RTF':>6} {'peak RSS MB':>12}"
    print(header)
    print("-" * len(header))
    for label, bare, full in rows:
        duration = full["duration"]
        print(f"{label:<32} {'bare ASR':<16} {bare['asr']:8.2f} {bare['asr'] / duration:6.3f} {bare['peak_rss_mb']:12.0f}")
        print(f"{'':<32} {'whole pipeline':<16} {full['total']:8.2f} {full['total'] / duration:6.3f} {full['peak_rss_mb']:12.0f}")
        for stage in ("probe", "extract", "asr", "diarization", "scenes", "align", "chunks", "classify", "minutes"):
            if stage in full:
                print(f"{'':<32} {'  ' + stage:<16} {full[stage]:8.2f} {full[stage] / duration:6.3f}")
        ratio = full["total"] / bare["asr"]
        verdict = "meets" if ratio <= 1.5 else "MISSES"
        print(f"{'':<32} {'pipeline/ASR':<16} {ratio:8.2f}x  ({verdict} the 1.5x target; {full['speakers']} speakers)")
        print()


if __name__ == "__main__":
    main()
