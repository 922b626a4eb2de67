"""Diarization quality and speed: LifeStream's default against senko 0.2.2's own pipeline, in one run.

    .venv/bin/python bench/diarization.py [--long-minutes 20] [--no-baseline]
    .venv/bin/python bench/diarization.py --tune        # the clustering grid, on trn clips only

Inputs: the real sample (30 s phone call, 2 speakers); the AMI-like trn/dev
clips of pyannote.audio's sdist (tests/real_clips.py; 30 s, 1-4 people in a
meeting room, reference RTTM); and two long recordings made by concatenating
real clips with their references shifted: the dev clips and the sample
(4 people) and every trn/dev clip and the sample (25 people), each repeated
to at least --long-minutes.

Scores: DER with a 0.25 s collar, overlapped speech scored, inside each
clip's UEM; speaker count against the reference; seconds, real-time factor
and CPU seconds per input; peak RSS per method. Each method runs in its own
child process with its models loaded before the clock starts, and the two
take turns input by input so that load from other work falls on both alike.
"today" is senko's own Diarizer as LifeStream called it before issue 11: it
loads senko's -march=native fbank library, which dies with SIGILL on CPUs
without AVX-512 (reported as a crash here).

Tuning (--tune) sees only the trn clips. One rule, who wins a tie between windows and units
(local.UNIT_CHUNK_SAY), was chosen on the trn and dev clips pooled (bench/README.md, seventeenth
pass). The tst clips of the sdist are the project's held-out acceptance set and are never read.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, bench/ is first on the path, and bench/queue.py would shadow the standard
# library's queue (which multiprocessing needs): put the project root there instead.
sys.path[0] = str(ROOT)

from lifestream.threads import cap_threads  # noqa: E402

# Here, not in the children: a spawned child imports this module, numpy with it, before it runs anything, and
# numpy's BLAS sizes its thread pool when it loads. Uncapped, its threads spin after each product and bill the
# diarizer for CPU that production (cli.py caps them) never spends: 0.064-0.074 CPU s per audio s on the trn clips
# against 0.057.
cap_threads()

import numpy as np  # noqa: E402
from pyannote.core import Annotation, Segment  # noqa: E402
from pyannote.metrics.diarization import DiarizationErrorRate  # noqa: E402

from tests.support import real_clips  # noqa: E402

# The trn/dev clips in which ASR finds words, as issue 12 measured them (trñ00 was missed there by its name).
ISSUE_CLIPS = ("trn03", "trn04", "trn05", "trn06", "trn07", "trn08", "trn09", "dev00", "dev01")


@dataclass
class Input:
    name: str
    audio_file: Path
    reference: Annotation
    uem: Segment
    group: str  # sample | train | development | long

    @property
    def duration(self) -> float:
        return self.uem.end - self.uem.start


def _inputs(tmp: Path, long_minutes: float) -> list[Input]:
    from lifestream.samples import sample_file

    out: list[Input] = []
    sample_audio = real_clips.sf.read(str(sample_file("sample.wav")), dtype="float32")[0]
    sample_ref = Annotation(uri="sample")
    for line in sample_file("sample.rttm").read_text().splitlines():
        p = line.split()
        sample_ref[Segment(float(p[3]), float(p[3]) + float(p[4]))] = p[7]

    def add(name: str, audio: np.ndarray, ref: Annotation, group: str) -> None:
        path = tmp / f"{name}.npy"
        np.save(path, audio.astype(np.float32))
        out.append(Input(name, path, ref, Segment(0, len(audio) / real_clips.RATE), group))

    add("sample", sample_audio, sample_ref, "sample")
    pieces = {"sample": (sample_audio, sample_ref)}
    for subset in ("train", "development"):
        for clip in real_clips.load_clips(subset):
            audio = clip.audio()
            add(clip.name, audio, clip.reference, subset)
            pieces[clip.name] = (audio, clip.reference)
    if long_minutes > 0:
        few = [(n, *pieces[n]) for n in ("dev00", "sample", "dev01")]
        audio, ref = real_clips.concatenate(few, long_minutes * 60, "long-4")
        add("long-4", audio, ref, "long")
        every = [(n, *pieces[n]) for n in sorted(pieces)]
        audio, ref = real_clips.concatenate(every, long_minutes * 60, "long-25")
        add("long-25", audio, ref, "long")
    return out


# -- the two methods, each in its own process --------------------------------------------------------


def _today():
    """senko 0.2.2's Diarizer, called as lifestream/pipeline/diarization.py did before issue 11."""
    import senko

    impl = senko.Diarizer(device="cpu", vad="silero", warmup=False, quiet=True)
    # A worker that has seen one long recording has its UMAP/HDBSCAN compiled; don't time the JIT.
    impl.umap_hdbscan_cluster(np.random.default_rng(0).standard_normal((600, 192)).astype(np.float32))

    def run(audio: np.ndarray) -> list[tuple[str, float, float]]:
        result = impl.diarize_samples(np.asarray(audio, np.float32), sample_rate=16000)
        return [(s["speaker"], s["start"], s["end"]) for s in (result or {}).get("merged_segments", [])]

    return run


