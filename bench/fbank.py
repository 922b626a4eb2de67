"""The diarizer's fbank features (features.py: numpy and scipy's float32 FFT, the default) against
kaldi-native-fbank (frame by frame in C++, the default before), in one process.

    .venv/bin/python bench/fbank.py [--rounds 3] [--long-minutes 6]

First each computes the features of the same 10 s chunk of real speech (a chunk
is what the diarizer feeds it, four per second of speech) many times: CPU
milliseconds per chunk and the largest difference. Then one LocalDiarizer (one
thread, as in production) diarizes the inputs of bench/onnx_runtime.py (the
sample, the trn/dev clips, long-4 cut to --long-minutes) with each, round by
round, so load from other work falls on both alike: CPU seconds per audio
second, the share of them spent in the features, and whether both found the
same speakers and turns. kaldi-native-fbank is a test dependency
(``pip install -e .[test]``). The tst clips are never read.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/queue.py must not shadow the standard library's queue

from lifestream.threads import cap_threads  # noqa: E402

# Before numpy loads: its BLAS would start a thread per core, which spin after each product and bill this
# process for it. The command line does the same (cli.py), so production runs one.
cap_threads()

import numpy as np  # noqa: E402

from bench.onnx_runtime import _inputs  # noqa: E402
from tests.support import real_clips  # noqa: E402
from tests.support.kaldi_fbank import fbank as kaldi_fbank  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long-minutes", type=float, default=6.0)
    args = parser.parse_args()

    from lifestream.pipeline.diarization import features
    from lifestream.pipeline.diarization.local import LocalDiarizer

    inputs = _inputs(args.long_minutes)
    chunk = inputs["30 s inputs"][0][:10 * features.SAMPLE_RATE]
    variants = {"kaldi-native-fbank": kaldi_fbank, "numpy + scipy": features.fbank}
    for name, fbank in variants.items():
        fbank(chunk)
        c = time.process_time()
        for _ in range(50):
            fbank(chunk)
        print(f"one 10 s chunk, {name:<18}: {(time.process_time() - c) / 50 * 1e3:.2f} CPU ms", flush=True)
    difference = np.abs(features.fbank(chunk) - kaldi_fbank(chunk))
    print(f"largest difference {difference.max():.1e}, mean {difference.mean():.1e} (log-mel)\n", flush=True)
    if args.rounds < 1:
        return

    diarizer = LocalDiarizer()
    diarizer.load_models()
    spent = [0.0]

    def timed(fbank):
        def run(audio: np.ndarray) -> np.ndarray:
            c = time.process_time()
            try:
                return fbank(audio)
            finally:
                spent[0] += time.process_time() - c
        return run

    for fbank in variants.values():  # warm: first calls allocate
        features.fbank = timed(fbank)
        diarizer.diarize(inputs["30 s inputs"][0])
    cpu: dict[tuple[str, str], list[float]] = {}
    share: dict[tuple[str, str], list[float]] = {}
    turns: dict[tuple[str, str], list] = {}
    try:
        for round_ in range(args.rounds):
            for name, audios in inputs.items():
                seconds = sum(len(a) for a in audios) / real_clips.RATE
                for variant, fbank in variants.items():
                    features.fbank = timed(fbank)
                    spent[0] = 0.0
                    c = time.process_time()
                    found = [diarizer.diarize(a) for a in audios]
                    took = time.process_time() - c
                    cpu.setdefault((name, variant), []).append(took / seconds)
                    share.setdefault((name, variant), []).append(spent[0] / took)
                    turns[(name, variant)] = [[(t.speaker, round(t.start, 2), round(t.end, 2)) for t in r.turns]
                                              for r in found]
                    print(f"round {round_ + 1} {name:<18} {variant:<18} CPU s per audio s "
                          f"{cpu[(name, variant)][-1]:.4f} (features {share[(name, variant)][-1]:.1%})", flush=True)
    finally:
        features.fbank = variants["numpy + scipy"]

    old, new = variants
    print(f"\n| input | {old}: CPU s per audio s (median), features' share | {new} | ratio | same turns |")
    print("|---|---|---|---|---|")
    for name in inputs:
        (a, sa), (b, sb) = ((float(np.median(cpu[(name, v)])), float(np.median(share[(name, v)]))) for v in variants)
        same = turns[(name, old)] == turns[(name, new)]
        print(f"| {name} | {a:.4f}, {sa:.1%} | {b:.4f}, {sb:.1%} | {b / a:.2f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
