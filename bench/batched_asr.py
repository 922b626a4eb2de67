"""faster-whisper's BatchedInferencePipeline (batch sizes 2, 4, 8) against today's ASR, on minutes of real speech.

    .venv/bin/python bench/batched_asr.py [--model base] [--threads 2] [--batches 2,4,8] [--repeat 1]
                                          [--input meetings|scripted|both]

Inputs:

- ``meetings``: the real sample (30 s, two people on a call) and pyannote.audio's trn clips (AMI-like
  meetings, 30 s each, 1-4 people; ``tests/support/real_clips.py``; never the held-out tst clips), one after
  another, ``--repeat`` times: about 5.5 minutes of real multi-speaker speech at the default. No reference
  words exist for the trn clips, so each run is scored against today's words: what batching changes.
- ``scripted``: the real sample again (scored against its reference transcript, sample.stm) and the twelve
  scripted meetings of ``tests/data/minutes_eval`` spoken by espeak-ng (about 17 minutes, scored against
  their scripts): accuracy against what was really said, for both paths.

Each run is a process of its own (so its peak RSS is its own), with the model loaded and warmed on the
sample's first 10 s before the clock starts:

- today: ``lifestream.pipeline.asr.transcribe``, what the pipeline runs (``WhisperModel.transcribe`` per
  10-minute window, beam 5, VAD, word timestamps, no conditioning on the previous text);
- today without temperature fallback: the same, decoding at temperature 0 only (where a window decodes
  badly, today's falls back to sampling at higher temperatures, which costs time and makes runs differ);
- batched B: ``BatchedInferencePipeline(model).transcribe(batch_size=B)`` with the same options (it cuts
  the audio at VAD's speech chunks and decodes B of them at once, at the first temperature only).

Reported: seconds of transcription, real-time factor, the process's peak RSS (VmHWM, model included), and
word error rates (lower-cased, punctuation dropped). The scripts spell numbers out ("the twelfth") where
whisper may write digits ("12th"): that costs both paths alike, so compare the columns, not the absolutes.
"""

from __future__ import annotations

import argparse
import functools
import multiprocessing as mp
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the project, not bench/ (whose queue.py would shadow the standard library's)

RATE = 16_000


def _sample():
    import soundfile as sf

    from lifestream.samples import sample_file

    sample, rate = sf.read(str(sample_file("sample.wav")), dtype="float32")
    assert rate == RATE
    return sample


def _meetings(repeat: int):
    import numpy as np

    from tests.support import real_clips

    real_clips.require()
    parts = [_sample()] + [clip.audio() for clip in real_clips.load_clips("train")]
    return np.concatenate(parts * repeat).astype(np.float32)


def _scripted(folder: Path) -> list[tuple[str, Path, str]]:
    """(name, 16 kHz float32 .npy, reference words) for the sample and each scripted meeting, spoken once."""
    import numpy as np
    import soundfile as sf

    from lifestream.samples import reference_words
    from tests.support.media import ffmpeg, speak_timed
    from tests.support.minutes_eval import load_set

    np.save(folder / "sample.npy", _sample())
    items = [("sample", folder / "sample.npy", _words(reference_words()))]
    for meeting in load_set():
        if not meeting.lines:
            continue
        wav, _ = speak_timed(meeting.lines, folder / f"{meeting.name}.22k.wav")
        ffmpeg("-i", str(wav), "-ac", "1", "-ar", str(RATE), str(folder / f"{meeting.name}.wav"))
        audio, _ = sf.read(str(folder / f"{meeting.name}.wav"), dtype="float32")
        np.save(folder / f"{meeting.name}.npy", audio)
        items.append((meeting.name, folder / f"{meeting.name}.npy", _words(" ".join(t for _, t in meeting.lines))))
    return items


def _peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _run(kind: str, batch: int, model_name: str, threads: int, inputs: list[Path] | int, conn) -> None:
    """In a child process: load, warm, transcribe each input once, send back ([(seconds, text, audio s)], peak RSS).
    ``inputs``: .npy files, or how many times to play the real meetings."""
    from lifestream.threads import cap_threads

    cap_threads(threads)
    import numpy as np
    from faster_whisper import BatchedInferencePipeline

    from lifestream.pipeline import asr
    from lifestream.settings import Settings

    settings = Settings()
    audios = [np.load(p) for p in inputs] if isinstance(inputs, list) else [_meetings(inputs)]
    model, _ = asr.load_model(model_name, settings.model_dir, "int8", threads)
    options = dict(beam_size=5, vad_filter=True, word_timestamps=True, condition_on_previous_text=False)

    if kind in ("today", "today-t0"):
        if kind == "today-t0":
            # today's path without the temperature fallback (the batched pipeline has none: it decodes at
            # the first temperature only), to tell what batching itself changes from what the fallback does
            model.transcribe = functools.partial(model.transcribe, temperature=0.0)

        def transcribe(samples) -> str:
            result = asr.transcribe(samples, model_name, settings.model_dir, beam_size=5, compute_type="int8",
                                    cpu_threads=threads)
            return " ".join(s.text for s in result.segments)
    else:
        pipeline = BatchedInferencePipeline(model=model)

        def transcribe(samples) -> str:
            segments, _ = pipeline.transcribe(samples, batch_size=batch, **options)
            return " ".join(s.text.strip() for s in segments)

    transcribe(audios[0][: 10 * RATE])  # warm: the first call pays for lazy set-up
    results = []
    for audio in audios:
        start = time.perf_counter()
        text = transcribe(audio)
        results.append((time.perf_counter() - start, text, len(audio) / RATE))
    conn.send((results, _peak_rss()))
    conn.close()


def _measure(kind: str, batch: int, args, inputs: list[Path] | int) -> tuple[list[tuple[float, str, float]], int]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run, args=(kind, batch, args.model, args.threads, inputs, child))
    proc.start()
    child.close()
    result = parent.recv()
    proc.join()
    return result


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def _name(kind: str, batch: int) -> str:
    return {"today": "today (model.transcribe)", "today-t0": "today without temperature fallback"}.get(
        kind, f"batched, batch_size={batch}")