def _lifestream():
    from lifestream.pipeline.diarization import get_diarizer

    diarizer = get_diarizer("senko")

    def run(audio: np.ndarray) -> list[tuple[str, float, float]]:
        return [(t.speaker, t.start, t.end) for t in diarizer.diarize(audio).turns]

    return run


METHODS = {"today": _today, "lifestream": _lifestream}


def _child(method: str, conn) -> None:
    try:
        run = METHODS[method]()
        run(np.zeros(16000 * 12, np.float32))  # load and warm
        conn.send(("ready", None))
        while (path := conn.recv()) is not None:
            audio = np.load(path, mmap_mode="r")
            wall, cpu = time.perf_counter(), time.process_time()
            turns = run(audio)
            conn.send(("done", (turns, time.perf_counter() - wall, time.process_time() - cpu,
                                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))
    except Exception as exc:  # noqa: BLE001 - any failure is reported beside the other method's figures
        conn.send(("error", repr(exc)))


class Runner:
    def __init__(self, method: str) -> None:
        self.method = method
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_child, args=(self.method, child), daemon=True)
        self.proc.start()
        self.failure: str | None = None
        self._expect("ready")

    def _expect(self, kind: str):
        try:
            got, payload = self.conn.recv()
        except EOFError:
            self.proc.join()
            code = self.proc.exitcode
            self.failure = f"crashed (exit {code}{', SIGILL: illegal instruction' if code == -4 else ''})"
            return None
        if got == "error":
            self.failure = payload
            return None
        return payload

    def run(self, item: Input):
        if self.failure:
            return None
        self.conn.send(str(item.audio_file))
        return self._expect("done")

    def close(self) -> None:
        if not self.failure:
            self.conn.send(None)
        self.proc.join(timeout=30)


