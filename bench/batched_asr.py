"""faster-whisper's BatchedInferencePipeline (batch sizes 2, 4, 8) against today's ASR, on minutes of real speech.

    .venv/bin/python bench/batched_asr.py [--model base] [--threads 2] [--batches 2,4,8] [--repeat 1]

Input: the real sample (30 s, two people on a call) and pyannote.audio's trn clips (AMI-like meetings,
30 s each, 1-4 people; ``tests/support/real_clips.py``; never the held-out tst clips), one after another,
``--repeat`` times: about 5.5 minutes of real multi-speaker speech at the default.

Each run is a process of its own (so its peak RSS is its own), with the model loaded and warmed on the
sample's first 10 s before the clock starts:

- today: ``lifestream.pipeline.asr.transcribe``, what the pipeline runs (``WhisperModel.transcribe`` per
  10-minute window, beam 5, VAD, word timestamps, no conditioning on the previous text);
- batched B: ``BatchedInferencePipeline(model).transcribe(batch_size=B)`` with the same options (it cuts
  the audio at VAD's speech chunks and decodes B of them at once).

Reported: seconds of transcription, real-time factor, the process's peak RSS (VmHWM, model included), and
the word error rate of each run's words against today's (lower-cased, punctuation dropped): how much
batching changes what is heard, not accuracy against a reference.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import sys
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
    sample, rate = sf.read(str(sample_file("sample.wav")), dtype="float32")
    assert rate == RATE
    parts = [sample] + [clip.audio() for clip in real_clips.load_clips("train")]
    return np.concatenate(parts * repeat).astype(np.float32)


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _run(kind: str, batch: int, model_name: str, threads: int, repeat: int, conn) -> None:
    """In a child process: load, warm, transcribe once, send back (seconds, text, peak RSS)."""
    from lifestream.threads import cap_threads

    cap_threads(threads)
    from faster_whisper import BatchedInferencePipeline

    from lifestream.pipeline import asr
    from lifestream.settings import Settings

    settings = Settings()
    audio = _speech(repeat)
    model, _ = asr.load_model(model_name, settings.model_dir, "int8", threads)
    options = dict(beam_size=5, vad_filter=True, word_timestamps=True, condition_on_previous_text=False)

    if kind == "today":
        def transcribe(samples) -> str:
            result = asr.transcribe(samples, model_name, settings.model_dir, beam_size=5, compute_type="int8",
                                    cpu_threads=threads)
            return " ".join(s.text for s in result.segments)
    else:
        pipeline = BatchedInferencePipeline(model=model)

        def transcribe(samples) -> str:
            segments, _ = pipeline.transcribe(samples, batch_size=batch, **options)
            return " ".join(s.text.strip() for s in segments)

    transcribe(audio[: 10 * RATE])  # warm: the first call pays for lazy set-up
    start = time.perf_counter()
    text = transcribe(audio)
    conn.send((time.perf_counter() - start, text, _peak_rss(), len(audio) / RATE))
    conn.close()


def _measure(kind: str, batch: int, args) -> tuple[float, str, int, float]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run, args=(kind, batch, args.model, args.threads, args.repeat, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    return result


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", default="2,4,8")
    parser.add_argument("--repeat", type=int, default=1, help="how many times the sample and trn clips are played")
    args = parser.parse_args()
    import jiwer

    runs = [("today", 0)] + [("batched", int(b)) for b in args.batches.split(",")]
    print(f"model {args.model}, int8, {args.threads} threads, beam 5, VAD, word timestamps")
    print("| run | seconds | real-time factor | peak RSS | WER vs today |")
    print("|---|---|---|---|---|")
    reference = ""
    for kind, batch in runs:
        seconds, text, peak, length = _measure(kind, batch, args)
        if kind == "today":
            reference = _words(text)
            wer = "—"
        else:
            wer = f"{jiwer.wer(reference, _words(text)):.3f}"
        name = "today (model.transcribe)" if kind == "today" else f"batched, batch_size={batch}"
        print(f"| {name} | {seconds:.1f} | {seconds / length:.3f} | {peak / 2**20:.0f} MB | {wer} |", flush=True)
    print(f"input: {length:.0f} s of real speech ({len(reference.split())} words heard today)")


if __name__ == "__main__":
    main()
