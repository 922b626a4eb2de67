"""What the filter of made-up lines (asr.IMPROBABLE_SEGMENT: a segment whose median word Whisper gives under
0.15) drops, against the same transcription without it, in one process; and, with --library, faster-whisper's
own filter (hallucination_silence_threshold, 2 s), which re-decodes after a suspect line instead; with --greedy,
Whisper's temperature fallback (re-reading a badly decoded stretch by sampling) against greedy decoding alone
(LIFESTREAM_ASR_TEMPERATURE_FALLBACK=false), our filter on in both.

    .venv/bin/python bench/hallucination.py [--long-minutes 6] [--rounds 1] [--library | --greedy]

Inputs are bench/onnx_runtime.py's: the real sample, the 12 trn/dev clips of the pyannote.audio sdist (real
rooms; their tst clips are never read) and long-4 cut to --long-minutes. Each input is transcribed with the filter
off and on, taking turns, so load from other work falls on both alike. Printed: CPU seconds and real-time factor
of each, words and segments found, and every line one of them has and the other lacks (what the filter dropped,
or what re-reading after a dropped line found instead).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/queue.py must not shadow the standard library's queue

from lifestream.threads import cap_threads  # noqa: E402

# Before numpy loads, as the command line does (cli.py): one BLAS thread.
cap_threads()

from bench.onnx_runtime import _inputs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-minutes", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=1)
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--library", action="store_true",
                        help="compare faster-whisper's hallucination_silence_threshold=2 instead")
    choice.add_argument("--greedy", action="store_true",
                        help="compare the temperature fallback on and off instead")
    args = parser.parse_args()

    from lifestream.pipeline import asr
    from lifestream.settings import Settings

    settings = Settings()
    inputs = [audio for group in _inputs(args.long_minutes).values() for audio in group]
    seconds = sum(len(a) for a in inputs) / asr.SAMPLE_RATE
    # each variant: the module's two filter settings, and what asr.transcribe is given
    variants: dict[str, tuple[float, float | None, dict[str, bool]]] = {
        "off": (0.0, None, {}), "on": (asr.IMPROBABLE_SEGMENT, None, {})}
    if args.library:
        variants = {"off": (0.0, None, {}), "library": (0.0, 2.0, {})}
        _with_library_filter(asr)
    elif args.greedy:
        variants = {"fallback": (asr.IMPROBABLE_SEGMENT, None, {}),
                    "greedy": (asr.IMPROBABLE_SEGMENT, None, {"temperature_fallback": False})}
    asr.transcribe(inputs[0], settings.asr_model, settings.model_dir)  # load the model outside the timings
    per_input: dict[str, list[float]] = {name: [0.0] * len(inputs) for name in variants}
    lines: dict[str, list[list[str]]] = {name: [] for name in variants}
    for round_ in range(args.rounds):
        for n, audio in enumerate(inputs):
            for name, (threshold, silence, options) in variants.items():
                asr.IMPROBABLE_SEGMENT, asr.LIBRARY_SILENCE = threshold, silence
                started = time.process_time()
                result = asr.transcribe(audio, settings.asr_model, settings.model_dir, **options)
                per_input[name][n] += time.process_time() - started
                if round_ == 0:
                    lines[name].append([f"{s.start:7.2f} {s.text}" for s in result.segments])
            print(f"input {n + 1}/{len(inputs)} done", file=sys.stderr, flush=True)
    print(f"{len(inputs)} inputs, {seconds / 60:.1f} min of audio, {args.rounds} round(s)\n")
    cpu = {name: sum(times) for name, times in per_input.items()}
    print(f"{'filter':<10} {'CPU s':>8} {'CPU RTF':>8} {'segments':>9} {'words':>7}")
    for name in variants:
        found = [line for clip in lines[name] for line in clip]
        words = sum(len(line.split()) - 1 for line in found)
        print(f"{name:<10} {cpu[name] / args.rounds:8.1f} {cpu[name] / args.rounds / seconds:8.3f} "
              f"{len(found):9d} {words:7d}")
    off, on = variants
    print(f"\nCPU s per input, {off} / {on}:", "  ".join(f"{n + 1}: {a / args.rounds:.1f}/{b / args.rounds:.1f}"
                                                   for n, (a, b) in enumerate(zip(per_input[off], per_input[on]))))
    for n, (a, b) in enumerate(zip(lines[off], lines[on], strict=True)):
        only_off, only_on = [x for x in a if x not in b], [x for x in b if x not in a]
        if only_off or only_on:
            print(f"\ninput {n + 1}:")
            print(*(f"  - {x}" for x in only_off), *(f"  + {x}" for x in only_on), sep="\n")


def _with_library_filter(asr) -> None:
    """Our filter off, and every model.transcribe call given hallucination_silence_threshold=asr.LIBRARY_SILENCE."""
    asr.IMPROBABLE_SEGMENT, asr.LIBRARY_SILENCE = 0.0, None
    load = asr.load_model

    def load_model(*args, **kwargs):
        model, path = load(*args, **kwargs)

        class Filtered:
            def transcribe(self, *a, **k):
                return model.transcribe(*a, hallucination_silence_threshold=asr.LIBRARY_SILENCE, **k)

        return Filtered(), path

    asr.load_model = load_model


if __name__ == "__main__":
    main()
