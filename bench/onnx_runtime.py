"""The diarizer's CPU with one of its networks on ONNX Runtime (the default) against the same network on torch,
in one process.

    .venv/bin/python bench/onnx_runtime.py [--network segmentation|campplus] [--rounds 3] [--long-minutes 6]
                                           [--memory-minutes 20]

One LocalDiarizer (one torch thread, as in production); the network named by
--network (the speech segmentation, or CAM++) is switched between its ONNX
Runtime session and the torch modules it was exported from, round by round,
so load from other work falls on both alike; the other network stays on ONNX
Runtime.
Inputs: the sample and the trn/dev clips of pyannote.audio's sdist (30 s
each), and the dev clips with the sample repeated to --long-minutes. Prints
CPU seconds per audio second (``time.process_time``), wall seconds, and
whether both runtimes found the same speakers and turns. With
--memory-minutes, each runtime then diarizes long-4 of that length in a fresh
process of its own, for its peak RSS (models included). The tst clips are
never read.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # bench/queue.py must not shadow the standard library's queue

from lifestream.threads import cap_threads  # noqa: E402

cap_threads()  # before numpy (and in every spawned child, which imports this module first): see bench/diarization.py

import numpy as np  # noqa: E402

from tests.support import real_clips  # noqa: E402


def _inputs(long_minutes: float) -> dict[str, list[np.ndarray]]:
    from lifestream.samples import sample_file

    sample = real_clips.sf.read(str(sample_file("sample.wav")), dtype="float32")[0]
    clips = {c.name: (c.audio(), c.reference) for s in ("train", "development") for c in real_clips.load_clips(s)}
    short = [sample, *(audio for audio, _ in clips.values())]
    out = {"30 s inputs": short}
    if long_minutes > 0:
        few = [("dev00", *clips["dev00"]), ("sample", sample, real_clips.Annotation()), ("dev01", *clips["dev01"])]
        out[f"long-4, {long_minutes:g} min"] = [real_clips.concatenate(few, long_minutes * 60, "long-4")[0]]
    return out


def _use(diarizer, network: str, session) -> None:
    """Run ``network`` on ``session`` (None: on torch)."""
    if network == "campplus":
        diarizer.embedding._session = session
    else:
        diarizer.segmentation._session, diarizer.segmentation._session_tried = session, True


def _session(diarizer, network: str):
    return diarizer.embedding._session if network == "campplus" else diarizer.segmentation._onnx()


def _peak_rss(network: str, runtime: str, minutes: float, out: mp.Queue) -> None:
    from lifestream.pipeline.diarization.local import LocalDiarizer

    diarizer = LocalDiarizer()
    if runtime == "torch":
        _use(diarizer, network, None)
    (audio,) = _inputs(minutes)[f"long-4, {minutes:g} min"]
    found = diarizer.diarize(audio)
    out.put((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(found.labels)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--network", choices=("segmentation", "campplus"), default="segmentation")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--long-minutes", type=float, default=6.0)
    parser.add_argument("--memory-minutes", type=float, default=0.0, help="peak RSS on long-4 this long (0: skip)")
    args = parser.parse_args()
    if args.memory_minutes > 0:
        ctx = mp.get_context("spawn")
        for runtime in ("torch", "onnxruntime"):
            queue: mp.Queue = ctx.Queue()
            child = ctx.Process(target=_peak_rss, args=(args.network, runtime, args.memory_minutes, queue))
            child.start()
            rss, speakers = queue.get()
            child.join()
            print(f"long-4, {args.memory_minutes:g} min, {args.network} on {runtime}: peak RSS {rss:.0f} MB, {speakers} speakers",
                  flush=True)
        if args.rounds == 0:
            return

    from lifestream.pipeline.diarization.local import LocalDiarizer

    diarizer = LocalDiarizer()
    diarizer.load_models()
    session = _session(diarizer, args.network)
    if session is None:
        sys.exit(f"{args.network} did not load on ONNX Runtime here (see the warning above): nothing to compare")
    runtimes = {"torch": None, "onnxruntime": session}
    inputs = _inputs(args.long_minutes)
    diarizer.diarize(inputs["30 s inputs"][0])  # warm both: first calls allocate
    _use(diarizer, args.network, None)
    diarizer.diarize(inputs["30 s inputs"][0])

    cpu: dict[tuple[str, str], list[float]] = {}
    wall: dict[tuple[str, str], list[float]] = {}
    turns: dict[tuple[str, str], list] = {}
    for round_ in range(args.rounds):
        for name, audios in inputs.items():
            seconds = sum(len(a) for a in audios) / real_clips.RATE
            for runtime, value in runtimes.items():
                _use(diarizer, args.network, value)
                c, w = time.process_time(), time.perf_counter()
                found = [diarizer.diarize(a) for a in audios]
                cpu.setdefault((name, runtime), []).append((time.process_time() - c) / seconds)
                wall.setdefault((name, runtime), []).append(time.perf_counter() - w)
                turns[(name, runtime)] = [[(t.speaker, round(t.start, 2), round(t.end, 2)) for t in r.turns]
                                          for r in found]
                print(f"round {round_ + 1} {name:<18} {runtime:<12} CPU s per audio s "
                      f"{cpu[(name, runtime)][-1]:.4f}  wall {wall[(name, runtime)][-1]:.1f} s", flush=True)

    print(f"\n{args.network}:\n| input | torch: CPU s per audio s (median) | onnxruntime | ratio | same turns |")
    print("|---|---|---|---|---|")
    for name in inputs:
        t, o = (float(np.median(cpu[(name, r)])) for r in runtimes)
        same = turns[(name, "torch")] == turns[(name, "onnxruntime")]
        print(f"| {name} | {t:.4f} | {o:.4f} | {o / t:.2f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
