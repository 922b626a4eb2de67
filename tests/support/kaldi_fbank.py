"""kaldi-native-fbank (a test dependency): the reference the diarizer's own fbank features
(lifestream/pipeline/diarization/features.py) are checked and benchmarked against."""

from __future__ import annotations

import kaldi_native_fbank as knf
import numpy as np

from lifestream.pipeline.diarization import features


def fbank(audio: np.ndarray) -> np.ndarray:
    """(frames, 80) float32 log-mel energies, frame by frame in Kaldi's C++ (no dither, as CAM++ wants)."""
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq = features.SAMPLE_RATE
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = features.NUM_BINS
    extractor = knf.OnlineFbank(opts)
    extractor.accept_waveform(features.SAMPLE_RATE, np.ascontiguousarray(audio, dtype=np.float32))
    extractor.input_finished()
    frames = [extractor.get_frame(i) for i in range(extractor.num_frames_ready)]
    return np.array(frames, np.float32).reshape(-1, features.NUM_BINS)