@dataclass
class Scores:
    metric: DiarizationErrorRate = field(default_factory=lambda: DiarizationErrorRate(collar=0.25))
    rows: dict[str, tuple[float, int, int, float, float]] = field(default_factory=dict)
    peak_rss: float = 0.0

    def add(self, item: Input, result) -> None:
        turns, wall, cpu, rss = result
        hyp = Annotation(uri=item.name)
        for speaker, start, end in turns:
            if end > start:
                hyp[Segment(start, end)] = speaker
        der = self.metric(item.reference, hyp, uem=item.uem)
        self.rows[item.name] = (der, len(item.reference.labels()), len(hyp.labels()), wall, cpu)
        self.peak_rss = max(self.peak_rss, rss)

    def aggregate(self, names) -> float:
        """DER over several inputs: total error time over total reference speech."""
        parts = [components for uri, components in self.metric.results_ if uri in names]
        if not parts:
            return float("nan")
        return self.metric.compute_metric({key: sum(p[key] for p in parts) for key in parts[0]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-minutes", type=float, default=20.0, help="length of the concatenations (0: none)")
    parser.add_argument("--no-baseline", action="store_true", help="skip senko's own pipeline")
    parser.add_argument("--tune", action="store_true", help="grid-search the clustering on the trn clips")
    args = parser.parse_args()
    if not real_clips.available():
        sys.exit(f"no clips in {real_clips.clips_dir()}: run scripts/setup --test (or set LIFESTREAM_TEST_CLIPS)")
    if args.tune:
        return tune()
    print(f"load average at start: {_load()}")
    methods = ["lifestream"] if args.no_baseline else ["today", "lifestream"]
    with tempfile.TemporaryDirectory() as tmp:
        inputs = _inputs(Path(tmp), args.long_minutes)
        runners = {m: Runner(m) for m in methods}
        scores = {m: Scores() for m in methods}
        for item in inputs:
            for m in methods:
                result = runners[m].run(item)
                if result:
                    scores[m].add(item, result)
            print(_row(item, scores, methods), flush=True)
        for r in runners.values():
            r.close()
    print(f"load average at end: {_load()}")
    _summary(inputs, scores, methods, runners)


def _row(item: Input, scores: dict[str, Scores], methods: list[str]) -> str:
    cells = [f"{item.name:8s} {item.duration:7.0f}s ref={len(item.reference.labels()):2d}"]
    for m in methods:
        row = scores[m].rows.get(item.name)
        if row:
            der, _, hyp, wall, cpu = row
            cells.append(f"{m}: DER {der:5.3f} n={hyp:2d} {wall:6.1f}s (RTF {wall / item.duration:.3f}, cpu {cpu:.1f}s)")
        else:
            cells.append(f"{m}: -")
    return " | ".join(cells)


def _summary(inputs: list[Input], scores: dict[str, Scores], methods: list[str], runners) -> None:
    groups = {
        "issue 12's 9 clips (trn03-09, dev00-01)": [i.name for i in inputs if i.name in ISSUE_CLIPS],
        "trn clips (tuning)": [i.name for i in inputs if i.group == "train"],
        "dev clips (report; tie rule chosen with trn)": [i.name for i in inputs if i.group == "development"],
        "sample": ["sample"],
    }
    print()
    for m in methods:
        if runners[m].failure:
            print(f"{m}: {runners[m].failure}")
            continue
        s = scores[m]
        print(f"{m}: peak RSS {s.peak_rss:.0f} MB")
        for label, names in groups.items():
            rows = [s.rows[n] for n in names if n in s.rows]
            within = sum(abs(r[1] - r[2]) <= 1 for r in rows)
            as_one = sum(r[1] >= 3 and r[2] <= 1 for r in rows)
            print(f"  {label}: DER {s.aggregate(names):.3f}; count within ±1 on {within}/{len(rows)}; "
                  f"3+ people found as one: {as_one}")
        clips = [i for i in inputs if i.group != "long"]
        wall = sum(s.rows[i.name][3] for i in clips if i.name in s.rows)
        cpu = sum(s.rows[i.name][4] for i in clips if i.name in s.rows)
        audio = sum(i.duration for i in clips)
        print(f"  30 s inputs: RTF {wall / audio:.4f} (CPU seconds per audio second {cpu / audio:.4f})")
        for i in inputs:
            if i.group == "long" and i.name in s.rows:
                der, ref, hyp, wall, cpu = s.rows[i.name]
                print(f"  {i.name} ({i.duration / 60:.0f} min): DER {der:.3f}, {hyp} speakers for {ref}, "
                      f"RTF {wall / i.duration:.4f} (CPU {cpu / i.duration:.4f})")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def tune() -> None:
    """Embed the trn clips once, then try clustering settings on them (dev and tst are not looked at)."""
    from lifestream.pipeline.diarization import SpeakerCount
    from lifestream.pipeline.diarization.clustering import ClusteringOptions
    from lifestream.pipeline.diarization.local import LocalDiarizer

    diarizer = LocalDiarizer()
    clips = real_clips.load_clips("train")
    embedded = {c.name: diarizer.embed(c.audio()) for c in clips}
    for group, threshold, min_speaker in itertools.product((0.6, 0.7, 0.8), (0.8, 0.9, 1.0), (1.0, 2.0)):
        diarizer.options = ClusteringOptions(group_threshold=group, threshold=threshold,
                                             min_speaker_seconds=min_speaker)
        metric = DiarizationErrorRate(collar=0.25)
        counts = []
        for clip in clips:
            hyp = Annotation(uri=clip.name)
            for t in diarizer.cluster([embedded[clip.name]], SpeakerCount()).turns:
                hyp[Segment(t.start, t.end)] = t.speaker
            metric(clip.reference, hyp, uem=clip.uem)
            counts.append((clip.speakers, len(hyp.labels())))
        within = sum(abs(r - h) <= 1 for r, h in counts)
        print(f"group {group} threshold {threshold} min_speaker_seconds {min_speaker}: trn DER {abs(metric):.3f}, "
              f"count within ±1 {within}/{len(counts)}, found {[h for _, h in counts]} of {[r for r, _ in counts]}")


if __name__ == "__main__":
    main()