def _table_meetings(runs, args) -> None:
    import jiwer

    print(f"\nreal meetings (sample + trn clips, x{args.repeat}): WER against today's words")
    print("| run | seconds | real-time factor | peak RSS | WER vs today |")
    print("|---|---|---|---|---|")
    today = ""
    for kind, batch in runs:
        [(seconds, text, length)], peak = _measure(kind, batch, args, args.repeat)
        words = _words(text)
        wer = "—" if kind == "today" else f"{jiwer.wer(today, words):.3f}"
        today = words if kind == "today" else today
        print(f"| {_name(kind, batch)} | {seconds:.1f} | {seconds / length:.3f} | {peak / 2**20:.0f} MB | {wer} |",
              flush=True)
    print(f"input: {length:.0f} s of real speech ({len(today.split())} words heard today)")


def _table_scripted(runs, args) -> None:
    import tempfile

    import jiwer

    with tempfile.TemporaryDirectory(prefix="batched-asr-") as tmp:
        items = _scripted(Path(tmp))
        print("\nagainst references: the real sample (sample.stm) and 12 scripted meetings (espeak-ng, their scripts)")
        print("| run | seconds | real-time factor | peak RSS | WER, sample | WER, scripted | WER vs today |")
        print("|---|---|---|---|---|---|---|")
        today: list[str] = []
        for kind, batch in runs:
            results, peak = _measure(kind, batch, args, [path for _, path, _ in items])
            heard = [_words(text) for _, text, _ in results]
            seconds = sum(r[0] for r in results)
            length = sum(r[2] for r in results)
            sample_wer = jiwer.wer(items[0][2], heard[0])
            scripted_wer = jiwer.wer([ref for _, _, ref in items[1:]], heard[1:])
            vs_today = "—" if kind == "today" else f"{jiwer.wer(today, heard):.3f}"
            today = heard if kind == "today" else today
            print(f"| {_name(kind, batch)} | {seconds:.1f} | {seconds / length:.3f} | {peak / 2**20:.0f} MB "
                  f"| {sample_wer:.3f} | {scripted_wer:.3f} | {vs_today} |", flush=True)
        print(f"input: {length:.0f} s ({sum(len(r.split()) for _, _, r in items)} reference words)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="base")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", default="2,4,8")
    parser.add_argument("--repeat", type=int, default=1, help="how many times the sample and trn clips are played")
    parser.add_argument("--input", choices=("meetings", "scripted", "both"), default="both")
    args = parser.parse_args()

    runs = [("today", 0), ("today-t0", 0)] + [("batched", int(b)) for b in args.batches.split(",") if b]
    print(f"model {args.model}, int8, {args.threads} threads, beam 5, VAD, word timestamps")
    if args.input in ("scripted", "both"):
        _table_scripted(runs, args)
    if args.input in ("meetings", "both"):
        _table_meetings(runs, args)


if __name__ == "__main__":
    main()
